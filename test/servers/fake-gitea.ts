/**
 * A Gitea REST API (v1) on 127.0.0.1 serving commit statuses, answering as Gitea's API
 * description (`/api/swagger`) documents it:
 *
 * - `GET /api/v1/version` → `{"version":"…"}`.
 * - `GET /api/v1/repos/{owner}/{repo}/commits/{ref}/statuses`: `page` (from 1) and `limit`
 *   (default `DEFAULT_PAGING_NUM` 30, at most `MAX_RESPONSE_ITEMS` 50), newest first, with the
 *   `X-Total-Count` and `Link` headers Gitea sends.
 * - `POST /api/v1/repos/{owner}/{repo}/statuses/{sha}` with `state`, `target_url`, `description`,
 *   `context` → 201 and the status. Gitea calls the state `status` in what it returns.
 * - `Authorization: token <t>`; errors are Gitea's JSON `{"message":"…","url":"<swagger>"}`.
 *
 * Every request is recorded with its raw path.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { startJsonServer } from './http-fake.js'

export interface GiteaRequest {
  method: string
  /** path and query exactly as received */
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** what the fake answered */
  status?: number
}

export interface GiteaStatus {
  id: number
  status: string
  target_url: string
  description: string
  context: string
  created_at: string
}

export interface GiteaStatusInput {
  context: string
  state: string
  description?: string
}

export interface InjectedGiteaFailure {
  status: number
  body: string
  headers?: Record<string, string>
}

export interface FakeGitea {
  /** `http://127.0.0.1:<port>`: a Provider address is `${url}/owner/repo` */
  url: string
  requests: GiteaRequest[]
  /** creates the repository (`owner/repo`) when needed */
  seedStatus(repo: string, sha: string, input: GiteaStatusInput): GiteaStatus
  /** statuses of a commit in creation order */
  statuses(repo: string, sha: string): GiteaStatus[]
  /** the next `count` requests get this answer instead */
  failNext(count: number, failure: InjectedGiteaFailure): void
  close(): Promise<void>
}

export interface FakeGiteaOptions {
  /** the only accepted token (default `gitea-test`) */
  token?: string
  /** what `/api/v1/version` says (default `1.21.4`) */
  version?: string
  /** the server's `MAX_RESPONSE_ITEMS` (default 50) */
  maxResponseItems?: number
  /** repositories that exist without a seeded status */
  repositories?: string[]
}

const VALID_STATES = new Set(['pending', 'success', 'error', 'failure', 'warning'])

const CREATOR = {
  id: 1,
  login: 'flux-bot',
  full_name: 'Flux Bot',
  email: 'flux-bot@noreply.example.com',
  avatar_url: 'https://gitea.example.com/avatars/1',
  username: 'flux-bot',
}

function giteaTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/u, 'Z')
}

