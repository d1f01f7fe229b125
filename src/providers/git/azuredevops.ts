/**
 * `azuredevops` commit statuses (reference §6.1, §6.5, §6.6): a Git status whose
 * `context.name` is the commit-status id and whose `context.genre` is `fluxcd`, or
 * `fluxcd:<summary>` when the event carries a `summary`; state `succeeded`/`error`; the reason in
 * words as description. Written only when the first status with that name and genre does not
 * already show the same state and description.
 *
 * Differences from the controller's SDK client, none of them visible to Azure DevOps:
 * - The SDK first asks `OPTIONS <org>/_apis` where each API lives; the Git status routes have been
 *   the same for years, so we call them directly and save a round trip per provider.
 * - The controller falls back to a managed-identity token when the secret has no `token`. A CI
 *   runner has no managed identity, so a Provider without a PAT is refused when manifests load.
 */
import type { ProviderConnection } from '../../delivery/transport.js'
import { randomUUID } from 'node:crypto'
import { sendRequest } from '../../delivery/http.js'
import { goJson } from '../../util/go-json.js'
import type {
  CommitStatusClient,
  CommitStatusModule,
  CurrentStatus,
  DesiredStatus,
  Notification,
} from '../types.js'
import { failedStatusCode, goStatusText, parseJsonBody } from './bitbucket.js'
import { commitStatusTarget, showsSameStatus, statusText } from './commit-status.js'
import type { CommitStateTable } from './commit-status.js'
import { azureDevOpsRepository, validateAzureDevOps } from '../validate/git.js'
import type { AzureDevOpsRepository } from '../validate/git.js'

export { azureDevOpsRepository }
export type { AzureDevOpsRepository }

export const AZURE_DEVOPS_API_VERSION = '6.0'

/** The genre of every status flux-notify (and the controller) writes, before `:<summary>`. */
export const FLUX_GENRE = 'fluxcd'

/**
 * Statuses per page. The API's default (1000) would make a page far bigger than the 64 KiB of
 * body we read; a status with its `createdBy` identity is about 1 KiB.
 */
const PAGE_SIZE = 25

/** Enough pages for 5,000 statuses; a server that keeps sending full pages past that is broken. */
const MAX_STATUS_PAGES = 100

/** `fluxcd`, or `fluxcd:<summary>` whenever the event metadata has a `summary` (even empty). */
export function azureGenre(metadata: Record<string, string> | undefined): string {
  if (metadata && Object.hasOwn(metadata, 'summary')) return `${FLUX_GENRE}:${metadata.summary}`
  return FLUX_GENRE
}

/** `toAzureDevOpsState`; a Progressing event is not posted, as for GitHub. */
const AZURE_DEVOPS_STATES: CommitStateTable = {
  type: 'azuredevops',
  info: 'succeeded',
  error: 'error',
  noState: "can't convert to azure devops state",
  pending: 'pending',
  timedOut: 'error',
}

/** The address id, `org/project/_git/repo`: the repository an Azure DevOps status goes to. */
function azureDevOpsRepositoryId(address: string): string | { error: string } {
  const repository = azureDevOpsRepository(address)
  return 'error' in repository ? repository : repository.id
}

function desiredStatus(
  notification: Notification,
  context: string,
): DesiredStatus | { skip: string } {
  const { event } = notification
  const target = commitStatusTarget(notification, AZURE_DEVOPS_STATES, azureDevOpsRepositoryId)
  if ('skip' in target) return target
  return {
    ...target,
    context,
    description: statusText(notification).description,
    genre: azureGenre(event.metadata),
  }
}

/**
 * The controller takes the first status (newest first) with the same name and genre; it is a
 * duplicate iff that one's state and description are equal too.
 */
function isUnchanged(desired: DesiredStatus, current: CurrentStatus[]): boolean {
  const existing = current.find(
    (status) => status.context === desired.context && status.genre === desired.genre,
  )
  return showsSameStatus(existing, desired)
}

/** One `GitStatus` of the list, as far as we read it. */
interface GitStatus {
  context?: { name?: unknown; genre?: unknown } | null
  state?: unknown
  description?: unknown
}

