/**
 * `github` commit statuses (reference §6.5, §6.6): the event's commit gets a status whose context
 * is the commit-status id, whose state is `success`/`failure` and whose description is the
 * reason in words. Written only when GitHub does not already show that state and description.
 */
import type { FluxEvent } from '../../events/model.js'
import type {
  CommitStatusClient,
  CommitStatusModule,
  CurrentStatus,
  DesiredStatus,
  Notification,
} from '../types.js'
import { githubRepository, splitOwnerRepo } from './address.js'
import type { GitHubRepository } from './address.js'
import { commitStatusTarget, showsSameStatus, statusText } from './commit-status.js'
import type { CommitStateTable } from './commit-status.js'
import { validateGitHubProvider } from './github-app.js'
import { githubClientFor, requestSignal } from './octokit.js'
import type { Octokit } from './octokit.js'
import { fitDescription, formatNameAndDescription } from './status-text.js'

/**
 * `toGitHubState`. The controller posts nothing for Progressing: GitHub would show the commit as
 * done too early.
 */
const GITHUB_STATES: CommitStateTable = {
  type: 'github',
  info: 'success',
  error: 'failure',
  noState: "can't convert to github state",
  pending: 'pending',
  timedOut: 'error',
}

/** `owner/repo`: the repository a GitHub status goes to. */
function githubRepositoryId(address: string): string | { error: string } {
  const repository = githubRepository(address)
  return 'error' in repository ? repository : `${repository.owner}/${repository.repo}`
}

function desiredStatus(
  notification: Notification,
  context: string,
): DesiredStatus | { skip: string } {
  const target = commitStatusTarget(notification, GITHUB_STATES, githubRepositoryId)
  if ('skip' in target) return target
  return { ...target, context, description: fitDescription(statusText(notification).description) }
}

/** The description we post: the controller's text, cut to GitHub's 140-character limit. */
export function githubDescription(event: FluxEvent): string {
  return fitDescription(formatNameAndDescription(event).description)
}

/**
 * The controller takes the newest status with the same context and does nothing when its state
 * and description are both equal. The combined-status read gives exactly one (the newest) status
 * per context, so the first match is that one.
 */
function isUnchanged(desired: DesiredStatus, current: CurrentStatus[]): boolean {
  return showsSameStatus(
    current.find((status) => status.context === desired.context),
    desired,
  )
}

const API_VERSION_HEADERS = { 'x-github-api-version': '2022-11-28' }

/** Enough pages for 10,000 contexts; a server that keeps sending pages past that is broken. */
const MAX_STATUS_PAGES = 100

export function createGitHubStatusClient(octokit: Octokit): CommitStatusClient {
  return {
    async readStatuses(repository, sha, signal) {
      const { owner, repo } = splitOwnerRepo(repository)
      const statuses: CurrentStatus[] = []
      try {
        // The combined status holds the newest status of every context (the controller reads
        // only the 50 newest statuses, and misses older contexts on busy commits).
        for (let page = 1; page <= MAX_STATUS_PAGES; page++) {
          const response = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/status', {
            owner,
            repo,
            ref: sha,
            per_page: 100,
            page,
            headers: API_VERSION_HEADERS,
            request: { signal: requestSignal(signal) },
          })
          const pageStatuses = response.data.statuses
          for (const status of pageStatuses) {
            statuses.push({
              context: status.context,
              state: status.state,
              // GitHub stores an empty description as null; we post '' for it.
              description: status.description ?? '',
            })
          }
          const link = response.headers.link
          const hasNextLink = typeof link === 'string' && /\brel="next"/.test(link)
          const moreByCount = link === undefined && statuses.length < response.data.total_count
          if (pageStatuses.length === 0 || !(hasNextLink || moreByCount)) break
        }
      } catch (error) {
        throw new Error(`could not list commit statuses: ${describeError(error, signal)}`, {
          cause: error,
        })
      }
      return statuses
    },

    async writeStatus(status, signal) {
      const { owner, repo } = splitOwnerRepo(status.repository)
      try {
        await octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
          owner,
          repo,
          sha: status.sha,
          state: status.state as 'success' | 'failure' | 'error' | 'pending',
          description: status.description,
          context: status.context,
          headers: API_VERSION_HEADERS,
          request: { signal: requestSignal(signal) },
        })
      } catch (error) {
        throw new Error(`could not create commit status: ${describeError(error, signal)}`, {
          cause: error,
        })
      }
    },
  }
}

/** One line for an Octokit failure: `422 Validation Failed: <details>`, or the network error. */
export function describeError(error: unknown, signal?: AbortSignal): string {
  if (signal?.aborted) {
    const reason: unknown = signal.reason
    return reason instanceof Error && reason.name === 'TimeoutError'
      ? 'context deadline exceeded'
      : 'context canceled'
  }
  const failure = error as {
    status?: number
    message?: string
    response?: { data?: unknown }
  }
  const data = failure.response?.data
  if (typeof failure.status === 'number' && failure.response) {
    let text = `${failure.status}`
    if (data && typeof data === 'object') {
      const body = data as { message?: unknown; errors?: unknown }
      if (typeof body.message === 'string') text += ` ${body.message}`
      if (Array.isArray(body.errors)) {
        const details = body.errors
          .map((e: unknown) =>
            typeof e === 'string'
              ? e
              : ((e as { message?: unknown })?.message ?? (e as { code?: unknown })?.code),
          )
          .filter((d): d is string => typeof d === 'string' && d !== '')
        if (details.length > 0) text += `: ${details.join('; ')}`
      }
    } else if (typeof data === 'string' && data !== '') {
      text += ` ${data.split('\n')[0]!.slice(0, 200)}`
    }
    return text
  }
  return failure.message ?? String(error)
}

export const github: CommitStatusModule = {
  type: 'github',
  class: 'commit-status',
  // credentials first (a token, or complete GitHub App settings), then the address
  validate: validateGitHubProvider,
  desiredStatus,
  isUnchanged,
  async createClient(provider) {
    const repository: GitHubRepository | { error: string } = githubRepository(provider.address)
    if ('error' in repository) throw new Error(repository.error)
    return createGitHubStatusClient(await githubClientFor(provider, repository.apiBase))
  },
}
