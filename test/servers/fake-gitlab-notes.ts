/**
 * GitLab's merge request notes API (v4) on 127.0.0.1, as GitLab documents it: `GET /user`, and
 * list / create / update the notes of a merge request. A Provider address is
 * `${url}/<group>/<subgroup>/<project>`; the project is addressed by its URL-escaped path.
 *
 * - Auth is the `PRIVATE-TOKEN` header; an unknown token gets `401 {"message":"401 Unauthorized"}`.
 * - Lists are paginated with `page`/`per_page` (default 20, at most 100) and GitLab's headers
 *   (`X-Page`, `X-Per-Page`, `X-Next-Page`, `X-Total`, `X-Total-Pages`); `sort` defaults to `desc`.
 * - Only a note's author may edit it (`403 {"message":"403 Forbidden"}`).
 */
import type { ServerResponse } from 'node:http'
import { listenLoopback, sendText } from './http-fake.js'
import type { RecordedRequest } from './recorder.js'

export interface GitLabNote {
  id: number
  /** the author's username */
  username: string
  body: string
  created_at: string
  updated_at: string
}

export interface FakeGitLabNotes {
  url: string
  requests: RecordedRequest[]
  seedNote(project: string, mr: number, note: { username: string; body: string }): GitLabNote
  /** the notes of a merge request, oldest first */
  notes(project: string, mr: number): GitLabNote[]
  close(): Promise<void>
}

export interface FakeGitLabOptions {
  /** token → username; the only tokens accepted */
  users: Record<string, string>
}

const PREFIX = '/api/v4'

export async function startFakeGitLabNotes(options: FakeGitLabOptions): Promise<FakeGitLabNotes> {
  const requests: RecordedRequest[] = []
  const store = new Map<string, GitLabNote[]>()
  let nextId = 100
  let baseUrl = ''

  const key = (project: string, mr: number | string) => `${project}!${mr}`
  const addNote = (project: string, mr: number, username: string, body: string) => {
    const now = new Date(Date.now() + nextId).toISOString()
    const note: GitLabNote = { id: nextId++, username, body, created_at: now, updated_at: now }
    store.set(key(project, mr), [...(store.get(key(project, mr)) ?? []), note])
    return note
  }
  const userView = (username: string) => ({
    id: username.length,
    username,
    name: username,
    state: 'active',
    avatar_url: `${baseUrl}/uploads/${username}.png`,
    web_url: `${baseUrl}/${username}`,
  })
  const noteView = (mr: number, note: GitLabNote) => ({
    id: note.id,
    type: null,
    body: note.body,
    attachment: null,
    author: userView(note.username),
    created_at: note.created_at,
    updated_at: note.updated_at,
    system: false,
    noteable_id: 9000 + mr,
    noteable_type: 'MergeRequest',
    noteable_iid: mr,
    resolvable: false,
    confidential: false,
    internal: false,
  })

  const json = (
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => sendText(response, status, JSON.stringify(body), 'application/json', headers)

  const handle = (
    method: string,
    url: URL,
    rawPath: string,
    token: string | undefined,
    body: string,
    response: ServerResponse,
  ) => {
    const username = token === undefined ? undefined : options.users[token]
    if (username === undefined) return json(response, 401, { message: '401 Unauthorized' })
    if (method === 'GET' && url.pathname === `${PREFIX}/user`) {
      return json(response, 200, userView(username))
    }
    // /api/v4/projects/<escaped path>/merge_requests/<iid>/notes[/<note id>]
    const parts = rawPath.slice(PREFIX.length + 1).split('/')
    if (parts[0] !== 'projects' || parts[2] !== 'merge_requests' || parts[4] !== 'notes') {
      return json(response, 404, { error: '404 Not Found' })
    }
    const project = decodeURIComponent(parts[1] ?? '')
    const mr = Number(parts[3])
    const noteId = parts[5]
    const notes = store.get(key(project, mr)) ?? []
    if (method === 'GET' && noteId === undefined) {
      const perPageRaw = Number.parseInt(url.searchParams.get('per_page') ?? '', 10)
      const pageRaw = Number.parseInt(url.searchParams.get('page') ?? '', 10)
      const perPage = Number.isNaN(perPageRaw) || perPageRaw < 1 ? 20 : Math.min(perPageRaw, 100)
      const page = Number.isNaN(pageRaw) || pageRaw < 1 ? 1 : pageRaw
      const ordered = url.searchParams.get('sort') === 'asc' ? notes : [...notes].reverse()
      const totalPages = Math.max(1, Math.ceil(ordered.length / perPage))
      const items = ordered.slice((page - 1) * perPage, page * perPage)
      return json(
        response,
        200,
        items.map((n) => noteView(mr, n)),
        {
          'x-page': String(page),
          'x-per-page': String(perPage),
          'x-next-page': page < totalPages ? String(page + 1) : '',
          'x-prev-page': page > 1 ? String(page - 1) : '',
          'x-total': String(ordered.length),
          'x-total-pages': String(totalPages),
        },
      )
    }
    let input: { body?: unknown }
    try {
      input = JSON.parse(body) as { body?: unknown }
    } catch {
      return json(response, 400, { error: 'body is invalid' })
    }
    if (typeof input.body !== 'string' || input.body === '') {
      return json(response, 400, { error: 'body is missing' })
    }
    if (method === 'POST' && noteId === undefined) {
      return json(response, 201, noteView(mr, addNote(project, mr, username, input.body)))
    }
    if (method === 'PUT' && noteId !== undefined) {
      const note = notes.find((n) => n.id === Number(noteId))
      if (!note) return json(response, 404, { message: '404 Not found' })
      if (note.username !== username) return json(response, 403, { message: '403 Forbidden' })
      note.body = input.body
      note.updated_at = new Date().toISOString()
      return json(response, 200, noteView(mr, note))
    }
    return json(response, 405, { error: '405 Method Not Allowed' })
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
    const token = request.headers['private-token']
    handle(
      request.method ?? 'GET',
      new URL(path, baseUrl),
      path.split('?')[0]!,
      typeof token === 'string' ? token : undefined,
      body,
      response,
    )
  })
  baseUrl = server.url

  return {
    url: baseUrl,
    requests,
    seedNote: (project, mr, note) => addNote(project, mr, note.username, note.body),
    notes: (project, mr) => [...(store.get(key(project, mr)) ?? [])],
    close: server.close,
  }
}
