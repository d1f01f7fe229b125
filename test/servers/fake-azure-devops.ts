/**
 * Azure DevOps Services' Git commit statuses on 127.0.0.1 (REST "Statuses - List" and
 * "Statuses - Create"), so an `azuredevops` Provider with address
 * `http://127.0.0.1:<port>/<org>/<project>/_git/<repo>` talks to it unchanged:
 * - `GET  /{org}/{project}/_apis/git/repositories/{repo}/commits/{sha}/statuses`: newest first,
 *   `top` (default 1000) and `skip`, answered as `{"count":n,"value":[…]}`;
 * - `POST` to the same path: creates a status (`state` one of notSet, pending, succeeded, failed,
 *   error, notApplicable), answers 201 with it.
 * An `api-version` is required (query or `Accept` parameter). Organization, project and repository
 * names match case-insensitively, as on Azure DevOps. Errors are its JSON exception bodies
 * (`{"$id":"1","message":…,"typeKey":…}`). Every request is recorded.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { startJsonServer } from './http-fake.js'

export interface FakeAzureDevOpsRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
  status?: number
}

export interface AzureStatus {
  id: number
  state: string
  description?: string
  context: { name?: string; genre?: string }
  creationDate: string
}

export interface AzureStatusInput {
  state: string
  description?: string
  context: { name?: string; genre?: string }
}

export interface AzureFailure {
  status: number
  headers?: Record<string, string>
  body?: string
}

export interface FakeAzureDevOps {
  /** `http://127.0.0.1:<port>`: an address is `${url}/<org>/<project>/_git/<repo>` */
  url: string
  requests: FakeAzureDevOpsRequest[]
  /** `repository` is `org/project/repo` */
  seedStatus(repository: string, sha: string, status: AzureStatusInput): AzureStatus
  /** statuses of a commit in creation order */
  statuses(repository: string, sha: string): AzureStatus[]
  failNext(count: number, failure: AzureFailure): void
  close(): Promise<void>
}

export interface FakeAzureDevOpsOptions {
  /** when set, only this PAT is accepted (Basic auth, any user name) */
  token?: string
  /** when set, only these `org/project/repo` exist; others answer TF401019 */
  repositories?: string[]
}

const STATES = new Set(['notSet', 'pending', 'succeeded', 'failed', 'error', 'notApplicable'])

const STATUSES_ROUTE =
  /^\/([^/]+)\/([^/]+)\/_apis\/git\/repositories\/([^/]+)\/commits\/([^/]+)\/statuses$/u

interface Reply {
  status: number
  body?: unknown
}

function azureException(status: number, message: string, typeKey: string): Reply {
  return {
    status,
    body: {
      $id: '1',
      innerException: null,
      message,
      typeName: `Microsoft.TeamFoundation.${typeKey}, Microsoft.TeamFoundation`,
      typeKey,
      errorCode: 0,
      eventId: 3000,
    },
  }
}

