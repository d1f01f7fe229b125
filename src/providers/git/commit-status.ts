/**
 * The steps every commit-status type shares (reference §6.2–§6.6), so that each host's module
 * holds only its own rules: its state table, its URLs, its headers and its comparison.
 *
 * - `commitStatusTarget`: the repository and commit an event is about and the state it gets
 *   there, or why nothing is posted (Progressing, no commit SHA, a severity the host has no state
 *   for, an address the host cannot read).
 * - `showsSameStatus`: the "only when changed" comparison most hosts make.
 * - `parseObjectList` / `newestFirstById`: reading the JSON status lists of GitLab and Gitea.
 */
import type { FluxEvent } from '../../events/model.js'
import type { CurrentStatus, DesiredStatus, Notification } from '../types.js'
import { commitShaFromEvent } from './revision.js'
import { formatNameAndDescription } from './status-text.js'

/** How a commit-status type turns an event into a host state (the controller's `to<Host>State`). */
export interface CommitStateTable {
  /** the provider type, as the Progressing skip names it */
  type: string
  /** the state of an `info` event */
  info: string
  /** the state of an `error` event */
  error: string
  /**
   * The state of a Progressing event, whatever its severity. Absent: the event is not posted at
   * all, because the host would show the commit as done too early (every host but Gitea).
   */
  progressing?: string
  /** the controller's error when the severity has no state, reported as the skip reason */
  noState: string
  /** poll mode's state while it waits for the object (the controller never posts it) */
  pending: string
  /** poll mode's state when the wait timed out: the host's error state */
  timedOut: string
}

/** The host state for an event's reason and severity, or undefined when it has none. */
export function commitState(
  reason: string,
  severity: string,
  table: CommitStateTable,
): string | undefined {
  if (reason === 'Progressing' && table.progressing !== undefined) return table.progressing
  if (severity === 'info') return table.info
  if (severity === 'error') return table.error
  return undefined
}

/**
 * The commit SHA and host state of an event, checked in the controller's order: a Progressing
 * event the host does not get, then the commit SHA, then the state.
 */
export function commitShaAndState(
  event: FluxEvent,
  table: CommitStateTable,
): { sha: string; state: string } | { skip: string } {
  if (event.reason === 'Progressing' && table.progressing === undefined) {
    return { skip: `reason Progressing is not posted to ${table.type}` }
  }
  const sha = commitShaFromEvent(event)
  // design.md §3: no commit SHA, no failure. The controller logs this as a send error.
  if (typeof sha !== 'string') return { skip: `no commit SHA: ${sha.error}` }
  const state = commitState(event.reason, event.severity, table)
  // Upstream this is an error; nothing can be posted either way, so we report it as a skip with
  // the controller's words.
  if (state === undefined) return { skip: table.noState }
  return { sha, state }
}

/**
 * What every host's `desiredStatus` starts with: the commit SHA and state (`commitShaAndState`),
 * then the repository as the host's `repositoryOf` reads it from the Provider's address. An
 * address it cannot read is a skip with its error (validate() refuses such a Provider at load
 * time already; this keeps a half-parsed address from ever being sent to).
 */
export function commitStatusTarget(
  notification: Notification,
  table: CommitStateTable,
  repositoryOf: (address: string) => string | { error: string },
): { repository: string; sha: string; state: string } | { skip: string } {
  const override = notification.statusOverride
  const commit = override
    ? withOverride(notification.event, table[override.state])
    : commitShaAndState(notification.event, table)
  if ('skip' in commit) return commit
  const repository = repositoryOf(notification.provider.address)
  if (typeof repository !== 'string') return { skip: repository.error }
  return { repository, sha: commit.sha, state: commit.state }
}

/** Poll mode's statuses: the event's commit with the state poll mode asks for. */
function withOverride(
  event: FluxEvent,
  state: string,
): { sha: string; state: string } | { skip: string } {
  const sha = commitShaFromEvent(event)
  if (typeof sha !== 'string') return { skip: `no commit SHA: ${sha.error}` }
  return { sha, state }
}

/**
 * The status name and description of a notification: the controller's (reference §6.4), or poll
 * mode's own description when it posts a status itself.
 */
export function statusText(notification: Notification): { name: string; description: string } {
  const text = formatNameAndDescription(notification.event)
  const override = notification.statusOverride
  return override ? { name: text.name, description: override.description } : text
}

/** Whether `existing` (the status the host's rule picked, if any) shows the desired state and description. */
export function showsSameStatus(
  existing: CurrentStatus | undefined,
  desired: DesiredStatus,
): boolean {
  return (
    existing !== undefined &&
    existing.state === desired.state &&
    existing.description === desired.description
  )
}

/** A JSON array's objects (anything else in it dropped), or undefined when the body is not one. */
export function parseObjectList<T extends object>(body: string): T[] | undefined {
  try {
    const value: unknown = JSON.parse(body)
    if (!Array.isArray(value)) return undefined
    return value.filter((item): item is T => item !== null && typeof item === 'object')
  } catch {
    return undefined
  }
}

/** Statuses ordered newest first by their host id (ids grow with time), the id then dropped. */
export function newestFirstById(statuses: Array<CurrentStatus & { id: number }>): CurrentStatus[] {
  return [...statuses].sort((a, b) => b.id - a.id).map(({ id: _id, ...status }) => status)
}
