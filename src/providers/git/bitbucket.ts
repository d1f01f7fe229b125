/**
 * `bitbucket` (Bitbucket Cloud) commit statuses (reference §6.1, §6.5, §6.6): a build status whose
 * `key` is the hex SHA-1 of the commit-status id, state `SUCCESSFUL`/`FAILED`, name
 * `lower(kind/name)`, the reason in words as description and the constant url
 * `https://bitbucket.org`. Written only when the commit does not already show that state and
 * description under that key.
 *
 * The API is always `https://api.bitbucket.org/2.0` (the address host only names the repository),
 * unless the environment variable `BITBUCKET_API_BASE_URL` says otherwise, as in go-bitbucket,
 * the controller's client. That is also how tests point the provider at a loopback server.
 */
import type { ProviderConnection } from '../../delivery/transport.js'
import { createHash } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { MAX_BODY_BYTES, sendRequest, SendError } from '../../delivery/http.js'
import { goJson } from '../../util/go-json.js'
import type {
  CommitStatusClient,
  CommitStatusModule,
  CurrentStatus,
  DesiredStatus,
  Notification,
} from '../types.js'
import { splitOwnerRepo } from './address.js'
import { commitStatusTarget, showsSameStatus, statusText } from './commit-status.js'
import type { CommitStateTable } from './commit-status.js'
import {
  BITBUCKET_API_BASE_URL,
  bitbucketApiBase,
  bitbucketCredentials,
  bitbucketRepository,
  validateBitbucket,
} from '../validate/git.js'
import type { Credentials } from '../validate/git.js'

export { BITBUCKET_API_BASE_URL }
export type { Credentials }

/** The link the controller puts on every Bitbucket Cloud status. */
export const BITBUCKET_STATUS_URL = 'https://bitbucket.org'

/** Statuses per page we ask for: 50 entries stay well under the size of body we read. */
const PAGE_LENGTH = 50

/** Enough pages for 5,000 statuses; a server that keeps sending pages past that is broken. */
const MAX_STATUS_PAGES = 100

/** `sha1String`: the hex SHA-1 of the id's UTF-8 bytes, Bitbucket's status `key`. */
export function sha1Hex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex')
}

/**
 * The HTTP status of a request `sendRequest` gave up on because the host answered non-2xx (and
 * not retryably), or undefined for any other failure.
 */
export function failedStatusCode(error: unknown): number | undefined {
  if (!(error instanceof SendError)) return undefined
  const match = /^request failed with status code (\d{3}): /u.exec(error.message)
  return match ? Number(match[1]) : undefined
}

/** Go's `http.StatusText` where it words a 4xx differently from Node's table. */
const GO_STATUS_TEXT: Readonly<Record<number, string>> = {
  413: 'Request Entity Too Large',
  414: 'Request URI Too Long',
  416: 'Requested Range Not Satisfiable',
  418: "I'm a teapot",
}

/** Go's `http.StatusText(code)`. */
export function goStatusText(code: number): string {
  return GO_STATUS_TEXT[code] ?? STATUS_CODES[code] ?? ''
}

/**
 * `JSON.parse` with Go's `encoding/json` wording for the failure users meet most, an empty body
 * (`unexpected end of JSON input`); other syntax errors keep JavaScript's text.
 */
export function parseJsonBody(body: string): { value: unknown } | { error: string } {
  // sendRequest keeps at most MAX_BODY_BYTES of a body: a longer one arrives cut off
  if (Buffer.byteLength(body, 'utf8') >= MAX_BODY_BYTES) {
    return { error: `response body larger than ${MAX_BODY_BYTES / 1024} KiB` }
  }
  try {
    return { value: JSON.parse(body) as unknown }
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error)
    if (body.trim() === '' || /end of (JSON )?input/iu.test(text)) {
      return { error: 'unexpected end of JSON input' }
    }
    return { error: text }
  }
}

/** `toBitbucketState`; a Progressing event is not posted, as for GitHub. */
const BITBUCKET_STATES: CommitStateTable = {
  type: 'bitbucket',
  info: 'SUCCESSFUL',
  error: 'FAILED',
  noState: "can't convert to bitbucket state",
  pending: 'INPROGRESS',
  timedOut: 'FAILED',
}

/** `owner/repo_slug`: the repository a Bitbucket status goes to. */
function bitbucketRepositoryId(address: string): string | { error: string } {
  const repository = bitbucketRepository(address)
  return 'error' in repository ? repository : `${repository.owner}/${repository.repo}`
}

