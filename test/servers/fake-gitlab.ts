/**
 * A GitLab REST API (v4) on 127.0.0.1 serving external commit statuses, answering as GitLab
 * documents it (https://docs.gitlab.com/api/commits/#commit-status, /api/rest/#pagination):
 *
 * - `GET /api/v4/projects/:id/repository/commits/:sha/statuses`: `page`/`per_page` (default 20, at
 *   most 100), the pagination headers `X-Page`, `X-Per-Page`, `X-Total`, `X-Total-Pages`,
 *   `X-Next-Page`, `X-Prev-Page` and `Link`, filters `name`/`ref`, the latest status per name
 *   unless `all=true`, oldest first (GitLab's default `order_by=id&sort=asc`).
 * - `POST /api/v4/projects/:id/statuses/:sha` with `state` (required), `name`, `description`.
 * - `:id` is a numeric id or the URL-encoded path of a project (`group%2Fsub%2Fproject`).
 * - Auth by `PRIVATE-TOKEN`; errors as GitLab words them: `{"message":"401 Unauthorized"}`,
 *   `{"message":"404 Project Not Found"}`, `{"error":"state does not have a valid value"}`, and
 *   `{"error":"404 Not Found"}` for a route that does not exist.
 *
 * Every request is recorded with its raw path, so tests can check the escaping on the wire.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { startJsonServer } from './http-fake.js'

export interface GitLabRequest {
  method: string
  /** path and query exactly as received, escapes included */
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** what the fake answered */
  status?: number
}

export interface GitLabStatus {
  id: number
  sha: string
  ref: string | null
  status: string
  name: string
  description: string | null
  target_url: string | null
  created_at: string
}

export interface GitLabStatusInput {
  name: string
  status: string
  description?: string | null
  ref?: string | null
}

export interface InjectedGitLabFailure {
  status: number
  body: string
  headers?: Record<string, string>
}

export interface FakeGitLab {
  /** `http://127.0.0.1:<port>`: a Provider address is `${url}/group/project` */
  url: string
  requests: GitLabRequest[]
  /** creates the project when needed; its numeric id is returned by `projectId` */
  seedStatus(project: string, sha: string, input: GitLabStatusInput): GitLabStatus
  /** all statuses of a commit, in creation order */
  statuses(project: string, sha: string): GitLabStatus[]
  /** the numeric id of a project, creating it when needed */
  projectId(project: string): number
  /** the next `count` requests get this answer instead */
  failNext(count: number, failure: InjectedGitLabFailure): void
  close(): Promise<void>
}

export interface FakeGitLabOptions {
  /** the only accepted `PRIVATE-TOKEN` (default `glpat-test`) */
  token?: string
}

const VALID_STATES = new Set(['pending', 'running', 'success', 'failed', 'canceled', 'skipped'])

const AUTHOR = {
  id: 1,
  username: 'flux-bot',
  name: 'Flux Bot',
  state: 'active',
  avatar_url: 'https://www.gravatar.com/avatar/0?s=80&d=identicon',
  web_url: 'https://gitlab.example.com/flux-bot',
}

