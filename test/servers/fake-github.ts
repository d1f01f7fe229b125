/**
 * A GitHub REST API on 127.0.0.1, shaped like GitHub Enterprise (everything under `/api/v3`), so a
 * `github` Provider with address `http://127.0.0.1:<port>/owner/repo` talks to it unchanged.
 *
 * Every request is checked against GitHub's own OpenAPI description (`@octokit/openapi`'s
 * `generated/api.github.com.json`) with openapi-backend: an unknown route or a request the
 * description does not allow is answered as GitHub would (404 / 422 with a JSON `message`) and
 * recorded in `violations`, which tests assert is empty. Our own answers are checked against the
 * description too, so the fake cannot drift from what GitHub returns.
 *
 * Commit statuses live in memory per (owner/repo, sha), in creation order. Served: create a status,
 * list statuses for a ref (newest first) and the combined status (latest per context), both
 * paginated with a `Link` header like GitHub's. Creating one is refused with GitHub's 422 for a
 * description over 140 characters and past 1,000 statuses per (commit, context). `failNext` can
 * aim a failure at one operation; `secondaryRateLimit` builds GitHub's secondary-rate-limit 403.
 *
 * Issue (pull request) comments live in memory per (owner/repo, number), oldest first: list
 * (paginated), create, update. `GET /user` answers the login of the request's token
 * (`options.logins`, default `octocat`), and comments are written as that login. `GET /app` answers
 * the App `options.appSlug` for a JWT. `POST /repos/{o}/{r}/dispatches` is recorded in `dispatches`.
 *
 * Workflow-run artifacts live in memory per (owner/repo, run id), added by tests with `addArtifact`:
 * list a run's artifacts (`name` filter, newest first, paginated) and download one, answered like
 * GitHub with a 302 to a signed URL on a second loopback server standing in for the blob storage
 * (another origin, as on GitHub), or 410 when it has expired. The storage server records its
 * requests in `storageRequests` and refuses any carrying an `Authorization` header (a violation:
 * the GitHub token must never reach the storage host).
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import ajvFormats from 'ajv-formats'
import { OpenAPIBackend } from 'openapi-backend'
import type { Document } from 'openapi-backend'
import { createFakeGitHubApp } from './fake-github-app.js'
import type { FakeGitHubAppBackend, FakeGitHubAppOptions } from './fake-github-app.js'

export interface GitHubRequest {
  method: string
  /** path and query as received, `/api/v3/...` */
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** the operation of GitHub's description it matched, e.g. `repos/create-commit-status` */
  operationId?: string
  /** what the fake answered */
  status?: number
}

export interface StoredStatus {
  id: number
  context: string
  state: string
  description: string | null
  target_url: string | null
  created_at: string
}

export interface StatusInput {
  context: string
  state: string
  description?: string | null
  target_url?: string | null
}

export interface StoredComment {
  id: number
  /** the author's login */
  login: string
  body: string
  created_at: string
  updated_at: string
}

export interface RecordedDispatch {
  /** `owner/repo` */
  repo: string
  event_type: string
  client_payload: unknown
}

export interface ArtifactInput {
  name: string
  /** the archive the download serves, byte for byte */
  zip: Uint8Array
  /** GitHub's `expired` flag; default false */
  expired?: boolean
  /** default now; later artifacts are listed first */
  createdAt?: Date
}

export interface StoredArtifact {
  id: number
  /** `owner/repo` */
  repo: string
  runId: number
  name: string
  zip: Uint8Array
  expired: boolean
  created_at: string
  expires_at: string
}

export interface StorageRequest {
  method: string
  /** path and query as received */
  path: string
  headers: IncomingHttpHeaders
  status?: number
}

export interface InjectedFailure {
  status: number
  headers?: Record<string, string>
  /** only a request of this operation (e.g. `repos/create-commit-status`) gets it; default any */
  operationId?: string
  /** default `{"message":"Server Error"}`-like JSON for the status */
  body?: string
}

