/**
 * `gitea` commit statuses (reference §6.1, §6.5, §6.6): the event's commit gets a status whose
 * context is the commit-status id, whose state is `success`/`failure` — or `pending` while the
 * object is Progressing, which unlike the other hosts Gitea does get — and whose description is
 * the reason in words. Written only when Gitea does not already show that state and description.
 *
 * Gitea's REST API is spoken directly (no SDK), with the calls the Gitea SDK makes for the
 * controller: `Authorization: token …`, `<host>/api/v1/`, and the server version read once when
 * the client is made.
 */
import { sendRequest } from '../../delivery/http.js'
import type { HttpResponse } from '../../delivery/http.js'
import { goJson } from '../../util/go-json.js'
import type {
  CommitStatusClient,
  CommitStatusModule,
  CurrentStatus,
  DesiredStatus,
  Notification,
  ResolvedProvider,
} from '../types.js'
import { goPathEscape } from '../../util/go-url.js'
import { splitOwnerRepo } from './address.js'
import {
  commitState,
  commitStatusTarget,
  newestFirstById,
  parseObjectList,
  showsSameStatus,
  statusText,
} from './commit-status.js'
import type { CommitStateTable } from './commit-status.js'
import { httpFailure } from './gitlab.js'
import { tokenOrPassword } from './token.js'
import { giteaRepository, validateGitea } from '../validate/git.js'
import type { GiteaRepository } from '../validate/git.js'

export { giteaRepository }
export type { GiteaRepository }

/** The page size the controller asks for, which is also Gitea's default `MAX_RESPONSE_ITEMS`. */
const PAGE_LIMIT = 50

/** Enough pages for 5,000 statuses on one commit; a server that keeps paging past that is broken. */
const MAX_PAGES = 100

/** The oldest Gitea the SDK talks to. */
const MINIMUM_VERSION = [1, 11, 0] as const

/**
 * `toGiteaState`: a Progressing event is `pending` whatever its severity — Gitea, unlike the
 * other hosts, does get Progressing — otherwise info → success and error → failure.
 */
const GITEA_STATES: CommitStateTable = {
  type: 'gitea',
  info: 'success',
  error: 'failure',
  progressing: 'pending',
  noState: "can't convert to gitea state",
  pending: 'pending',
  timedOut: 'error',
}

/** The Gitea state of an event's reason and severity; undefined when it has none. */
export function giteaState(reason: string, severity: string): string | undefined {
  return commitState(reason, severity, GITEA_STATES)
}

/** `owner/repo`: the repository a Gitea status goes to. */
function giteaRepositoryId(address: string): string | { error: string } {
  const repository = giteaRepository(address)
  return 'error' in repository ? repository : `${repository.owner}/${repository.repo}`
}

function desiredStatus(
  notification: Notification,
  context: string,
): DesiredStatus | { skip: string } {
  const target = commitStatusTarget(notification, GITEA_STATES, giteaRepositoryId)
  if ('skip' in target) return target
  // Gitea takes long descriptions, and the controller never shortens them.
  return {
    ...target,
    context,
    description: statusText(notification).description,
  }
}

/**
 * The controller's rule: going from the newest status, entries with an empty context, state or
 * description are passed over; the first with our context decides, and the status is unchanged
 * when its state and description are both equal.
 */
function isUnchanged(desired: DesiredStatus, current: CurrentStatus[]): boolean {
  for (const status of current) {
    if (status.context === '' || status.state === '' || status.description === '') continue
    if (status.context === desired.context) return showsSameStatus(status, desired)
  }
  return false
}

/** A commit status as Gitea lists it; only what we read. Gitea calls the state `status`. */
interface GiteaCommitStatus {
  id?: unknown
  status?: unknown
  description?: unknown
  context?: unknown
}

/**
 * Whether another page follows. Gitea sends `X-Total-Count` and a `Link` header with
 * `rel="next"` on every page but the last. Without headers, a full page means there may be more.
 */
export function giteaHasNextPage(
  headers: Headers | undefined,
  readSoFar: number,
  pageLength: number,
  limit: number,
): boolean {
  if (pageLength === 0) return false
  const total = headers?.get('x-total-count')
  if (total !== null && total !== undefined && /^\s*\d+\s*$/u.test(total)) {
    return readSoFar < Number(total)
  }
  const link = headers?.get('link')
  if (link !== null && link !== undefined) return /\brel="next"/u.test(link)
  return pageLength >= limit
}

/**
 * The text the Gitea SDK gives a failed call: fixed texts for 403, 404 and 409, the body after
 * a 422, otherwise the `message` of Gitea's JSON error body. Failures without an answer keep our
 * HTTP client's text.
 */
export function giteaErrorText(error: unknown): string {
  const failure = httpFailure(error)
  if (!failure) return error instanceof Error ? error.message : String(error)
  switch (failure.status) {
    case 403:
      return '403 Forbidden'
    case 404:
      return '404 Not Found'
    case 409:
      return '409 Conflict'
    case 422:
      return `422 Unprocessable Entity: ${failure.body}`
  }
  try {
    const body: unknown = JSON.parse(failure.body)
    const message = (body as { message?: unknown } | null)?.message
    if (typeof message === 'string') return message
  } catch {
    // not JSON: the SDK's "unknown" error below
  }
  const body = failure.body.trim()
  return `Unknown API Error: ${failure.status}${body === '' ? '' : ` ${body}`}`
}

