/**
 * Bitbucket Cloud's REST API 2.0 on 127.0.0.1, as far as commit statuses go: a `bitbucket`
 * Provider reaches it through `BITBUCKET_API_BASE_URL=<apiUrl>`.
 *
 * Served as Bitbucket documents them (developer.atlassian.com, "Commit statuses"):
 * - `GET  /2.0/repositories/{workspace}/{repo}/commit/{sha}/statuses`: paginated, `pagelen`
 *   (default 10, at most 100) and `page`, the body carrying `size`, `page`, `pagelen`, `values` and
 *   an absolute `next` link while more pages follow;
 * - `GET  /2.0/repositories/{workspace}/{repo}/commit/{sha}/statuses/build/{key}`: one status, 404
 *   when there is none under that key;
 * - `POST /2.0/repositories/{workspace}/{repo}/commit/{sha}/statuses/build`: creates the status,
 *   or replaces the one with the same key; `key`, `state` and `url` are required.
 * Errors are Bitbucket's JSON `{"type":"error","error":{"message":…}}`. Every request is recorded.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { startJsonServer } from './http-fake.js'

export interface FakeBitbucketRequest {
  method: string
  /** path and query as received */
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** what the fake answered */
  status?: number
}

export interface BitbucketStatus {
  key: string
  state: string
  name: string
  description: string
  url: string
  created_on: string
  updated_on: string
}

export interface BitbucketStatusInput {
  key: string
  state: string
  name?: string
  description?: string
  url?: string
}

export interface BitbucketFailure {
  status: number
  headers?: Record<string, string>
  /** default: Bitbucket's error JSON for the status */
  body?: string
}

export interface FakeBitbucket {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** `${url}/2.0`: the value for `BITBUCKET_API_BASE_URL` */
  apiUrl: string
  requests: FakeBitbucketRequest[]
  seedStatus(repository: string, sha: string, status: BitbucketStatusInput): BitbucketStatus
  /** statuses of a commit, in creation order (a replaced status keeps its place) */
  statuses(repository: string, sha: string): BitbucketStatus[]
  /** the next `count` requests get this answer instead */
  failNext(count: number, failure: BitbucketFailure): void
  close(): Promise<void>
}

export interface FakeBitbucketOptions {
  /** when set, only Basic auth with these credentials is accepted (401 otherwise) */
  credentials?: { username: string; password: string }
  /** when set, only these commits exist: the status routes of any other answer 404 */
  commits?: string[]
  /** the origin written into `next` links (default this server's), to play a hostile body */
  nextOrigin?: string
}

const STATES = new Set(['SUCCESSFUL', 'FAILED', 'INPROGRESS', 'STOPPED'])

const STATUS_ROUTE =
  /^\/2\.0\/repositories\/([^/]+)\/([^/]+)\/commit\/([^/]+)\/statuses(?:\/build(?:\/([^/]+))?)?\/?$/u

interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

function bitbucketError(status: number, message: string, fields?: Record<string, string[]>) {
  const error: Record<string, unknown> = { message }
  if (fields) error.fields = fields
  return { status, body: { type: 'error', error } }
}

