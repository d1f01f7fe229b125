/**
 * Gitea's issue comments API (v1) on 127.0.0.1, as Gitea's swagger describes it: `GET /version`,
 * `GET /user`, and list / create / edit the comments of an issue or pull request. A Provider
 * address is `${url}/<owner>/<repo>`.
 *
 * - Auth is `Authorization: token <t>`; an unknown token gets `401 {"message":…,"url":…}`.
 * - The list endpoint takes no paging parameters and answers every comment, with `X-Total-Count`
 *   (Gitea's behaviour); `paginate: true` makes it honour `page`/`limit` (at most 50) instead.
 * - Only a comment's poster may edit it (`403`).
 */
import type { ServerResponse } from 'node:http'
import { listenLoopback, sendText } from './http-fake.js'
import type { RecordedRequest } from './recorder.js'

export interface GiteaComment {
  id: number
  /** the poster's login */
  login: string
  body: string
  created_at: string
  updated_at: string
}

export interface FakeGiteaComments {
  url: string
  requests: RecordedRequest[]
  seedComment(repo: string, issue: number, comment: { login: string; body: string }): GiteaComment
  /** the comments of an issue, oldest first */
  comments(repo: string, issue: number): GiteaComment[]
  close(): Promise<void>
}

export interface FakeGiteaOptions {
  /** token → login; the only tokens accepted */
  users: Record<string, string>
  /** honour `page`/`limit` on the comment list (Gitea itself answers everything at once) */
  paginate?: boolean
}

const PREFIX = '/api/v1'
const MAX_LIMIT = 50

export async function startFakeGiteaComments(
  options: FakeGiteaOptions,
): Promise<FakeGiteaComments> {
  const requests: RecordedRequest[] = []
  const store = new Map<string, GiteaComment[]>()
  let nextId = 500
  let baseUrl = ''

  const key = (repo: string, issue: number | string) => `${repo}#${issue}`
  const addComment = (repo: string, issue: number, login: string, body: string) => {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/u, 'Z')
    const comment: GiteaComment = { id: nextId++, login, body, created_at: now, updated_at: now }
    store.set(key(repo, issue), [...(store.get(key(repo, issue)) ?? []), comment])
    return comment
  }
  const userView = (login: string) => ({
    id: login.length,
    login,
    login_name: '',
    full_name: '',
    email: `${login}@noreply.localhost`,
    avatar_url: `${baseUrl}/avatars/${login}`,
    language: '',
    is_admin: false,
    restricted: false,
    active: true,
    prohibit_login: false,
    visibility: 'public',
    username: login,
  })
  const commentView = (repo: string, issue: number, c: GiteaComment) => ({
    id: c.id,
    html_url: `${baseUrl}/${repo}/pulls/${issue}#issuecomment-${c.id}`,
    pull_request_url: `${baseUrl}/${repo}/pulls/${issue}`,
    issue_url: '',
    user: userView(c.login),
    original_author: '',
    original_author_id: 0,
    body: c.body,
    assets: [],
    created_at: c.created_at,
    updated_at: c.updated_at,
  })

  const json = (
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => sendText(response, status, JSON.stringify(body), 'application/json;charset=utf-8', headers)
  const failure = (response: ServerResponse, status: number, message: string) =>
    json(response, status, { message, url: `${baseUrl}/api/swagger` })

  const handle = (
    method: string,
    url: URL,
    token: string | undefined,
    body: string,
    response: ServerResponse,
  ) => {
    if (method === 'GET' && url.pathname === `${PREFIX}/version`) {
      return json(response, 200, { version: '1.21.11' })
    }
    const login = token === undefined ? undefined : options.users[token]
    if (login === undefined) return failure(response, 401, 'user does not exist [uid: 0, name: ]')
    if (method === 'GET' && url.pathname === `${PREFIX}/user`) {
      return json(response, 200, userView(login))
    }
    // /api/v1/repos/<owner>/<repo>/issues/<n>/comments or /issues/comments/<id>
    const parts = url.pathname.slice(PREFIX.length + 1).split('/')
    if (parts[0] !== 'repos' || parts[3] !== 'issues') return failure(response, 404, 'Not Found')
    const repo = `${parts[1]}/${parts[2]}`
    if (parts[4] === 'comments' && parts[5] !== undefined && method === 'PATCH') {
      const id = Number(parts[5])
      for (const [k, list] of store) {
        if (!k.startsWith(`${repo}#`)) continue
        const comment = list.find((c) => c.id === id)
        if (!comment) continue
        if (comment.login !== login) return failure(response, 403, 'user should be the poster')
        const input = JSON.parse(body) as { body: string }
        comment.body = input.body
        comment.updated_at = new Date().toISOString().replace(/\.\d{3}Z$/u, 'Z')
        return json(response, 200, commentView(repo, Number(k.slice(repo.length + 1)), comment))
      }
      return failure(response, 404, 'comment does not exist')
    }
    const issue = Number(parts[4])
    if (parts[5] !== 'comments' || !Number.isInteger(issue)) {
      return failure(response, 404, 'Not Found')
    }
    const comments = store.get(key(repo, issue)) ?? []
    if (method === 'GET') {
      let items = comments
      if (options.paginate) {
        const limitRaw = Number.parseInt(url.searchParams.get('limit') ?? '', 10)
        const pageRaw = Number.parseInt(url.searchParams.get('page') ?? '', 10)
        const limit =
          Number.isNaN(limitRaw) || limitRaw < 1 ? MAX_LIMIT : Math.min(limitRaw, MAX_LIMIT)
        const page = Number.isNaN(pageRaw) || pageRaw < 1 ? 1 : pageRaw
        items = comments.slice((page - 1) * limit, page * limit)
      }
      return json(
        response,
        200,
        items.map((c) => commentView(repo, issue, c)),
        { 'x-total-count': String(comments.length) },
      )
    }
    if (method === 'POST') {
      const input = JSON.parse(body) as { body: string }
      return json(
        response,
        201,
        commentView(repo, issue, addComment(repo, issue, login, input.body)),
      )
    }
    return failure(response, 405, 'Method Not Allowed')
  }

  const server = await listenLoopback((request, response, body) => {
    const path = request.url ?? '/'
    requests.push({
      method: request.method ?? '',
      path,
      headers: request.headers,
      body,
      receivedAt: Date.now(),
    })
    const token = /^token (\S+)$/u.exec(request.headers.authorization ?? '')?.[1]
    try {
      handle(request.method ?? 'GET', new URL(path, baseUrl), token, body, response)
    } catch {
      failure(response, 422, 'invalid request')
    }
  })
  baseUrl = server.url

  return {
    url: baseUrl,
    requests,
    seedComment: (repo, issue, comment) => addComment(repo, issue, comment.login, comment.body),
    comments: (repo, issue) => [...(store.get(key(repo, issue)) ?? [])],
    close: server.close,
  }
}
