/**
 * Poll mode's pure logic (design.md §3 "Poll mode", `wait-for-revision`): which objects a run
 * waits for, when an event settles one of them for the awaited commit, and the synthetic events
 * that carry the `pending` and timed-out commit statuses through the normal routing and rendering.
 *
 * The controller has no such mode: these are our rules.
 *
 * - An object is settled by an event from it (involvedObject kind/namespace/name) whose commit SHA
 *   (found as for commit statuses: `commit`, then `originRevision`, then `revision`) is the awaited
 *   one, and that is final: severity `error` fails it; an `info` event with a success reason
 *   (`ReconciliationSucceeded`, Helm's install/upgrade/test `…Succeeded`, a source's
 *   `NewArtifact`/`Succeeded`) succeeds it. `RollbackSucceeded` means the awaited release was rolled
 *   back: it fails it. Anything else (`Progressing`, `DependencyNotReady`, …) keeps waiting.
 * - When one read holds several final events for an object, the newest decides (a retry that
 *   succeeded after a failure wins); once settled, an object stays settled.
 */
import { EVENT_GROUP } from '../events/model.js'
import type { FluxEvent, ObjectReference, SourcedEvent } from '../events/model.js'
import { namespacedKey } from '../manifests/model.js'
import type { Alert, Config } from '../manifests/model.js'
import { getRevision, parseRevision } from '../providers/git/revision.js'
import { fitDescription } from '../providers/git/status-text.js'
import { providerClass } from '../providers/registry.js'
import type { StatusOverride } from '../providers/types.js'
import { cleanupMetadata, objectGroupOf } from './metadata.js'
import { formatGoDuration } from './rate-limit.js'

/** An object a run waits for. */
export interface AwaitedObject {
  kind: string
  namespace: string
  name: string
}

export type AwaitOutcome = 'succeeded' | 'failed' | 'timed-out' | 'waiting'

/** Where one awaited object stands. */
export interface AwaitState {
  object: AwaitedObject
  outcome: AwaitOutcome
  /** the reason of the event that settled it */
  reason?: string
  /** that event's time (ms since the epoch; NaN when it had none) */
  time?: number
}

/** `Kind/namespace/name`, as outputs and messages name an object. */
export function awaitedId(object: AwaitedObject): string {
  return `${object.kind}/${object.namespace}/${object.name}`
}

/** The first seven characters of a commit SHA, as Git shows it. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7)
}

const KIND = /^[A-Za-z][A-Za-z0-9]*$/
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/

/**
 * One `wait-for` line: `Kind/namespace/name`, or `Kind/name` in `defaultNamespace`. Returns the
 * object, or a one-line error.
 */
export function parseAwaitedObject(
  line: string,
  defaultNamespace: string,
): AwaitedObject | { error: string } {
  const parts = line.split('/')
  const [kind, namespace, name] =
    parts.length === 2 ? [parts[0]!, defaultNamespace, parts[1]!] : parts
  if (
    (parts.length !== 2 && parts.length !== 3) ||
    kind === undefined ||
    namespace === undefined ||
    name === undefined ||
    !KIND.test(kind) ||
    !NAME.test(namespace) ||
    !NAME.test(name)
  ) {
    return { error: `wait-for: '${line}' is not Kind/namespace/name or Kind/name` }
  }
  return { kind, namespace, name }
}

const SHA1 = /^[0-9a-fA-F]{40}$/

/**
 * The commit of `wait-for-revision`: a 40-hex SHA (`${{ github.sha }}`) or a Flux Git revision
 * (`main@sha1:<sha>`, `sha1:<sha>`, the legacy `main/<sha>`). Returns the lower-case SHA, or a
 * one-line error.
 */
export function parseAwaitedRevision(value: string): string | { error: string } {
  const v = value.trim()
  const hash = SHA1.test(v) ? v : parseRevision(v)
  if (typeof hash !== 'string' || !SHA1.test(hash)) {
    return {
      error: `wait-for-revision: '${v}' is not a commit SHA (40 hex digits) or a Flux revision like main@sha1:<sha>`,
    }
  }
  return hash.toLowerCase()
}