export async function startFakeAzureDevOps(
  options: FakeAzureDevOpsOptions = {},
): Promise<FakeAzureDevOps> {
  const store = new Map<string, AzureStatus[]>()
  let origin = ''
  let nextId = 1

  const storeKey = (repository: string, sha: string) => `${repository.toLowerCase()}@${sha}`
  const addStatus = (repository: string, sha: string, input: AzureStatusInput): AzureStatus => {
    const status: AzureStatus = {
      id: nextId++,
      state: input.state,
      context: { ...input.context },
      creationDate: new Date().toISOString(),
    }
    if (input.description !== undefined) status.description = input.description
    store.set(storeKey(repository, sha), [...(store.get(storeKey(repository, sha)) ?? []), status])
    return status
  }

  const view = (org: string, s: AzureStatus) => ({
    ...s,
    createdBy: {
      displayName: 'Flux Bot',
      url: `${origin}/${org}/_apis/Identities/278d5cd2-584d-4b63-824a-2ba458937249`,
      id: '278d5cd2-584d-4b63-824a-2ba458937249',
      uniqueName: 'flux@example.com',
      imageUrl: `${origin}/${org}/_api/_common/identityImage?id=278d5cd2-584d-4b63-824a-2ba458937249`,
    },
  })

  const authorized = (headers: IncomingHttpHeaders): boolean => {
    if (options.token === undefined) return true
    const match = /^Basic (.+)$/u.exec(headers.authorization ?? '')
    if (!match) return false
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
    return decoded.slice(decoded.indexOf(':') + 1) === options.token
  }

  const handle = (method: string, url: URL, headers: IncomingHttpHeaders, raw: string): Reply => {
    const route = STATUSES_ROUTE.exec(url.pathname)
    if (!route) {
      return azureException(
        404,
        `The resource ${url.pathname} cannot be found.`,
        'NotFoundException',
      )
    }
    if (!authorized(headers)) {
      return azureException(
        401,
        "TF400813: The user '' is not authorized to access this resource.",
        'UnauthorizedRequestException',
      )
    }
    const apiVersion =
      url.searchParams.get('api-version') ??
      /api-version=([^;,\s]+)/u.exec(headers.accept ?? '')?.[1]
    if (!apiVersion) {
      return azureException(
        400,
        `No api-version was supplied for the "${method}" request. The version must be supplied either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query parameter (e.g. '?api-version=1.0').`,
        'VssVersionNotSpecifiedException',
      )
    }
    const [, org, project, repo, sha] = route.map((part) => decodeURIComponent(part ?? ''))
    const repository = `${org}/${project}/${repo}`
    const known = options.repositories?.map((r) => r.toLowerCase())
    if (known && !known.includes(repository.toLowerCase())) {
      return azureException(
        404,
        `TF401019: The Git repository with name or identifier ${repo} does not exist or you do not have permissions for the operation you are attempting.`,
        'GitRepositoryNotFoundException',
      )
    }

    if (method === 'GET') {
      const topRaw = Number.parseInt(url.searchParams.get('top') ?? '1000', 10)
      const skipRaw = Number.parseInt(url.searchParams.get('skip') ?? '0', 10)
      const top = Number.isNaN(topRaw) || topRaw < 0 ? 1000 : topRaw
      const skip = Number.isNaN(skipRaw) || skipRaw < 0 ? 0 : skipRaw
      const all = [...(store.get(storeKey(repository, sha!)) ?? [])].sort((a, b) => b.id - a.id)
      const value = all.slice(skip, skip + top).map((s) => view(org!, s))
      return { status: 200, body: { count: value.length, value } }
    }
    if (method === 'POST') {
      let input: Record<string, unknown>
      try {
        input = JSON.parse(raw) as Record<string, unknown>
      } catch {
        return azureException(
          400,
          'Value cannot be null.\r\nParameter name: gitCommitStatusToCreate',
          'ArgumentNullException',
        )
      }
      if (typeof input.state !== 'string' || !STATES.has(input.state)) {
        return azureException(
          400,
          `The status state '${String(input.state)}' is not valid.`,
          'InvalidArgumentValueException',
        )
      }
      const context = (input.context ?? {}) as { name?: unknown; genre?: unknown }
      if (typeof context.name !== 'string' || context.name === '') {
        return azureException(
          400,
          'The status context name cannot be empty.',
          'InvalidArgumentValueException',
        )
      }
      const created = addStatus(repository, sha!, {
        state: input.state,
        context: {
          name: context.name,
          ...(typeof context.genre === 'string' ? { genre: context.genre } : {}),
        },
        ...(typeof input.description === 'string' ? { description: input.description } : {}),
      })
      return { status: 201, body: view(org!, created) }
    }
    return azureException(
      405,
      `The requested resource does not support http method '${method}'.`,
      'MethodNotAllowedException',
    )
  }

  const server = await startJsonServer({
    contentType: 'application/json; charset=utf-8; api-version=6.0',
    failureBody: (status) =>
      JSON.stringify(azureException(status, 'Injected failure', 'InjectedException').body),
    handle: (record, base) =>
      handle(record.method, new URL(record.path, base), record.headers, record.body),
  })
  origin = server.url

  return {
    url: origin,
    requests: server.requests,
    seedStatus: (repository, sha, status) => ({ ...addStatus(repository, sha, status) }),
    statuses: (repository, sha) =>
      (store.get(storeKey(repository, sha)) ?? []).map((s) => ({
        ...s,
        context: { ...s.context },
      })),
    failNext: server.failNext,
    close: server.close,
  }
}