export async function startFakeGitLab(options: FakeGitLabOptions = {}): Promise<FakeGitLab> {
  const token = options.token ?? 'glpat-test'
  const projects = new Map<string, number>()
  const store = new Map<string, GitLabStatus[]>()
  let nextStatusId = 100

  const projectId = (project: string): number => {
    let id = projects.get(project)
    if (id === undefined) {
      id = 1000 + projects.size
      projects.set(project, id)
    }
    return id
  }
  /** a path or numeric id as GitLab resolves it */
  const findProject = (rawId: string): string | undefined => {
    if (/^\d+$/u.test(rawId)) {
      for (const [path, id] of projects) if (String(id) === rawId) return path
      return undefined
    }
    return projects.has(rawId) ? rawId : undefined
  }
  const storeKey = (project: string, sha: string) => `${project}@${sha}`
  const addStatus = (project: string, sha: string, input: GitLabStatusInput): GitLabStatus => {
    const status: GitLabStatus = {
      id: nextStatusId++,
      sha,
      ref: input.ref ?? 'main',
      status: input.status,
      name: input.name,
      description: input.description ?? null,
      target_url: null,
      created_at: new Date().toISOString(),
    }
    const key = storeKey(project, sha)
    store.set(key, [...(store.get(key) ?? []), status])
    return status
  }
  const view = (s: GitLabStatus) => ({
    id: s.id,
    sha: s.sha,
    ref: s.ref,
    status: s.status,
    name: s.name,
    target_url: s.target_url,
    description: s.description,
    created_at: s.created_at,
    started_at: null,
    finished_at: s.status === 'success' || s.status === 'failed' ? s.created_at : null,
    allow_failure: false,
    coverage: null,
    pipeline_id: 1,
    author: AUTHOR,
  })

  interface Reply {
    status: number
    body: unknown
    headers?: Record<string, string>
  }

  const listStatuses = (project: string, sha: string, url: URL): Reply => {
    const query = url.searchParams
    let list = [...(store.get(storeKey(project, sha)) ?? [])]
    if (query.get('all') !== 'true') {
      // the latest status of each name (GitLab marks the older ones retried)
      const latest = new Map<string, GitLabStatus>()
      for (const s of list) latest.set(s.name, s)
      list = list.filter((s) => latest.get(s.name) === s)
    }
    const name = query.get('name')
    if (name !== null) list = list.filter((s) => s.name === name)
    const ref = query.get('ref')
    if (ref !== null) list = list.filter((s) => s.ref === ref)
    list.sort((a, b) => a.id - b.id)

    const perPageRaw = Number.parseInt(query.get('per_page') ?? '', 10)
    const pageRaw = Number.parseInt(query.get('page') ?? '', 10)
    const perPage = Number.isNaN(perPageRaw) || perPageRaw < 1 ? 20 : Math.min(perPageRaw, 100)
    const page = Number.isNaN(pageRaw) || pageRaw < 1 ? 1 : pageRaw
    const totalPages = Math.max(1, Math.ceil(list.length / perPage))
    const items = list.slice((page - 1) * perPage, page * perPage)
    const at = (n: number) => {
      const link = new URL(url)
      link.searchParams.set('page', String(n))
      link.searchParams.set('per_page', String(perPage))
      return `<${link.href}>`
    }
    const links: string[] = []
    if (page > 1) links.push(`${at(page - 1)}; rel="prev"`)
    if (page < totalPages) links.push(`${at(page + 1)}; rel="next"`)
    links.push(`${at(1)}; rel="first"`, `${at(totalPages)}; rel="last"`)
    return {
      status: 200,
      body: items.map(view),
      headers: {
        link: links.join(', '),
        'x-page': String(page),
        'x-per-page': String(perPage),
        'x-total': String(list.length),
        'x-total-pages': String(totalPages),
        'x-next-page': page < totalPages ? String(page + 1) : '',
        'x-prev-page': page > 1 ? String(page - 1) : '',
      },
    }
  }

  const createStatus = (project: string, sha: string, rawBody: string, type: string): Reply => {
    let input: Record<string, unknown>
    try {
      input = type.startsWith('application/json')
        ? (JSON.parse(rawBody) as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(rawBody))
    } catch {
      return { status: 400, body: { error: 'The request body is not valid JSON' } }
    }
    if (input.state === undefined) return { status: 400, body: { error: 'state is missing' } }
    if (typeof input.state !== 'string' || !VALID_STATES.has(input.state)) {
      return { status: 400, body: { error: 'state does not have a valid value' } }
    }
    const created = addStatus(project, sha, {
      name: typeof input.name === 'string' ? input.name : 'default',
      status: input.state,
      description: typeof input.description === 'string' ? input.description : null,
      ref: typeof input.ref === 'string' ? input.ref : 'main',
    })
    return { status: 201, body: view(created) }
  }

  const handle = (
    method: string,
    rawPath: string,
    headers: IncomingHttpHeaders,
    body: string,
  ): Reply => {
    const url = new URL(rawPath, 'http://127.0.0.1')
    const rawSegments = (rawPath.split('?')[0] ?? '').split('/')
    // ['', 'api', 'v4', 'projects', ':id', ...rest]
    const [empty, api, version, projectsWord, rawId, ...rest] = rawSegments
    if (empty !== '' || api !== 'api' || version !== 'v4' || projectsWord !== 'projects') {
      return { status: 404, body: { error: '404 Not Found' } }
    }
    if (headers['private-token'] !== token) {
      return { status: 401, body: { message: '401 Unauthorized' } }
    }
    let id: string
    try {
      id = decodeURIComponent(rawId ?? '')
    } catch {
      return { status: 400, body: { error: 'invalid project id' } }
    }
    const route = rest.join('/')
    const listMatch = /^repository\/commits\/([^/]+)\/statuses$/u.exec(route)
    const createMatch = /^statuses\/([^/]+)$/u.exec(route)
    if (!(method === 'GET' && listMatch) && !(method === 'POST' && createMatch)) {
      return { status: 404, body: { error: '404 Not Found' } }
    }
    const project = findProject(id)
    if (project === undefined) return { status: 404, body: { message: '404 Project Not Found' } }
    const sha = decodeURIComponent((listMatch ?? createMatch)![1]!)
    if (!/^[0-9a-f]{40}$/u.test(sha)) {
      return { status: 404, body: { message: '404 Commit Not Found' } }
    }
    if (listMatch) return listStatuses(project, sha, url)
    return createStatus(project, sha, body, String(headers['content-type'] ?? ''))
  }

  const server = await startJsonServer({
    contentType: 'application/json',
    handle: (record) => handle(record.method, record.path, record.headers, record.body),
  })

  return {
    url: server.url,
    requests: server.requests,
    seedStatus(project, sha, input) {
      projectId(project)
      return addStatus(project, sha, input)
    },
    statuses(project, sha) {
      return [...(store.get(storeKey(project, sha)) ?? [])]
    },
    projectId,
    failNext: server.failNext,
    close: server.close,
  }
}