/**
 * The default awaited set: every named (non-`*`) event source of the Alerts whose Provider is a
 * commit-status type, in manifest order, each once. Suspended Alerts and Providers are left out:
 * nothing would be posted for them.
 */
export function defaultAwaitedObjects(config: Config): AwaitedObject[] {
  const found = new Map<string, AwaitedObject>()
  for (const alert of config.alerts) {
    if (alert.spec.suspend || !hasCommitStatusProvider(alert, config)) continue
    for (const source of alert.spec.eventSources) {
      if (source.name === '*') continue
      const object = {
        kind: source.kind,
        namespace: source.namespace || alert.metadata.namespace,
        name: source.name,
      }
      const id = awaitedId(object)
      if (!found.has(id)) found.set(id, object)
    }
  }
  return [...found.values()]
}

function hasCommitStatusProvider(alert: Alert, config: Config): boolean {
  const provider = config.providers.get(
    namespacedKey(alert.metadata.namespace, alert.spec.providerRef.name),
  )
  return (
    provider !== undefined &&
    !provider.spec.suspend &&
    providerClass(provider.spec.type) === 'commit-status'
  )
}

/** Info reasons that mean the object reconciled the revision it carries. */
const SUCCESS_REASONS = new Set([
  'ReconciliationSucceeded',
  'InstallSucceeded',
  'UpgradeSucceeded',
  'TestSucceeded',
  'NewArtifact',
  'Succeeded',
])

/** Info reasons that mean the revision did not stay: the release went back to an older one. */
const FAILURE_REASONS = new Set(['RollbackSucceeded'])

/** Whether an event settles its object, and how; undefined when it is not final. */
export function finalOutcome(event: FluxEvent): 'succeeded' | 'failed' | undefined {
  if (event.severity === 'error') return 'failed'
  if (event.severity !== 'info') return undefined
  if (FAILURE_REASONS.has(event.reason)) return 'failed'
  if (SUCCESS_REASONS.has(event.reason)) return 'succeeded'
  return undefined
}

const EVENT_PREFIX = `${EVENT_GROUP}/`

/**
 * The lower-case commit SHA an event carries, found as for commit statuses (reference §6.2) on its
 * own metadata: the trusted keys (`cleanupMetadata`) with their prefixes stripped, the object
 * group's keys over `event.toolkit.fluxcd.io/` ones. Undefined when it holds no SHA-1.
 */
export function eventCommitSha(event: FluxEvent): string | undefined {
  const cleaned = cleanupMetadata(event).metadata ?? {}
  const groupPrefix = `${objectGroupOf(event)}/`
  const metadata: Record<string, string> = {}
  for (const [key, value] of Object.entries(cleaned)) {
    if (key.startsWith(EVENT_PREFIX)) metadata[key.slice(EVENT_PREFIX.length)] = value
  }
  for (const [key, value] of Object.entries(cleaned)) {
    if (key.startsWith(groupPrefix)) metadata[key.slice(groupPrefix.length)] = value
  }
  const revision = getRevision({ ...event, metadata })
  if (revision === undefined) return undefined
  const sha = parseRevision(revision)
  return typeof sha === 'string' && SHA1.test(sha) ? sha.toLowerCase() : undefined
}

function isObject(ref: ObjectReference, object: AwaitedObject): boolean {
  return ref.kind === object.kind && ref.namespace === object.namespace && ref.name === object.name
}

/** A fresh tracker: every object waiting. */
export function startAwaiting(objects: readonly AwaitedObject[]): AwaitState[] {
  return objects.map((object) => ({ object, outcome: 'waiting' }))
}

/**
 * Settles the waiting objects that `events` (one complete read of the sources) finish for `sha`.
 * Returns the states that changed (the same objects as in `states`, updated in place).
 */
