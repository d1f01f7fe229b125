/**
 * `gitlab` commit statuses (reference §6.1, §6.5, §6.6): the event's commit gets an external
 * status whose `name` is the commit-status id, whose state is `success`/`failed` and whose
 * description is the reason in words. Written only when GitLab does not already show it.
 *
 * GitLab's REST API is spoken directly (no SDK), with the calls and headers client-go makes:
 * `PRIVATE-TOKEN`, `<host>/api/v4/`, the project id path-escaped as one segment.
 */
import { SendError, sendRequest } from '../../delivery/http.js'
import type { HttpResponse } from '../../delivery/http.js'
import { goJson } from '../../util/go-json.js'
import type {
  CommitStatusClient,
  CommitStatusModule,
  CurrentStatus,
  DesiredStatus,
  HttpRequestSpec,
  Notification,
  ResolvedProvider,
} from '../types.js'
import { goPathEscape } from '../../util/go-url.js'
import { parseGitAddress } from './address.js'
import {
  commitState,
  commitStatusTarget,
  newestFirstById,
  parseObjectList,
  showsSameStatus,
  statusText,
} from './commit-status.js'
import type { CommitStateTable } from './commit-status.js'
import { tokenOrPassword } from './token.js'
import { validateGitLab } from '../validate/git.js'

/** GitLab's largest page. */
const PER_PAGE = 100

/** Enough pages for 10,000 statuses on one commit; a server that keeps paging past that is broken. */
const MAX_PAGES = 100

/** client-go's User-Agent. */
const USER_AGENT = 'go-gitlab'

export interface GitLabProject {
  /** the REST API root with no trailing slash: `<host>/api/v4` */
  apiBase: string
  /** the project path with all its subgroups (`group/sub/project`), or a numeric id */
  projectId: string
}

/**
 * A `gitlab` address: the host gives the API root and the whole path (any depth of subgroups) is
 * the project id. There is nothing to reject: the controller accepts any address here.
 */
export function gitlabProject(address: string): GitLabProject {
  const { host, id } = parseGitAddress(address)
  return { apiBase: `${host}/api/v4`, projectId: id }
}

/**
 * client-go's escaping of a project id: `url.PathEscape`, and `.` as `%2E` too, because GitLab
 * (Rails) would read a dot in a path segment as a format suffix (`group/app.json`).
 */
export function gitlabPathEscape(segment: string): string {
  return goPathEscape(segment).replaceAll('.', '%2E')
}

/**
 * `toGitLabState`. As for GitHub, a Progressing event would mark the commit done too early:
 * nothing is posted.
 */
const GITLAB_STATES: CommitStateTable = {
  type: 'gitlab',
  info: 'success',
  error: 'failed',
  noState: "can't convert to gitlab state",
  pending: 'pending',
  timedOut: 'failed',
}

/** `toGitLabState`: info → success, error → failed; anything else has no GitLab state. */
export function gitlabState(severity: string): string | undefined {
  return commitState('', severity, GITLAB_STATES)
}

function desiredStatus(
  notification: Notification,
  context: string,
): DesiredStatus | { skip: string } {
  const target = commitStatusTarget(
    notification,
    GITLAB_STATES,
    (address) => gitlabProject(address).projectId,
  )
  if ('skip' in target) return target
  // GitLab takes long descriptions, and the controller never shortens them.
  return {
    ...target,
    context,
    description: statusText(notification).description,
  }
}

/**
 * The controller skips the write when a status of the commit has the same name, state and
 * description. It reads only the first page filtered by name, which holds the latest status of
 * that name per pipeline; we compare with the newest status of that name (`current` is newest
 * first), so an older equal status under a newer different one does not hide a change.
 */
function isUnchanged(desired: DesiredStatus, current: CurrentStatus[]): boolean {
  return showsSameStatus(
    current.find((status) => status.context === desired.context),
    desired,
  )
}

/** A commit status as GitLab lists it; only what we read. */
interface GitLabCommitStatus {
  id?: unknown
  name?: unknown
  status?: unknown
  description?: unknown
}

/**
 * The page after `page`, or undefined on the last one. GitLab says so in `X-Next-Page` (empty on
 * the last page, and always sent, unlike `X-Total-Pages`, which very large lists omit). Without
 * headers, a page shorter than `perPage` is the last.
 */
export function gitlabNextPage(
  headers: Headers | undefined,
  page: number,
  pageLength: number,
  perPage: number,
): number | undefined {
  const next = headers?.get('x-next-page')
  if (next !== null && next !== undefined) {
    const value = Number.parseInt(next.trim(), 10)
    return Number.isNaN(value) || value <= page ? undefined : value
  }
  const totalPages = headers?.get('x-total-pages')
  if (totalPages !== null && totalPages !== undefined && totalPages.trim() !== '') {
    const total = Number.parseInt(totalPages.trim(), 10)
    if (!Number.isNaN(total)) return page < total ? page + 1 : undefined
  }
  return pageLength < perPage || pageLength === 0 ? undefined : page + 1
}

/**
 * The text client-go gives a failed call: `GET <url>: <code> <message>`, the URL with its path
 * unescaped, the message from GitLab's JSON error body (`{message: 401 Unauthorized}`). A 404 is
 * client-go's plain `404 Not Found`. Failures without an answer keep our HTTP client's text.
 */