export function createAzureDevOpsStatusClient(
  repository: AzureDevOpsRepository,
  token: string,
  connection?: ProviderConnection,
): CommitStatusClient {
  const headers = {
    Authorization: `Basic ${Buffer.from(`:${token}`, 'utf8').toString('base64')}`,
    Accept: `application/json;api-version=${AZURE_DEVOPS_API_VERSION}`,
    // answer 401 instead of redirecting an unauthenticated call to a sign-in page
    'X-TFS-FedAuthRedirect': 'Suppress',
    'X-TFS-Session': randomUUID(),
  }
  const statusesUrl = (sha: string) =>
    `${repository.orgUrl}/${encodeURIComponent(repository.project)}/_apis/git/repositories/` +
    `${encodeURIComponent(repository.repo)}/commits/${encodeURIComponent(sha)}/statuses` +
    `?api-version=${AZURE_DEVOPS_API_VERSION}`

  return {
    // One client per Provider, so one repository: the `repository` argument is its id.
    async readStatuses(_repository, sha, signal) {
      const statuses: CurrentStatus[] = []
      for (let page = 0; page < MAX_STATUS_PAGES; page++) {
        const url = `${statusesUrl(sha)}&top=${PAGE_SIZE}&skip=${page * PAGE_SIZE}`
        let body: string
        try {
          ;({ body } = await sendRequest({ method: 'GET', url, headers }, { signal, connection }))
        } catch (error) {
          throw new Error(`could not list commit statuses: ${azureError(error)}`, { cause: error })
        }
        const parsed = parseJsonBody(body)
        if ('error' in parsed) throw new Error(`could not list commit statuses: ${parsed.error}`)
        const list = (parsed.value as { value?: unknown } | null)?.value
        const entries: GitStatus[] = Array.isArray(list) ? (list as GitStatus[]) : []
        for (const entry of entries) {
          const { context, state, description } = entry
          // the controller skips entries with a nil name, genre, state or description
          if (
            typeof context?.name !== 'string' ||
            typeof context.genre !== 'string' ||
            typeof state !== 'string' ||
            typeof description !== 'string'
          ) {
            continue
          }
          statuses.push({ context: context.name, genre: context.genre, state, description })
        }
        if (entries.length < PAGE_SIZE) break
      }
      return statuses
    },

    async writeStatus(status, signal) {
      // the SDK's GitStatus: fields in struct order, empty ones omitted
      const body = goJson({
        context: { genre: status.genre ?? FLUX_GENRE, name: status.context },
        description: status.description === '' ? undefined : status.description,
        state: status.state,
      })
      try {
        await sendRequest(
          {
            method: 'POST',
            url: statusesUrl(status.sha),
            headers: { ...headers, 'Content-Type': 'application/json;charset=utf-8' },
            body,
          },
          { signal, connection },
        )
      } catch (error) {
        throw new Error(`could not create commit status: ${azureError(error)}`, { cause: error })
      }
    },
  }
}

/**
 * The SDK reports a failed call by the `message` of Azure DevOps' JSON error body
 * (`TF401019: The Git repository … does not exist …`); without one, the status code.
 */
function azureError(error: unknown): string {
  const code = failedStatusCode(error)
  const text = error instanceof Error ? error.message : String(error)
  if (code === undefined) return text
  const body = text.slice(text.indexOf(': ') + 2)
  const parsed = parseJsonBody(body)
  if ('value' in parsed) {
    const message = (parsed.value as { message?: unknown } | null)?.message
    if (typeof message === 'string' && message !== '') return message
  }
  return `${code} ${goStatusText(code)}`
}

export const azureDevOps: CommitStatusModule = {
  type: 'azuredevops',
  class: 'commit-status',
  validate: validateAzureDevOps,
  desiredStatus,
  isUnchanged,
  async createClient(provider) {
    const problem = validateAzureDevOps(provider)
    if (problem !== undefined) throw new Error(problem)
    const repository = azureDevOpsRepository(provider.address) as AzureDevOpsRepository
    return createAzureDevOpsStatusClient(repository, provider.token, provider)
  },
}