export function observeEvents(
  states: AwaitState[],
  events: readonly SourcedEvent[],
  sha: string,
): AwaitState[] {
  const changed: AwaitState[] = []
  for (const state of states) {
    if (state.outcome !== 'waiting') continue
    let newest: { sourced: SourcedEvent; outcome: 'succeeded' | 'failed' } | undefined
    for (const sourced of events) {
      const { event } = sourced
      if (!isObject(event.involvedObject, state.object)) continue
      const outcome = finalOutcome(event)
      if (outcome === undefined || eventCommitSha(event) !== sha) continue
      // the newest final event decides; an untimed one counts as newer (it was read later)
      if (!newest || !(sourced.time < newest.sourced.time)) newest = { sourced, outcome }
    }
    if (newest) {
      state.outcome = newest.outcome
      state.reason = newest.sourced.event.reason
      state.time = newest.sourced.time
      changed.push(state)
    }
  }
  return changed
}

export function allSettled(states: readonly AwaitState[]): boolean {
  return states.every((state) => state.outcome !== 'waiting')
}

/** Marks every object still waiting as timed out; returns them. */
export function timeOut(states: AwaitState[]): AwaitState[] {
  const waiting = states.filter((state) => state.outcome === 'waiting')
  for (const state of waiting) state.outcome = 'timed-out'
  return waiting
}

export const PENDING_DESCRIPTION = 'waiting for reconciliation'

/** The description of the status a timed-out object gets, cut like every description. */
export function timeoutDescription(timeoutMs: number, sha: string): string {
  return fitDescription(
    `timed out after ${formatTimeout(timeoutMs)} waiting for reconciliation of ${shortSha(sha)}`,
  )
}

/** `10m`, `3s`, `1h30m`: Go's duration text without the zero units it adds (`10m0s`). */
export function formatTimeout(ms: number): string {
  const text = formatGoDuration(ms)
  return text.replace(/(\d)h0m0s$/, '$1h').replace(/(\d)m0s$/, '$1m')
}

/** Where synthetic events say they come from, in the decision table. */
export const POLL_SOURCE = 'wait-for-revision'

/** The reason poll mode's decision rows carry, before the delivery outcome. */
export const POLL_REASON_PREFIX = 'poll mode'

/**
 * The event that carries a poll-mode status through routing: an `info` event from the object
 * (so it reaches exactly the alerts the object's success would, and the same status context),
 * with the awaited commit in `event.toolkit.fluxcd.io/commit` (so the commit-status gate and
 * SHA extraction see it) and the revision as given in `event.toolkit.fluxcd.io/revision`.
 */
export function syntheticEvent(
  object: AwaitedObject,
  override: StatusOverride,
  revision: string,
  sha: string,
  options: { apiVersion?: string; nowMs: number; index: number },
): SourcedEvent {
  const involvedObject: ObjectReference = {
    kind: object.kind,
    namespace: object.namespace,
    name: object.name,
  }
  if (options.apiVersion !== undefined) involvedObject.apiVersion = options.apiVersion
  const timeMs = Math.floor(options.nowMs / 1000) * 1000
  const event: FluxEvent = {
    involvedObject,
    severity: 'info',
    timestamp: new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    message: override.description,
    reason: override.state === 'pending' ? 'WaitingForReconciliation' : 'ReconciliationTimedOut',
    metadata: {
      [`${EVENT_PREFIX}commit`]: sha,
      [`${EVENT_PREFIX}revision`]: revision,
    },
    reportingController: 'flux-notify',
  }
  return { event, origin: { source: POLL_SOURCE, index: options.index }, time: timeMs }
}

/** What poll mode reports: how each awaited object ended. */
export interface PollReport {
  /** `wait-for-revision` as given */
  revision: string
  sha: string
  timeoutMs: number
  /** reads of the sources done */
  rounds: number
  /** a dry run reads once and never waits: objects may end `waiting` */
  dryRun: boolean
  objects: AwaitState[]
}

/** The `Kind/namespace/name` of every object that ended with `outcome`. */
export function objectsWith(poll: PollReport | undefined, outcome: AwaitOutcome): string[] {
  return (poll?.objects ?? []).filter((s) => s.outcome === outcome).map((s) => awaitedId(s.object))
}