export function gitlabErrorText(method: string, url: string, error: unknown): string {
  const failure = httpFailure(error)
  if (!failure) return error instanceof Error ? error.message : String(error)
  if (failure.status === 404) return '404 Not Found'
  const parsed = new URL(url)
  let path = parsed.pathname
  try {
    path = decodeURIComponent(path)
  } catch {
    // keep the escaped path, as Go keeps the original on a bad escape
  }
  const where = `${method} ${parsed.protocol}//${parsed.host}${path}: ${failure.status}`
  if (failure.body.trim() === '') return where
  let message: string
  try {
    message = clientGoErrorMessage(JSON.parse(failure.body))
  } catch {
    message = `failed to parse unknown error format: ${failure.body}`
  }
  return `${where} ${message}`
}

/** client-go's `parseError`: strings as they are, lists in `[…]`, objects as sorted `{k: v}`. */
function clientGoErrorMessage(raw: unknown): string {
  if (typeof raw === 'string') return raw
  if (Array.isArray(raw)) return `[${raw.map(clientGoErrorMessage).join(', ')}]`
  if (raw !== null && typeof raw === 'object') {
    return Object.entries(raw)
      .map(([key, value]) => `{${key}: ${clientGoErrorMessage(value)}}`)
      .sort()
      .join(', ')
  }
  return `failed to parse unexpected error type: ${goTypeName(raw)}`
}

function goTypeName(value: unknown): string {
  if (value === null) return '<nil>'
  if (typeof value === 'number') return 'float64'
  if (typeof value === 'boolean') return 'bool'
  return typeof value
}

/**
 * The status and body of an answer that was not 2xx (and not retried), read back from the text of
 * `sendRequest`'s error, which carries no fields for them. Undefined for any other failure.
 */
export function httpFailure(error: unknown): { status: number; body: string } | undefined {
  if (!(error instanceof SendError)) return undefined
  const match = /^request failed with status code (\d{3}): ([\s\S]*)$/u.exec(error.message)
  if (!match) return undefined
  return { status: Number(match[1]), body: match[2]! }
}

export function createGitLabStatusClient(provider: ResolvedProvider): CommitStatusClient {
  const { apiBase } = gitlabProject(provider.address)
  const token = tokenOrPassword(provider)
  const projectBase = (projectId: string) => `${apiBase}/projects/${gitlabPathEscape(projectId)}`

  return {
    async readStatuses(repository, sha, signal) {
      const statuses: Array<CurrentStatus & { id: number }> = []
      const listUrl = `${projectBase(repository)}/repository/commits/${goPathEscape(sha)}/statuses`
      let page: number | undefined = 1
      for (let count = 0; page !== undefined && count < MAX_PAGES; count++) {
        const url = `${listUrl}?page=${page}&per_page=${PER_PAGE}`
        let response: HttpResponse
        try {
          response = await sendRequest(
            {
              method: 'GET',
              url,
              headers: {
                Accept: 'application/json',
                'PRIVATE-TOKEN': token,
                'User-Agent': USER_AGENT,
              },
            },
            { signal, connection: provider },
          )
        } catch (error) {
          throw new Error(`unable to list commit status: ${gitlabErrorText('GET', url, error)}`, {
            cause: error,
          })
        }
        const items = parseObjectList<GitLabCommitStatus>(response.body)
        if (items === undefined) {
          throw new Error(
            `unable to list commit status: GET ${url}: the answer is not a list of commit statuses`,
          )
        }
        for (const item of items) {
          statuses.push({
            id: typeof item.id === 'number' ? item.id : 0,
            context: typeof item.name === 'string' ? item.name : '',
            state: typeof item.status === 'string' ? item.status : '',
            description: typeof item.description === 'string' ? item.description : '',
          })
        }
        page = gitlabNextPage(response.headers, page, items.length, PER_PAGE)
      }
      // GitLab lists oldest first by default (and only newer GitLab versions take `sort`); the
      // ids grow with time, so sorting by id gives the newest first on every version.
      return newestFirstById(statuses)
    },

    async writeStatus(status, signal) {
      const url = `${projectBase(status.repository)}/statuses/${goPathEscape(status.sha)}`
      const request: HttpRequestSpec = {
        method: 'POST',
        url,
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/json',
          'PRIVATE-TOKEN': token,
          'User-Agent': USER_AGENT,
        },
        // client-go's SetCommitStatusOptions, fields in its order
        body: goJson({
          state: status.state,
          name: status.context,
          description: status.description,
        }),
      }
      try {
        await sendRequest(request, { signal, connection: provider })
      } catch (error) {
        // the controller returns client-go's error unwrapped; it names the call and the answer
        throw new Error(gitlabErrorText('POST', url, error), { cause: error })
      }
    },
  }
}

export const gitlab: CommitStatusModule = {
  type: 'gitlab',
  class: 'commit-status',
  validate: validateGitLab,
  desiredStatus,
  isUnchanged,
  createClient(provider) {
    return Promise.resolve(createGitLabStatusClient(provider))
  },
}
