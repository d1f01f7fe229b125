/**
 * Bitbucket Server / Data Center's build status REST resources on 127.0.0.1, under an optional
 * context path, as Atlassian documents them ("Updating build status for commits", REST API
 * "Builds and Deployments"):
 * - `POST <ctx>/rest/api/latest/projects/{p}/repos/{r}/commits/{sha}/builds`: stores a build
 *   status (replacing the one with the same key on that commit and repository), answers 204;
 *   `key`, `state` (SUCCESSFUL, FAILED, INPROGRESS, CANCELLED, UNKNOWN) and `url` are required;
 * - `GET  <ctx>/rest/api/latest/projects/{p}/repos/{r}/commits/{sha}/builds?key=K`: that status,
 *   404 when there is none;
 * - `GET  <ctx>/rest/build-status/latest/commits/{sha}`: every build status of the commit, newest
 *   first, paged with `start`/`limit` (default 25) and `size`, `isLastPage`, `nextPageStart`.
 * Errors are Bitbucket's `{"errors":[{"context":…,"message":…,"exceptionName":…}]}`; every
 * request is recorded.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { startJsonServer } from './http-fake.js'

export interface FakeBitbucketServerRequest {
  method: string
  /** path and query as received */
  path: string
  headers: IncomingHttpHeaders
  body: string
  status?: number
}

export interface BuildStatus {
  key: string
  state: string
  name?: string
  url: string
  description?: string
  dateAdded: number
}

export interface BuildStatusInput {
  key: string
  state: string
  name?: string
  url?: string
  description?: string
}

export interface BitbucketServerFailure {
  status: number
  headers?: Record<string, string>
  /** default: Bitbucket's error JSON; `''` for an empty body */
  body?: string
}

export interface FakeBitbucketServer {
  /** `http://127.0.0.1:<port><contextPath>`: clone URLs are `${url}/scm/<project>/<repo>.git` */
  url: string
  requests: FakeBitbucketServerRequest[]
  /** `repository` is `PROJECT/repo` */
  seedStatus(repository: string, sha: string, status: BuildStatusInput): BuildStatus
  /** the build statuses of a commit in a repository, oldest first */
  statuses(repository: string, sha: string): BuildStatus[]
  failNext(count: number, failure: BitbucketServerFailure): void
  close(): Promise<void>
}

export interface FakeBitbucketServerOptions {
  /** e.g. `/bitbucket`; default none */
  contextPath?: string
  /** accept only `Authorization: Bearer <token>` … */
  token?: string
  /** … or only these Basic credentials (either, when both are set) */
  credentials?: { username: string; password: string }
}

const STATES = new Set(['SUCCESSFUL', 'FAILED', 'INPROGRESS', 'CANCELLED', 'UNKNOWN'])

interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

function bitbucketErrors(status: number, message: string, exceptionName: string): Reply {
  return { status, body: { errors: [{ context: null, message, exceptionName }] } }
}