export interface FakeGitHub {
  /** `http://127.0.0.1:<port>`: a Provider address is `${url}/owner/repo` */
  url: string
  /** `${url}/api/v3` */
  apiUrl: string
  requests: GitHubRequest[]
  /** requests GitHub's description does not allow, and answers of ours it does not describe */
  violations: string[]
  seedStatus(repo: string, sha: string, status: StatusInput): StoredStatus
  /** statuses of a commit in creation order */
  statuses(repo: string, sha: string): StoredStatus[]
  /** a comment on issue/PR `number` of `repo`, written by `login` */
  seedComment(repo: string, number: number, comment: { login: string; body: string }): StoredComment
  /** the comments of an issue/PR, oldest first */
  comments(repo: string, number: number): StoredComment[]
  /** every repository dispatch received, in order */
  dispatches: RecordedDispatch[]
  /** the next `count` requests (after validation) get this answer instead */
  failNext(count: number, failure: InjectedFailure): void
  /** the GitHub App side, when started with `app` (JWTs verified, tokens issued) */
  app?: FakeGitHubAppBackend
  /** an artifact of workflow run `runId` of `repo`, served by the artifact endpoints */
  addArtifact(repo: string, runId: number, artifact: ArtifactInput): StoredArtifact
  /** `http://127.0.0.1:<port>` of the stand-in blob storage the downloads redirect to */
  storageUrl: string
  /** every request the storage server received, in order */
  storageRequests: StorageRequest[]
  /** the next `count` storage downloads are answered `status` instead */
  failStorageNext(count: number, status: number): void
  /** the most API requests that were waiting for their answer at the same time */
  readonly maxInFlight: number
  close(): Promise<void>
}

export interface FakeGitHubOptions {
  /** when set, only this token is accepted (`401 Bad credentials` otherwise) */
  token?: string
  /**
   * A GitHub App (`fake-github-app.ts`): its endpoints then check the App's JWT, and the
   * installation tokens it issues are accepted too (only they, besides `token`).
   */
  app?: FakeGitHubAppOptions
  /** the user each token authenticates as (`GET /user`, comment authors); default `octocat` */
  logins?: Record<string, string>
  /** the slug `GET /app` answers; default `flux-notify` */
  appSlug?: string
  /**
   * Installation tokens, such as a workflow's `GITHUB_TOKEN`: `GET /user` answers them 403
   * "Resource not accessible by integration", as GitHub does. Give them a `logins` entry
   * (`github-actions[bot]`) for the comments they write.
   */
  installationTokens?: string[]
  /**
   * Answer every request this many milliseconds after it arrived, like a distant host; requests
   * are still handled in the order they arrived. Default 0.
   */
  latencyMs?: number
  /**
   * GitHub keeps at most 1,000 statuses per (commit, context) and refuses more with a 422
   * (default 1000, as on GitHub).
   */
  maxStatusesPerContext?: number
}

/**
 * The answer GitHub gives to a request over a secondary rate limit: 403 with a `retry-after`
 * header and a message naming the limit (which is how clients tell it from other 403s).
 */
export function secondaryRateLimit(
  retryAfterSeconds: number,
  operationId?: string,
): InjectedFailure {
  return {
    status: 403,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: JSON.stringify({
      message:
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0A1B:2C3D:4E5F:6A7B:8C9D.',
      documentation_url:
        'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      status: '403',
    }),
    ...(operationId === undefined ? {} : { operationId }),
  }
}

const API_PREFIX = '/api/v3'
const DOCS = 'https://docs.github.com/rest'
/** GitHub's limit, enforced by the API but not written in its OpenAPI description */
const MAX_DESCRIPTION_LENGTH = 140
/** GitHub's cap on statuses per (commit, context) */
const MAX_STATUSES_PER_CONTEXT = 1000

// One parse of the 13 MB description per process (not the package index, which loads 400 MB).
let backendPromise: Promise<OpenAPIBackend> | undefined
let definition: Document | undefined

function loadDefinition(): Document {
  if (!definition) {
    const require = createRequire(import.meta.url)
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json')
    definition = JSON.parse(readFileSync(file, 'utf8')) as Document
  }
  return definition
}