/** The numeric part of a Gitea version (`1.21.4`, `v1.22.0+dev-12-gabc`), or undefined. */
export function giteaVersionNumbers(version: string): number[] | undefined {
  const match = /^v?(\d+(?:\.\d+)*)(?:[-+~.A-Za-z].*)?$/u.exec(version.trim())
  if (!match) return undefined
  return match[1]!.split('.').map(Number)
}

function olderThan(version: number[], minimum: readonly number[]): boolean {
  for (let i = 0; i < minimum.length; i++) {
    const part = version[i] ?? 0
    if (part !== minimum[i]) return part < minimum[i]!
  }
  return false
}

/**
 * The SDK's `NewClient`: `GET /api/v1/version`, refused when the server cannot say its version or
 * is older than 1.11.0. The controller wraps any failure in `failed creating Gitea client: …`.
 */
async function checkServerVersion(
  provider: ResolvedProvider,
  repository: GiteaRepository,
  token: string,
  signal: AbortSignal,
): Promise<void> {
  let body: string
  try {
    const response = await sendRequest(
      {
        method: 'GET',
        url: `${repository.apiBase}/version`,
        headers: { Authorization: `token ${token}` },
      },
      { signal, connection: provider },
    )
    body = response.body
  } catch (error) {
    throw new Error(`failed creating Gitea client: ${giteaErrorText(error)}`, { cause: error })
  }
  let version = ''
  try {
    const parsed = (JSON.parse(body) as { version?: unknown } | null)?.version
    if (typeof parsed === 'string') version = parsed
  } catch {
    throw new Error('failed creating Gitea client: the version answer is not JSON')
  }
  const numbers = giteaVersionNumbers(version)
  if (numbers === undefined) {
    const why = version.trim() === '' ? 'Malformed version: ' : 'unknown version: '
    throw new Error(`failed creating Gitea client: ${why}${version}`)
  }
  if (olderThan(numbers, MINIMUM_VERSION)) {
    throw new Error(
      `failed creating Gitea client: gitea server at ${repository.host} is older than ${MINIMUM_VERSION.join('.')}`,
    )
  }
}

function repositoryPath(apiBase: string, repository: string): string {
  const { owner, repo } = splitOwnerRepo(repository)
  return `${apiBase}/repos/${goPathEscape(owner)}/${goPathEscape(repo)}`
}

export async function createGiteaStatusClient(
  provider: ResolvedProvider,
): Promise<CommitStatusClient> {
  const repository = giteaRepository(provider.address)
  if ('error' in repository) throw new Error(repository.error)
  const token = tokenOrPassword(provider)
  await checkServerVersion(provider, repository, token, AbortSignal.timeout(provider.timeoutMs))
  const { apiBase } = repository

  return {
    async readStatuses(repositoryId, sha, signal) {
      const listUrl = `${repositoryPath(apiBase, repositoryId)}/commits/${goPathEscape(sha)}/statuses`
      const statuses: Array<CurrentStatus & { id: number }> = []
      for (let page = 1; page <= MAX_PAGES; page++) {
        const url = `${listUrl}?limit=${PAGE_LIMIT}&page=${page}`
        let response: HttpResponse
        try {
          response = await sendRequest(
            { method: 'GET', url, headers: { Authorization: `token ${token}` } },
            { signal, connection: provider },
          )
        } catch (error) {
          throw new Error(`could not list commit statuses: ${giteaErrorText(error)}`, {
            cause: error,
          })
        }
        const items = parseObjectList<GiteaCommitStatus>(response.body)
        if (items === undefined) {
          throw new Error(
            'could not list commit statuses: the answer is not a list of commit statuses',
          )
        }
        for (const item of items) {
          statuses.push({
            id: typeof item.id === 'number' ? item.id : 0,
            context: typeof item.context === 'string' ? item.context : '',
            state: typeof item.status === 'string' ? item.status : '',
            description: typeof item.description === 'string' ? item.description : '',
          })
        }
        if (!giteaHasNextPage(response.headers, statuses.length, items.length, PAGE_LIMIT)) break
      }
      // Gitea lists newest first already; ordering by id keeps that exact for statuses created
      // within the same second, which Gitea's timestamps cannot tell apart.
      return newestFirstById(statuses)
    },

    async writeStatus(status, signal) {
      const url = `${repositoryPath(apiBase, status.repository)}/statuses/${goPathEscape(status.sha)}`
      try {
        await sendRequest(
          {
            method: 'POST',
            url,
            headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
            // the SDK's CreateStatusOption, fields in its order
            body: goJson({
              state: status.state,
              target_url: '',
              description: status.description,
              context: status.context,
            }),
          },
          { signal, connection: provider },
        )
      } catch (error) {
        throw new Error(`could not create commit status: ${giteaErrorText(error)}`, {
          cause: error,
        })
      }
    },
  }
}

export const gitea: CommitStatusModule = {
  type: 'gitea',
  class: 'commit-status',
  validate: validateGitea,
  desiredStatus,
  isUnchanged,
  createClient: createGiteaStatusClient,
}