export async function startFakeBitbucket(
  options: FakeBitbucketOptions = {},
): Promise<FakeBitbucket> {
  const store = new Map<string, BitbucketStatus[]>()
  let origin = ''

  const storeKey = (repository: string, sha: string) => `${repository}@${sha}`
  const setStatus = (repository: string, sha: string, input: BitbucketStatusInput) => {
    const list = store.get(storeKey(repository, sha)) ?? []
    store.set(storeKey(repository, sha), list)
    const now = new Date().toISOString()
    const existing = list.find((s) => s.key === input.key)
    const status: BitbucketStatus = {
      key: input.key,
      state: input.state,
      name: input.name ?? '',
      description: input.description ?? '',
      url: input.url ?? '',
      created_on: existing?.created_on ?? now,
      updated_on: now,
    }
    if (existing) Object.assign(existing, status)
    else list.push(status)
    return existing ?? status
  }

  /** A status as the API shows it, with the fields Bitbucket adds. */
  const view = (repository: string, sha: string, s: BitbucketStatus) => ({
    key: s.key,
    type: 'build',
    state: s.state,
    name: s.name,
    description: s.description,
    url: s.url,
    refname: null,
    created_on: s.created_on,
    updated_on: s.updated_on,
    links: {
      self: {
        href: `${origin}/2.0/repositories/${repository}/commit/${sha}/statuses/build/${s.key}`,
      },
      commit: { href: `${origin}/2.0/repositories/${repository}/commit/${sha}` },
    },
  })

  const authorized = (headers: IncomingHttpHeaders): boolean => {
    if (!options.credentials) return true
    const { username, password } = options.credentials
    const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
    return headers.authorization === expected
  }

  const handle = (method: string, url: URL, headers: IncomingHttpHeaders, raw: string): Reply => {
    const route = STATUS_ROUTE.exec(url.pathname)
    if (!route) return bitbucketError(404, 'Resource not found')
    if (!authorized(headers))
      return bitbucketError(401, 'Access denied. You must have write or admin access.')
    const [, workspace, repo, sha, key] = route
    const repository = `${workspace}/${repo}`
    if (options.commits && !options.commits.includes(sha!)) {
      return bitbucketError(404, `Commit not found: ${sha}`)
    }
    const list = store.get(storeKey(repository, sha!)) ?? []
    const isBuild = url.pathname.includes('/statuses/build')

    if (method === 'GET' && !isBuild) {
      const pagelenRaw = Number.parseInt(url.searchParams.get('pagelen') ?? '10', 10)
      const pageRaw = Number.parseInt(url.searchParams.get('page') ?? '1', 10)
      const pagelen = Number.isNaN(pagelenRaw) || pagelenRaw < 1 ? 10 : Math.min(pagelenRaw, 100)
      const page = Number.isNaN(pageRaw) || pageRaw < 1 ? 1 : pageRaw
      const values = list.slice((page - 1) * pagelen, page * pagelen)
      const body: Record<string, unknown> = {
        pagelen,
        size: list.length,
        page,
        values: values.map((s) => view(repository, sha!, s)),
      }
      if (page * pagelen < list.length) {
        const next = new URL(
          `${url.pathname}?pagelen=${pagelen}&page=${page + 1}`,
          options.nextOrigin ?? origin,
        )
        body.next = next.href
      }
      return { status: 200, body }
    }
    if (method === 'GET' && key !== undefined) {
      const found = list.find((s) => s.key === decodeURIComponent(key))
      if (!found) return bitbucketError(404, 'Commit status not found')
      return { status: 200, body: view(repository, sha!, found) }
    }
    if (method === 'POST' && isBuild && key === undefined) {
      let input: Record<string, unknown>
      try {
        input = JSON.parse(raw) as Record<string, unknown>
      } catch {
        return bitbucketError(400, 'Invalid JSON in request body')
      }
      const fields: Record<string, string[]> = {}
      for (const field of ['key', 'state', 'url']) {
        if (typeof input[field] !== 'string' || input[field] === '') {
          fields[field] = ['This field is required.']
        }
      }
      if (typeof input.state === 'string' && input.state !== '' && !STATES.has(input.state)) {
        fields.state = [`"${input.state}" is not a valid choice.`]
      }
      if (Object.keys(fields).length > 0) return bitbucketError(400, 'Bad request', fields)
      const stored = setStatus(repository, sha!, {
        key: input.key as string,
        state: input.state as string,
        url: input.url as string,
        name: typeof input.name === 'string' ? input.name : '',
        description: typeof input.description === 'string' ? input.description : '',
      })
      return { status: 201, body: view(repository, sha!, stored) }
    }
    return bitbucketError(405, `Method ${method} not allowed`)
  }

  const server = await startJsonServer({
    contentType: 'application/json; charset=utf-8',
    failureBody: (status) => JSON.stringify(bitbucketError(status, 'Injected failure').body),
    handle: (record, base) =>
      handle(record.method, new URL(record.path, base), record.headers, record.body),
  })
  origin = server.url

  return {
    url: origin,
    apiUrl: `${origin}/2.0`,
    requests: server.requests,
    seedStatus: (repository, sha, status) => ({ ...setStatus(repository, sha, status) }),
    statuses: (repository, sha) =>
      (store.get(storeKey(repository, sha)) ?? []).map((s) => ({ ...s })),
    failNext: server.failNext,
    close: server.close,
  }
}