function githubBackend(): Promise<OpenAPIBackend> {
  backendPromise ??= (async () => {
    const api = new OpenAPIBackend({
      definition: loadDefinition(),
      quick: true,
      validate: true,
      // GitHub's description uses a few formats of its own; the standard ones are checked
      ajvOpts: { strict: false, logger: false },
      customizeAjv: (ajv) => {
        // the CommonJS plugin is its own `.default`, which works under Node ESM and vitest alike
        ajvFormats.default(ajv)
        return ajv
      },
    })
    await api.init()
    // The router lists GitHub's ~1,100 operations anew for every request (milliseconds each);
    // the description never changes once loaded, so list them once. Every request and answer is
    // still validated.
    const operations = api.router.getOperations()
    api.router.getOperations = () => operations
    return api
  })()
  return backendPromise
}

/** An example object from the description, copied, with the example repository renamed. */
function example(name: string, owner = 'octocat', repo = 'Hello-World'): Record<string, unknown> {
  const examples = (loadDefinition().components?.examples ?? {}) as Record<
    string,
    { value?: unknown }
  >
  const text = JSON.stringify(examples[name]?.value ?? {})
  return JSON.parse(
    text
      .replaceAll('octocat/Hello-World', `${owner}/${repo}`)
      .replaceAll('"Hello-World"', JSON.stringify(repo)),
  ) as Record<string, unknown>
}

function githubTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/u, 'Z')
}

/** GitHub's `per_page` (default 30, at most 100) and `page` (from 1). */
function pageOf<T>(
  items: readonly T[],
  query: URLSearchParams,
): { items: T[]; page: number; perPage: number; last: number } {
  const perPageRaw = Number.parseInt(query.get('per_page') ?? '', 10)
  const pageRaw = Number.parseInt(query.get('page') ?? '', 10)
  const perPage = Number.isNaN(perPageRaw) || perPageRaw < 1 ? 30 : Math.min(perPageRaw, 100)
  const page = Number.isNaN(pageRaw) || pageRaw < 1 ? 1 : pageRaw
  const last = Math.max(1, Math.ceil(items.length / perPage))
  return { items: items.slice((page - 1) * perPage, page * perPage), page, perPage, last }
}