function desiredStatus(
  notification: Notification,
  context: string,
): DesiredStatus | { skip: string } {
  const target = commitStatusTarget(notification, BITBUCKET_STATES, bitbucketRepositoryId)
  if ('skip' in target) return target
  const { name, description } = statusText(notification)
  return {
    ...target,
    context: sha1Hex(context),
    description,
    name,
    targetUrl: BITBUCKET_STATUS_URL,
  }
}

/**
 * The controller reads the status under our key and does nothing when its state and description
 * are both equal. A key holds one status per commit (a POST with the same key replaces it).
 */
function isUnchanged(desired: DesiredStatus, current: CurrentStatus[]): boolean {
  return showsSameStatus(
    current.find((status) => status.context === desired.context),
    desired,
  )
}

/** One page of `GET …/commit/{sha}/statuses`, as far as we read it. */
interface StatusPage {
  values?: Array<{ key?: unknown; state?: unknown; description?: unknown; name?: unknown }>
  next?: unknown
}

export function createBitbucketStatusClient(
  base: string,
  creds: Credentials,
  connection?: ProviderConnection,
): CommitStatusClient {
  const authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`
  const commitUrl = (repository: string, sha: string) => {
    const { owner, repo } = splitOwnerRepo(repository)
    return (
      `${base}/repositories/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}` +
      `/commit/${encodeURIComponent(sha)}`
    )
  }
  const baseOrigin = new URL(base).origin

  return {
    async readStatuses(repository, sha, signal) {
      const statuses: CurrentStatus[] = []
      // All statuses of the commit, page by page (the controller reads only the one under its
      // key, once per event): one read per commit serves every key.
      let url: string | undefined = `${commitUrl(repository, sha)}/statuses?pagelen=${PAGE_LENGTH}`
      for (let page = 1; url !== undefined && page <= MAX_STATUS_PAGES; page++) {
        let body: string
        try {
          ;({ body } = await sendRequest(
            {
              method: 'GET',
              url,
              headers: { Authorization: authorization, Accept: 'application/json' },
            },
            { signal, connection },
          ))
        } catch (error) {
          // As for the controller's read by key, 404 means "no status here yet": the write
          // that follows says what is really wrong, if anything.
          if (failedStatusCode(error) === 404 && statuses.length === 0) return []
          throw new Error(`could not get commit status: ${errorMessage(error)}`, { cause: error })
        }
        const parsed = parseJsonBody(body)
        if ('error' in parsed) throw new Error(`could not get commit status: ${parsed.error}`)
        const data = parsed.value as StatusPage
        for (const value of Array.isArray(data.values) ? data.values : []) {
          if (typeof value.key !== 'string' || typeof value.state !== 'string') continue
          const status: CurrentStatus = {
            context: value.key,
            state: value.state,
            description: typeof value.description === 'string' ? value.description : '',
          }
          if (typeof value.name === 'string') status.name = value.name
          statuses.push(status)
        }
        url = nextPageUrl(data.next, baseOrigin)
      }
      return statuses
    },

    async writeStatus(status, signal) {
      // go-bitbucket's CommitStatusOptions, in its field order, nothing omitted
      const body = goJson({
        key: status.context,
        url: status.targetUrl ?? BITBUCKET_STATUS_URL,
        state: status.state,
        name: status.name ?? '',
        description: status.description,
      })
      try {
        await sendRequest(
          {
            method: 'POST',
            url: `${commitUrl(status.repository, status.sha)}/statuses/build`,
            headers: { Authorization: authorization, 'Content-Type': 'application/json' },
            body,
          },
          { signal, connection },
        )
      } catch (error) {
        throw new Error(`could not set commit status: ${errorMessage(error)}`, { cause: error })
      }
    },
  }
}

/**
 * The `next` link of a page, only when it points back at the API we were given: a body must not
 * be able to send our credentials to another host.
 */
function nextPageUrl(next: unknown, origin: string): string | undefined {
  if (typeof next !== 'string' || next === '') return undefined
  try {
    return new URL(next).origin === origin ? next : undefined
  } catch {
    return undefined
  }
}

/** An error's message, or the thrown value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export const bitbucket: CommitStatusModule = {
  type: 'bitbucket',
  class: 'commit-status',
  validate: validateBitbucket,
  desiredStatus,
  isUnchanged,
  async createClient(provider) {
    const problem = validateBitbucket(provider)
    if (problem !== undefined) throw new Error(problem)
    const creds = bitbucketCredentials(provider.token) as Credentials
    return createBitbucketStatusClient(bitbucketApiBase() as string, creds, provider)
  },
}