export async function startFakeBitbucketServer(
  options: FakeBitbucketServerOptions = {},
): Promise<FakeBitbucketServer> {
  const contextPath = options.contextPath ?? ''
  /** per `PROJECT/repo@sha`, in the order they were last set */
  const store = new Map<string, BuildStatus[]>()
  let clock = Date.now()

  const storeKey = (repository: string, sha: string) => `${repository}@${sha}`
  const setStatus = (repository: string, sha: string, input: BuildStatusInput): BuildStatus => {
    const list = (store.get(storeKey(repository, sha)) ?? []).filter((s) => s.key !== input.key)
    const status: BuildStatus = {
      key: input.key,
      state: input.state,
      url: input.url ?? '',
      // distinct and increasing, so "newest first" is well defined within one millisecond too
      dateAdded: (clock = Math.max(clock + 1, Date.now())),
    }
    if (input.name !== undefined) status.name = input.name
    if (input.description !== undefined) status.description = input.description
    list.push(status)
    store.set(storeKey(repository, sha), list)
    return status
  }

  const authorized = (headers: IncomingHttpHeaders): boolean => {
    const accepted: string[] = []
    if (options.token !== undefined) accepted.push(`Bearer ${options.token}`)
    if (options.credentials) {
      const { username, password } = options.credentials
      accepted.push(`Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`)
    }
    return accepted.length === 0 || accepted.includes(headers.authorization ?? '')
  }

  const repoBuilds = new RegExp(
    `^${contextPath}/rest/api/latest/projects/([^/]+)/repos/([^/]+)/commits/([^/]+)/builds$`,
    'u',
  )
  const commitBuilds = new RegExp(`^${contextPath}/rest/build-status/latest/commits/([^/]+)$`, 'u')

  const handle = (method: string, url: URL, headers: IncomingHttpHeaders, raw: string): Reply => {
    const repoRoute = repoBuilds.exec(url.pathname)
    const commitRoute = commitBuilds.exec(url.pathname)
    if (!repoRoute && !commitRoute) {
      return bitbucketErrors(
        404,
        `${url.pathname} does not exist`,
        'com.atlassian.bitbucket.NotFoundException',
      )
    }
    if (!authorized(headers)) {
      return bitbucketErrors(
        401,
        'Authentication failed. Please check your credentials and try again.',
        'com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException',
      )
    }

    if (commitRoute && method === 'GET') {
      const sha = commitRoute[1]!
      const all = [...store.entries()]
        .filter(([k]) => k.endsWith(`@${sha}`))
        .flatMap(([, list]) => list)
        .sort((a, b) => b.dateAdded - a.dateAdded)
      const startRaw = Number.parseInt(url.searchParams.get('start') ?? '0', 10)
      const limitRaw = Number.parseInt(url.searchParams.get('limit') ?? '25', 10)
      const start = Number.isNaN(startRaw) || startRaw < 0 ? 0 : startRaw
      const limit = Number.isNaN(limitRaw) || limitRaw < 1 ? 25 : Math.min(limitRaw, 1000)
      const values = all.slice(start, start + limit)
      const isLastPage = start + values.length >= all.length
      const body: Record<string, unknown> = {
        size: values.length,
        limit,
        isLastPage,
        values,
        start,
      }
      if (!isLastPage) body.nextPageStart = start + values.length
      return { status: 200, body }
    }

    if (repoRoute) {
      const [, project, repo, sha] = repoRoute
      const repository = `${project}/${repo}`
      if (method === 'GET') {
        const key = url.searchParams.get('key')
        if (key === null) {
          return bitbucketErrors(
            400,
            'A build status key is required.',
            'com.atlassian.bitbucket.validation.ArgumentValidationException',
          )
        }
        const found = (store.get(storeKey(repository, sha!)) ?? []).find((s) => s.key === key)
        if (!found) {
          return bitbucketErrors(
            404,
            `No build status could be found for key '${key}' on commit ${sha}.`,
            'com.atlassian.bitbucket.build.status.NoSuchBuildStatusException',
          )
        }
        return { status: 200, body: found }
      }
      if (method === 'POST') {
        let input: Record<string, unknown>
        try {
          input = JSON.parse(raw) as Record<string, unknown>
        } catch {
          return bitbucketErrors(
            400,
            'The request body is not valid JSON.',
            'com.atlassian.bitbucket.rest.BadRequestException',
          )
        }
        for (const field of ['key', 'state', 'url']) {
          if (typeof input[field] !== 'string' || input[field] === '') {
            return bitbucketErrors(
              400,
              `${field} must not be blank`,
              'com.atlassian.bitbucket.validation.ArgumentValidationException',
            )
          }
        }
        if (!STATES.has(input.state as string)) {
          return bitbucketErrors(
            400,
            `${String(input.state)} is not a valid build state`,
            'com.atlassian.bitbucket.validation.ArgumentValidationException',
          )
        }
        setStatus(repository, sha!, {
          key: input.key as string,
          state: input.state as string,
          url: input.url as string,
          ...(typeof input.name === 'string' ? { name: input.name } : {}),
          ...(typeof input.description === 'string' ? { description: input.description } : {}),
        })
        return { status: 204 }
      }
    }
    return bitbucketErrors(
      405,
      `Method ${method} is not supported`,
      'com.atlassian.bitbucket.rest.MethodNotAllowedException',
    )
  }

  const server = await startJsonServer({
    contentType: 'application/json;charset=UTF-8',
    omitContentTypeWhenEmpty: true,
    failureBody: (status) =>
      JSON.stringify(bitbucketErrors(status, 'Injected failure', 'com.example.Injected').body),
    handle: (record, base) =>
      handle(record.method, new URL(record.path, base), record.headers, record.body),
  })

  return {
    url: `${server.url}${contextPath}`,
    requests: server.requests,
    seedStatus: (repository, sha, status) => ({ ...setStatus(repository, sha, status) }),
    statuses: (repository, sha) =>
      (store.get(storeKey(repository, sha)) ?? []).map((s) => ({ ...s })),
    failNext: server.failNext,
    close: server.close,
  }
}