export async function startFakeGitea(options: FakeGiteaOptions = {}): Promise<FakeGitea> {
  const token = options.token ?? 'gitea-test'
  const maxItems = options.maxResponseItems ?? 50
  const repositories = new Set((options.repositories ?? []).map((r) => r.toLowerCase()))
  const store = new Map<string, GiteaStatus[]>()
  let nextId = 1
  let baseUrl = ''

  const storeKey = (repo: string, sha: string) => `${repo.toLowerCase()}@${sha}`
  const addStatus = (repo: string, sha: string, input: GiteaStatusInput): GiteaStatus => {
    repositories.add(repo.toLowerCase())
    const status: GiteaStatus = {
      id: nextId++,
      status: input.state,
      target_url: '',
      description: input.description ?? '',
      context: input.context,
      created_at: giteaTime(Date.now()),
    }
    const key = storeKey(repo, sha)
    store.set(key, [...(store.get(key) ?? []), status])
    return status
  }
  const view = (repo: string, sha: string, s: GiteaStatus) => ({
    id: s.id,
    status: s.status,
    target_url: s.target_url,
    description: s.description,
    url: `${baseUrl}/api/v1/repos/${repo}/statuses/${sha}`,
    context: s.context,
    creator: CREATOR,
    created_at: s.created_at,
    updated_at: s.created_at,
  })

  interface Reply {
    status: number
    body: unknown
    headers?: Record<string, string>
  }
  const apiError = (status: number, message: string): Reply => ({
    status,
    body: { message, url: `${baseUrl}/api/swagger` },
  })
  const notFound = (): Reply => ({
    status: 404,
    body: {
      errors: [],
      message: 'The target couldn\u0027t be found.',
      url: `${baseUrl}/api/swagger`,
    },
  })

  const listStatuses = (repo: string, sha: string, url: URL): Reply => {
    // newest first: Gitea's default order is by creation time, descending
    const list = [...(store.get(storeKey(repo, sha)) ?? [])].reverse()
    const limitRaw = Number.parseInt(url.searchParams.get('limit') ?? '', 10)
    const pageRaw = Number.parseInt(url.searchParams.get('page') ?? '', 10)
    const limit = Number.isNaN(limitRaw) || limitRaw < 1 ? 30 : Math.min(limitRaw, maxItems)
    const page = Number.isNaN(pageRaw) || pageRaw < 1 ? 1 : pageRaw
    const last = Math.max(1, Math.ceil(list.length / limit))
    const at = (n: number) => {
      const link = new URL(url.pathname, baseUrl)
      link.searchParams.set('limit', String(limit))
      link.searchParams.set('page', String(n))
      return `<${link.href}>`
    }
    const links: string[] = []
    if (page < last) links.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`)
    if (page > 1) links.push(`${at(1)}; rel="first"`, `${at(page - 1)}; rel="prev"`)
    const headers: Record<string, string> = {
      'x-total-count': String(list.length),
      'access-control-expose-headers': 'X-Total-Count, Link',
    }
    if (links.length > 0) headers.link = links.join(',')
    return {
      status: 200,
      body: list.slice((page - 1) * limit, page * limit).map((s) => view(repo, sha, s)),
      headers,
    }
  }

  const createStatus = (repo: string, sha: string, rawBody: string): Reply => {
    let input: Record<string, unknown>
    try {
      input = JSON.parse(rawBody) as Record<string, unknown>
    } catch {
      return apiError(422, 'invalid JSON body')
    }
    if (typeof input.state !== 'string' || !VALID_STATES.has(input.state)) {
      return { status: 422, body: [{ fieldNames: ['State'], classification: 'Required' }] }
    }
    const created = addStatus(repo, sha, {
      context: typeof input.context === 'string' ? input.context : '',
      state: input.state,
      description: typeof input.description === 'string' ? input.description : '',
    })
    return { status: 201, body: view(repo, sha, created) }
  }

  const handle = (
    method: string,
    rawPath: string,
    headers: IncomingHttpHeaders,
    body: string,
  ): Reply => {
    const url = new URL(rawPath, baseUrl)
    const path = url.pathname
    if (!path.startsWith('/api/v1/')) return notFound()
    const authorization = headers.authorization
    if (authorization !== undefined && authorization !== `token ${token}`) {
      return apiError(401, 'user does not exist [uid: 0, name: ]')
    }
    if (method === 'GET' && path === '/api/v1/version') {
      return { status: 200, body: { version: options.version ?? '1.21.4' } }
    }
    if (authorization === undefined) return apiError(401, 'token is required')
    const list = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/statuses$/u.exec(path)
    const create = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/u.exec(path)
    const match = method === 'GET' ? list : method === 'POST' ? create : null
    if (!match) return notFound()
    const repo = `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`
    const sha = decodeURIComponent(match[3]!)
    if (!repositories.has(repo.toLowerCase())) return notFound()
    if (method === 'GET') return listStatuses(repo, sha, url)
    return createStatus(repo, sha, body)
  }

  const server = await startJsonServer({
    contentType: 'application/json;charset=utf-8',
    handle: (record) => handle(record.method, record.path, record.headers, record.body),
  })
  baseUrl = server.url

  return {
    url: baseUrl,
    requests: server.requests,
    seedStatus: addStatus,
    statuses(repo, sha) {
      return [...(store.get(storeKey(repo, sha)) ?? [])]
    },
    failNext: server.failNext,
    close: server.close,
  }
}