/** GitHub's `Link` header: prev, next, last, first, as they apply. */
function linkHeader(
  requestUrl: URL,
  page: number,
  last: number,
  perPage: number,
): string | undefined {
  const at = (n: number) => {
    const url = new URL(requestUrl)
    url.searchParams.set('per_page', String(perPage))
    url.searchParams.set('page', String(n))
    return `<${url.href}>`
  }
  const links: string[] = []
  if (page > 1) links.push(`${at(Math.min(page - 1, last))}; rel="prev"`)
  if (page < last) links.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`)
  if (page > 1) links.push(`${at(1)}; rel="first"`)
  return links.length > 0 ? links.join(', ') : undefined
}

/** GitHub's combined state: failure over pending over success; no statuses is pending. */
function combinedState(latest: readonly StoredStatus[]): string {
  if (latest.some((s) => s.state === 'error' || s.state === 'failure')) return 'failure'
  if (latest.length === 0 || latest.some((s) => s.state === 'pending')) return 'pending'
  return 'success'
}

function parseQuery(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key)
    out[key] = values.length === 1 ? values[0]! : values
  }
  return out
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const api = await githubBackend()
  const requests: GitHubRequest[] = []
  const violations: string[] = []
  const store = new Map<string, StoredStatus[]>()
  const failures: InjectedFailure[] = []
  const app = options.app ? createFakeGitHubApp(options.app) : undefined
  const commentStore = new Map<string, StoredComment[]>()
  const dispatches: RecordedDispatch[] = []
  const artifacts: StoredArtifact[] = []
  const storageRequests: StorageRequest[] = []
  const storageFailures: number[] = []
  let nextId = 1
  let baseUrl = ''
  let storageUrl = ''

  const storeKey = (repo: string, sha: string) => `${repo.toLowerCase()}@${sha.toLowerCase()}`
  const addStatus = (repo: string, sha: string, input: StatusInput): StoredStatus => {
    const status: StoredStatus = {
      id: nextId++,
      context: input.context,
      state: input.state,
      description: input.description ?? null,
      target_url: input.target_url ?? null,
      created_at: githubTime(Date.now()),
    }
    const key = storeKey(repo, sha)
    store.set(key, [...(store.get(key) ?? []), status])
    return status
  }
  const statusesOf = (repo: string, sha: string) => [...(store.get(storeKey(repo, sha)) ?? [])]

  const issueKey = (repo: string, number: number | string) => `${repo.toLowerCase()}#${number}`
  // an App's installation token writes as the App's bot account, `<slug>[bot]`
  const loginOf = (token: string) =>
    options.logins?.[token] ??
    (app?.acceptsToken(token) ? `${options.app?.slug ?? 'flux-notify-test'}[bot]` : 'octocat')
  const addComment = (repo: string, number: number, login: string, body: string) => {
    const now = githubTime(Date.now())
    const comment: StoredComment = { id: nextId++, login, body, created_at: now, updated_at: now }
    const key = issueKey(repo, number)
    commentStore.set(key, [...(commentStore.get(key) ?? []), comment])
    return comment
  }
  /** A comment as the API shows it (schema `issue-comment`), URLs on this server. */
  const commentView = (repo: string, number: number | string, c: StoredComment) => {
    const base = example('issue-comment')
    const user = base.user as Record<string, unknown>
    return {
      ...base,
      id: c.id,
      node_id: Buffer.from(`012:IssueComment${c.id}`).toString('base64'),
      url: `${baseUrl}${API_PREFIX}/repos/${repo}/issues/comments/${c.id}`,
      html_url: `${baseUrl}/${repo}/pull/${number}#issuecomment-${c.id}`,
      body: c.body,
      user: { ...user, login: c.login, type: c.login.endsWith('[bot]') ? 'Bot' : 'User' },
      created_at: c.created_at,
      updated_at: c.updated_at,
      issue_url: `${baseUrl}${API_PREFIX}/repos/${repo}/issues/${number}`,
    }
  }

  /** A status as the API shows it (schema `status`), URLs on this server. */
  const statusView = (repo: string, sha: string, s: StoredStatus): Record<string, unknown> => ({
    url: `${baseUrl}${API_PREFIX}/repos/${repo}/statuses/${sha}`,
    avatar_url: 'https://avatars.githubusercontent.com/u/1?v=4',
    id: s.id,
    node_id: Buffer.from(`012:StatusContext${s.id}`).toString('base64'),
    state: s.state,
    description: s.description,
    target_url: s.target_url,
    context: s.context,
    created_at: s.created_at,
    updated_at: s.created_at,
    creator: example('status').creator,
  })

  const runKey = (repo: string, runId: number | string) => `${repo.toLowerCase()}#${runId}`
  const addArtifact = (repo: string, runId: number, input: ArtifactInput): StoredArtifact => {
    const created = input.createdAt?.getTime() ?? Date.now()
    const artifact: StoredArtifact = {
      id: nextId++,
      repo,
      runId,
      name: input.name,
      zip: input.zip,
      expired: input.expired ?? false,
      created_at: githubTime(created),
      // GitHub's default retention: 90 days
      expires_at: githubTime(created + 90 * 24 * 3600 * 1000),
    }
    artifacts.push(artifact)
    return artifact
  }
  /** An artifact as the API shows it (schema `artifact`), URLs on this server. */
  const artifactView = (a: StoredArtifact): Record<string, unknown> => {
    const base = `${baseUrl}${API_PREFIX}/repos/${a.repo}/actions/artifacts/${a.id}`
    return {
      id: a.id,
      node_id: Buffer.from(`010:Artifact${a.id}`).toString('base64'),
      name: a.name,
      size_in_bytes: a.zip.byteLength,
      url: base,
      archive_download_url: `${base}/zip`,
      expired: a.expired,
      created_at: a.created_at,
      expires_at: a.expires_at,
      updated_at: a.created_at,
      digest: null,
      workflow_run: {
        id: a.runId,
        repository_id: 1296269,
        head_repository_id: 1296269,
        head_branch: 'main',
        head_sha: '6dcb09b5b57875f334f61aebed695e2e4193db5e',
      },
    }
  }

  /** Newest first; statuses created in the same second keep their creation order reversed. */
  const newestFirst = (list: StoredStatus[]) => [...list].sort((a, b) => b.id - a.id)

  interface Reply {
    status: number
    /** a JSON value to encode */
    body?: unknown
    /** or the body exactly as given */
    raw?: string
    headers?: Record<string, string>
  }

  const handlers: Record<
    string,
    (params: Record<string, string>, body: unknown, url: URL, token: string) => Reply
  > = {
    'users/get-authenticated': (_params, _body, _url, token) =>
      options.installationTokens?.includes(token)
        ? error(403, 'Resource not accessible by integration')
        : { status: 200, body: { ...example('private-user'), login: loginOf(token) } },
    'apps/get-authenticated': (_params, _body, _url, token) => {
      // GitHub accepts only a JWT (three base64url parts) here
      if (token.split('.').length !== 3) {
        return error(401, 'A JSON web token could not be decoded')
      }
      return {
        status: 200,
        body: { ...example('integration'), slug: options.appSlug ?? 'flux-notify' },
      }
    },
    'issues/list-comments': ({ owner, repo, issue_number }, _body, url) => {
      const fullName = `${owner}/${repo}`
      const all = commentStore.get(issueKey(fullName, issue_number!)) ?? []
      const page = pageOf(all, url.searchParams)
      const link = linkHeader(url, page.page, page.last, page.perPage)
      return {
        status: 200,
        body: page.items.map((c) => commentView(fullName, issue_number!, c)),
        headers: linkHeaders(link),
      }
    },
    'issues/create-comment': ({ owner, repo, issue_number }, body, _url, token) => {
      const fullName = `${owner}/${repo}`
      const { body: text } = body as { body: string }
      const created = addComment(fullName, Number(issue_number), loginOf(token), text)
      const view = commentView(fullName, issue_number!, created)
      return { status: 201, body: view, headers: { location: view.url } }
    },
    'issues/update-comment': ({ owner, repo, comment_id }, body) => {
      const fullName = `${owner}/${repo}`
      const prefix = `${fullName.toLowerCase()}#`
      for (const [key, list] of commentStore) {
        if (!key.startsWith(prefix)) continue
        const comment = list.find((c) => c.id === Number(comment_id))
        if (!comment) continue
        comment.body = (body as { body: string }).body
        comment.updated_at = githubTime(Date.now())
        return { status: 200, body: commentView(fullName, key.slice(prefix.length), comment) }
      }
      return error(404, 'Not Found')
    },
    'actions/list-workflow-run-artifacts': ({ owner, repo, run_id }, _body, url) => {
      const key = runKey(`${owner}/${repo}`, run_id!)
      const name = url.searchParams.get('name')
      const ascending = url.searchParams.get('direction') === 'asc'
      const matching = artifacts
        .filter((a) => runKey(a.repo, a.runId) === key && (name === null || a.name === name))
        .sort(
          (a, b) =>
            (ascending ? 1 : -1) * (a.created_at.localeCompare(b.created_at) || a.id - b.id),
        )
      const page = pageOf(matching, url.searchParams)
      const link = linkHeader(url, page.page, page.last, page.perPage)
      return {
        status: 200,
        body: { total_count: matching.length, artifacts: page.items.map(artifactView) },
        headers: linkHeaders(link),
      }
    },
    'actions/download-artifact': ({ owner, repo, artifact_id, archive_format }) => {
      const fullName = `${owner}/${repo}`.toLowerCase()
      const artifact = artifacts.find(
        (a) => a.id === Number(artifact_id) && a.repo.toLowerCase() === fullName,
      )
      if (!artifact || archive_format !== 'zip') return error(404, 'Not Found')
      if (artifact.expired) return error(410, 'Artifact has expired')
      // a signed, short-lived URL like the blob storage's; the signature is a credential
      const signature = Buffer.from(`sig-${artifact.id}-${Date.now()}`).toString('base64url')
      return {
        status: 302,
        raw: '',
        headers: {
          location: `${storageUrl}/actions-results/${artifact.id}/artifact.zip?sv=2023-11-03&sig=${signature}`,
        },
      }
    },
    'repos/create-dispatch-event': ({ owner, repo }, body) => {
      const input = body as { event_type: string; client_payload?: unknown }
      dispatches.push({
        repo: `${owner}/${repo}`,
        event_type: input.event_type,
        client_payload: input.client_payload,
      })
      // no content: the description's 204 schema is null, and nothing goes on the wire
      return { status: 204, body: null, raw: '' }
    },
    'repos/create-commit-status': ({ owner, repo, sha }, body) => {
      const input = body as {
        state: string
        description?: string | null
        context?: string
        target_url?: string | null
      }
      const fullName = `${owner}/${repo}`
      if (!/^[0-9a-f]{40}$/iu.test(sha!)) {
        return {
          status: 422,
          body: {
            message: `No commit found for SHA: ${sha}`,
            documentation_url: `${DOCS}/commits/statuses#create-a-commit-status`,
            status: '422',
          },
        }
      }
      if (input.description && [...input.description].length > MAX_DESCRIPTION_LENGTH) {
        return {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'Status',
                code: 'custom',
                field: 'description',
                message: `description is too long (maximum is ${MAX_DESCRIPTION_LENGTH} characters)`,
              },
            ],
            documentation_url: `${DOCS}/commits/statuses#create-a-commit-status`,
            status: '422',
          },
        }
      }
      const context = (input.context ?? 'default').toLowerCase()
      const sameContext = statusesOf(fullName, sha!).filter(
        (s) => s.context.toLowerCase() === context,
      )
      if (sameContext.length >= (options.maxStatusesPerContext ?? MAX_STATUSES_PER_CONTEXT)) {
        return {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'Status',
                code: 'custom',
                message: 'This SHA and context has reached the maximum number of statuses.',
              },
            ],
            documentation_url: `${DOCS}/commits/statuses#create-a-commit-status`,
            status: '422',
          },
        }
      }
      const created = addStatus(fullName, sha!, {
        context: input.context ?? 'default',
        state: input.state,
        description: input.description ?? null,
        target_url: input.target_url ?? null,
      })
      const view = statusView(fullName, sha!, created)
      return { status: 201, body: view, headers: { location: String(view.url) } }
    },
    'repos/list-commit-statuses-for-ref': ({ owner, repo, ref }, _body, url) => {
      const fullName = `${owner}/${repo}`
      const all = newestFirst(statusesOf(fullName, ref!))
      const page = pageOf(all, url.searchParams)
      const link = linkHeader(url, page.page, page.last, page.perPage)
      return {
        status: 200,
        body: page.items.map((s) => statusView(fullName, ref!, s)),
        headers: linkHeaders(link),
      }
    },
    'repos/get-combined-status-for-ref': ({ owner, repo, ref }, _body, url) => {
      const fullName = `${owner}/${repo}`
      const latest: StoredStatus[] = []
      const seen = new Set<string>()
      for (const s of newestFirst(statusesOf(fullName, ref!))) {
        // GitHub treats contexts case-insensitively
        const context = s.context.toLowerCase()
        if (seen.has(context)) continue
        seen.add(context)
        latest.push(s)
      }
      const page = pageOf(latest, url.searchParams)
      const link = linkHeader(url, page.page, page.last, page.perPage)
      const repoBase = `${baseUrl}${API_PREFIX}/repos/${fullName}`
      const { statuses: _statuses, ...shape } = example('combined-commit-status', owner, repo)
      return {
        status: 200,
        body: {
          ...shape,
          state: combinedState(latest),
          statuses: page.items.map((s) => {
            const { creator: _creator, ...simple } = statusView(fullName, ref!, s)
            return { ...simple, required: false }
          }),
          sha: ref,
          total_count: latest.length,
          commit_url: `${repoBase}/commits/${ref}`,
          url: `${repoBase}/commits/${ref}/status`,
        },
        headers: linkHeaders(link),
      }
    },
  }

  const send = (response: ServerResponse, record: GitHubRequest, reply: Reply) => {
    const text = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body))
    record.status = reply.status
    response.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'x-github-api-version-selected': '2022-11-28',
      ...reply.headers,
    })
    response.end(text)
  }

  const error = (status: number, message: string, extra: Record<string, unknown> = {}): Reply => ({
    status,
    body: { message, documentation_url: DOCS, status: String(status), ...extra },
  })

  const handle = (
    method: string,
    url: URL,
    headers: IncomingHttpHeaders,
    rawBody: string,
    record: GitHubRequest,
  ): Reply => {
    const where = `${method} ${url.pathname}${url.search}`
    if (!url.pathname.startsWith(`${API_PREFIX}/`)) {
      violations.push(`${where}: not under ${API_PREFIX} (the GitHub Enterprise API base)`)
      return error(404, 'Not Found')
    }
    let body: unknown
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody)
      } catch {
        violations.push(`${where}: body is not JSON`)
        return error(400, 'Problems parsing JSON')
      }
    }
    const apiRequest = {
      method: method.toLowerCase(),
      path: url.pathname.slice(API_PREFIX.length),
      query: parseQuery(url.searchParams),
      headers: headers as Record<string, string | string[]>,
      body,
    }
    const operation = api.matchOperation(apiRequest)
    if (!operation) {
      violations.push(`${where}: no such operation in GitHub's REST API`)
      return error(404, 'Not Found')
    }
    record.operationId = operation.operationId
    const validation = api.validateRequest(apiRequest, operation)
    if (!validation.valid) {
      const problems = (validation.errors ?? []).map(
        (e) => `${e.instancePath} ${e.message ?? e.keyword}`,
      )
      violations.push(`${where} (${operation.operationId}): ${problems.join('; ')}`)
      return error(422, `Invalid request.\n\n${problems.join('\n')}`)
    }
    if (headers['user-agent'] === undefined) {
      violations.push(`${where}: no User-Agent header (GitHub refuses such requests)`)
      return error(
        403,
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header',
      )
    }
    // the first queued failure meant for this operation (or for any)
    const failureAt = failures.findIndex(
      (f) => f.operationId === undefined || f.operationId === operation.operationId,
    )
    const failure = failureAt < 0 ? undefined : failures.splice(failureAt, 1)[0]
    if (failure) {
      const reply =
        failure.body === undefined
          ? error(failure.status, 'Server Error')
          : { status: failure.status, raw: failure.body }
      return { ...reply, headers: failure.headers }
    }
    if (app && app.handles(operation.operationId ?? '')) {
      const params = api.router.parseRequest(apiRequest, operation).params as Record<string, string>
      const reply = app.handle(operation.operationId!, params, headers, `${baseUrl}${API_PREFIX}`)
      let check: ReturnType<typeof api.validateResponse>
      try {
        check = api.validateResponse(reply.body, operation, reply.status)
      } catch {
        // ajv cannot compile some of these response schemas (`nullable` without `type` in
        // GitHub's `installation`): the request was validated, the answer cannot be
        return reply
      }
      if (!check.valid) {
        const problems = (check.errors ?? []).map(
          (e) => `${e.instancePath} ${e.message ?? e.keyword}`,
        )
        violations.push(
          `${where}: the fake's ${reply.status} answer does not match GitHub's description: ${problems.join('; ')}`,
        )
      }
      return reply
    }
    const authorization = headers.authorization ?? ''
    const token = /^(?:token|bearer) (\S+)$/iu.exec(authorization)?.[1]
    if (!token) return error(401, 'Requires authentication')
    const restricted = options.token !== undefined || app !== undefined
    if (restricted && token !== options.token && !app?.acceptsToken(token)) {
      return error(401, 'Bad credentials')
    }

    const handler = handlers[operation.operationId ?? '']
    if (!handler) {
      violations.push(
        `${where}: ${operation.operationId} is valid for GitHub but the fake does not serve it`,
      )
      return error(501, `fake GitHub does not implement ${operation.operationId}`)
    }
    const params = api.router.parseRequest(apiRequest, operation).params as Record<string, string>
    const reply = handler(params, body, url, token)
    const check = api.validateResponse(reply.body, operation, reply.status)
    if (!check.valid) {
      const problems = (check.errors ?? []).map(
        (e) => `${e.instancePath} ${e.message ?? e.keyword}`,
      )
      violations.push(
        `${where}: the fake's ${reply.status} answer does not match GitHub's description: ${problems.join('; ')}`,
      )
    }
    return reply
  }

  const latencyMs = options.latencyMs ?? 0
  let inFlight = 0
  let maxInFlight = 0
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const method = request.method ?? 'GET'
      const url = new URL(request.url ?? '/', baseUrl)
      const rawBody = Buffer.concat(chunks).toString('utf8')
      const record: GitHubRequest = {
        method,
        path: `${url.pathname}${url.search}`,
        headers: request.headers,
        body: rawBody,
      }
      requests.push(record)
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      let reply: Reply
      try {
        reply = handle(method, url, request.headers, rawBody, record)
      } catch (err) {
        violations.push(
          `${method} ${record.path}: the fake failed: ${err instanceof Error ? err.message : String(err)}`,
        )
        reply = error(500, 'Server Error')
      }
      const answer = () => {
        inFlight--
        send(response, record, reply)
      }
      if (latencyMs > 0) setTimeout(answer, latencyMs)
      else answer()
    })
  })

  // The blob storage: serves an artifact's zip to whoever holds the signed URL, nothing else.
  const storage = createServer((request, response) => {
    const record: StorageRequest = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      headers: request.headers,
    }
    storageRequests.push(record)
    request.resume()
    const answer = (status: number, body: Uint8Array | string, type: string) => {
      record.status = status
      response.writeHead(status, {
        'content-type': type,
        'content-length': String(Buffer.byteLength(body)),
      })
      response.end(body)
    }
    if (request.headers.authorization !== undefined) {
      violations.push(`storage ${record.method} ${record.path}: received an Authorization header`)
      answer(403, 'the storage does not take GitHub credentials', 'text/plain')
      return
    }
    const url = new URL(record.path, storageUrl)
    const id = /^\/actions-results\/(\d+)\/artifact\.zip$/u.exec(url.pathname)?.[1]
    const artifact = artifacts.find((a) => String(a.id) === id)
    if (record.method !== 'GET' || !artifact || !url.searchParams.get('sig')) {
      answer(404, 'The specified resource does not exist.', 'text/plain')
      return
    }
    const failure = storageFailures.shift()
    if (failure !== undefined) {
      answer(failure, 'injected failure', 'text/plain')
      return
    }
    answer(200, artifact.zip, 'application/zip')
  })

  const listen = (target: ReturnType<typeof createServer>) =>
    new Promise<string>((resolve, reject) => {
      target.once('error', reject)
      target.listen(0, '127.0.0.1', () =>
        resolve(`http://127.0.0.1:${(target.address() as AddressInfo).port}`),
      )
    })
  baseUrl = await listen(server)
  storageUrl = await listen(storage)

  return {
    url: baseUrl,
    apiUrl: `${baseUrl}${API_PREFIX}`,
    requests,
    violations,
    seedStatus: (repo, sha, status) => addStatus(repo, sha, status),
    statuses: (repo, sha) => statusesOf(repo, sha),
    seedComment: (repo, number, comment) => addComment(repo, number, comment.login, comment.body),
    comments: (repo, number) => [...(commentStore.get(issueKey(repo, number)) ?? [])],
    dispatches,
    app,
    get maxInFlight() {
      return maxInFlight
    },
    addArtifact,
    storageUrl,
    storageRequests,
    failStorageNext(count, status) {
      for (let i = 0; i < count; i++) storageFailures.push(status)
    },
    failNext(count, failure) {
      for (let i = 0; i < count; i++) failures.push(failure)
    },
    close: async () => {
      for (const target of [server, storage]) {
        await new Promise<void>((resolve) => {
          target.closeAllConnections()
          target.close(() => resolve())
        })
      }
    },
  }
}

function linkHeaders(link: string | undefined): Record<string, string> {
  return link === undefined ? {} : { link }
}
