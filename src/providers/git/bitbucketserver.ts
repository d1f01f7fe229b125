/**
 * `bitbucketserver` (Bitbucket Server / Data Center) build statuses (reference §6.1, §6.5, §6.6):
 * the key is the hex SHA-1 of the commit-status id, the name `"<lower kind/name> [<desc>]"`, the
 * state `SUCCESSFUL`/`FAILED`, the url the Provider's address as written. Written only when the
 * commit does not already show that key with the same state, description and name.
 *
 * Reading: the controller asks for one key (`GET …/commits/<sha>/builds?key=<key>`) per event. We
 * read the commit's build statuses once per run instead, all pages, from the build-status
 * resource (`GET <context>/rest/build-status/latest/commits/<sha>`, newest first), which is the
 * one Bitbucket pages. Writing is the controller's call byte for byte.
 */
import { sendRequest } from '../../delivery/http.js'
import { goJson } from '../../util/go-json.js'
import type {
  CommitStatusClient,
  CommitStatusModule,
  CurrentStatus,
  DesiredStatus,
  Notification,
  ResolvedProvider,
} from '../types.js'
import {
  errorMessage,
  failedStatusCode,
  goStatusText,
  parseJsonBody,
  sha1Hex,
} from './bitbucket.js'
import { commitStatusTarget, showsSameStatus, statusText } from './commit-status.js'
import type { CommitStateTable } from './commit-status.js'
import {
  bitbucketServerAuthorization,
  bitbucketServerRepository,
  validateBitbucketServer,
} from '../validate/git.js'
import type { BitbucketServerRepository } from '../validate/git.js'

export { bitbucketServerRepository }
export type { BitbucketServerRepository }

/** Build statuses per page we ask for; Bitbucket's own default is 25. */
const PAGE_LIMIT = 100

/** Enough pages for 10,000 build statuses; a server that keeps paging past that is broken. */
const MAX_STATUS_PAGES = 100

/** `<root>/rest/api/latest/projects/<project>/repos/<repo>/commits`, the controller's base. */
export function commitsApiBase(repository: BitbucketServerRepository): string {
  return `${repository.root}/rest/api/latest/projects/${repository.project}/repos/${repository.repo}/commits`
}

/** `toBitbucketServerState`; a Progressing event is not posted, as for GitHub. */
const BITBUCKET_SERVER_STATES: CommitStateTable = {
  type: 'bitbucketserver',
  info: 'SUCCESSFUL',
  error: 'FAILED',
  noState:
    "couldn't convert to bitbucket server state: bitbucket server state generated on info or error events only",
  pending: 'INPROGRESS',
  timedOut: 'FAILED',
}

/** `project/repo`: the repository a Bitbucket Server status goes to. */
function bitbucketServerRepositoryId(address: string): string | { error: string } {
  const repository = bitbucketServerRepository(address)
  return 'error' in repository ? repository : `${repository.project}/${repository.repo}`
}

function desiredStatus(
  notification: Notification,
  context: string,
): DesiredStatus | { skip: string } {
  const target = commitStatusTarget(
    notification,
    BITBUCKET_SERVER_STATES,
    bitbucketServerRepositoryId,
  )
  if ('skip' in target) return target
  const { name, description } = statusText(notification)
  return {
    ...target,
    context: sha1Hex(context),
    description,
    name: `${name} [${description}]`,
    targetUrl: notification.provider.address,
  }
}

/**
 * A duplicate iff the status under our key has the same state, description and name. A key holds
 * one status per commit and repository; the list is newest first, so the first match is it.
 */
function isUnchanged(desired: DesiredStatus, current: CurrentStatus[]): boolean {
  const existing = current.find((status) => status.context === desired.context)
  return showsSameStatus(existing, desired) && existing?.name === desired.name
}

/** One page of `GET /rest/build-status/latest/commits/<sha>`, as far as we read it. */
interface BuildStatusPage {
  values?: Array<{ key?: unknown; state?: unknown; description?: unknown; name?: unknown }>
  isLastPage?: unknown
  nextPageStart?: unknown
}

export function createBitbucketServerStatusClient(
  repository: BitbucketServerRepository,
  provider: ResolvedProvider,
): CommitStatusClient {
  const auth = bitbucketServerAuthorization(provider)
  if (typeof auth !== 'string') throw new Error(auth.error)
  const headers = {
    Authorization: auth,
    'x-atlassian-token': 'no-check',
    'x-requested-with': 'XMLHttpRequest',
  }
  const checkFailed =
    'could not get existing commit status: failed api call to check duplicate commit status'

  return {
    async readStatuses(_repository, sha, signal) {
      const statuses: CurrentStatus[] = []
      let start = 0
      for (let page = 1; page <= MAX_STATUS_PAGES; page++) {
        const url =
          `${repository.root}/rest/build-status/latest/commits/${encodeURIComponent(sha)}` +
          `?start=${start}&limit=${PAGE_LIMIT}`
        let body: string
        try {
          ;({ body } = await sendRequest(
            { method: 'GET', url, headers },
            { signal, connection: provider },
          ))
        } catch (error) {
          const code = failedStatusCode(error)
          // as for the controller's read by key, 404 means "nothing there yet"
          if (code === 404 && statuses.length === 0) return []
          const why = code !== undefined ? `${code} - ${goStatusText(code)}` : errorMessage(error)
          throw new Error(`${checkFailed}: ${why}`, { cause: error })
        }
        const parsed = parseJsonBody(body)
        if ('error' in parsed) {
          throw new Error(
            'could not get existing commit status: could not unmarshal json response body for duplicate commit status: ' +
              parsed.error,
          )
        }
        const data = parsed.value as BuildStatusPage
        const values = Array.isArray(data.values) ? data.values : []
        for (const value of values) {
          if (typeof value.key !== 'string' || typeof value.state !== 'string') continue
          const status: CurrentStatus = {
            context: value.key,
            state: value.state,
            description: typeof value.description === 'string' ? value.description : '',
          }
          if (typeof value.name === 'string') status.name = value.name
          statuses.push(status)
        }
        const next = data.nextPageStart
        if (data.isLastPage !== false || typeof next !== 'number' || next <= start) break
        start = next
      }
      return statuses
    },

    async writeStatus(status, signal) {
      // the controller's bbServerBuildStatusSetRequest, written by json.Encoder (trailing \n)
      const body =
        goJson({
          description: status.description === '' ? undefined : status.description,
          key: status.context,
          name: status.name === '' ? undefined : status.name,
          state: status.state,
          url: status.targetUrl ?? provider.address,
        }) + '\n'
      try {
        await sendRequest(
          {
            method: 'POST',
            url: `${commitsApiBase(repository)}/${encodeURIComponent(status.sha)}/builds`,
            headers: { ...headers, 'Content-Type': 'application/json' },
            body,
          },
          { signal, connection: provider },
        )
      } catch (error) {
        const code = failedStatusCode(error)
        const why =
          code !== undefined
            ? `could not post build commit status: ${code} - ${goStatusText(code)}`
            : errorMessage(error)
        throw new Error(`could not post build status: ${why}`, { cause: error })
      }
    },
  }
}

export const bitbucketServer: CommitStatusModule = {
  type: 'bitbucketserver',
  class: 'commit-status',
  validate: validateBitbucketServer,
  desiredStatus,
  isUnchanged,
  async createClient(provider) {
    const repository = bitbucketServerRepository(provider.address)
    if ('error' in repository) throw new Error(repository.error)
    return createBitbucketServerStatusClient(repository, provider)
  },
}
