/**
 * Pull/merge request comments (reference §5.25): `githubpullrequestcomment`,
 * `gitlabmergerequestcomment` and `giteapullrequestcomment`.
 *
 * Each Flux object gets one comment per provider on the change request named by the event's
 * `change_request` metadata. The comment starts with a hidden marker,
 * `<!-- <prefix>:<providerUID>/<Kind>/<namespace>/<name> -->`, by which a later event finds it
 * again and updates it in place; only comments written by the account we authenticate as count,
 * so nobody else's comment is ever touched.
 *
 * Differences from the controller, on purpose: we read every page of comments (it reads the first
 * 100), we leave a comment alone when its body is already what we would write, and for Gitea we
 * skip the SDK's `GET /version` (nothing here depends on the server version).
 */
import type { FluxEvent } from '../../events/model.js'
import { MAX_BODY_BYTES, sendRequest } from '../../delivery/http.js'
import type { HttpRequestSpec } from '../types.js'
import type {
  ChangeRequestClient,
  ChangeRequestModule,
  CommentOutcome,
  Notification,
  ResolvedProvider,
} from '../types.js'
import { CHANGE_REQUEST_METADATA_KEY, formatMarkdownPost } from '../markdown.js'
import { githubRepository, parseGitAddress } from './address.js'
import { describeError } from './github.js'
import { githubAppInstallationToken, usesGitHubApp } from './github-app.js'
import { githubClientFor, requestSignal } from './octokit.js'
import type { Octokit } from './octokit.js'
import { tokenOrPassword } from './token.js'
import {
  giteaCommentRepository,
  validateGiteaPullRequestComment,
  validateGitHubPullRequestComment,
  validateGitLabMergeRequestComment,
} from '../validate/git.js'

/** The marker prefix: GitHub and Gitea say "PR", GitLab says "MR". */
const PR_PREFIX = 'flux-pr-comment-key'
const MR_PREFIX = 'flux-mr-comment-key'

/** A bound on pages read per comment list: 10,000 comments on GitHub and GitLab. */
const MAX_PAGES = 100

// ---- the pure part --------------------------------------------------------------------------

/** `<!-- <prefix>:<providerUID>/<Kind>/<namespace>/<name> -->`: the comment's identity. */
export function commentMarker(prefix: string, providerUid: string, event: FluxEvent): string {
  const { kind = '', namespace = '', name = '' } = event.involvedObject
  return `<!-- ${prefix}:${providerUid}/${kind}/${namespace}/${name} -->`
}

/** The whole comment: the marker, a blank line, then the shared markdown post. */
export function commentBody(prefix: string, providerUid: string, event: FluxEvent): string {
  return `${commentMarker(prefix, providerUid, event)}\n\n${formatMarkdownPost(event)}`
}

/**
 * The change request number from the (combined, unprefixed) metadata `change_request`, read like
 * Go's `strconv.Atoi`: optional sign, decimal digits, within 64 bits.
 */
export function changeRequestNumber(event: FluxEvent): number | { error: string } {
  const value = event.metadata?.[CHANGE_REQUEST_METADATA_KEY]
  if (value === undefined) return { error: `missing "${CHANGE_REQUEST_METADATA_KEY}" metadata key` }
  const invalid = (why: string) => ({
    error: `invalid "${CHANGE_REQUEST_METADATA_KEY}" metadata value ${JSON.stringify(value)}: strconv.Atoi: parsing ${JSON.stringify(value)}: ${why}`,
  })
  if (!/^[+-]?[0-9]+$/u.test(value)) return invalid('invalid syntax')
  const parsed = BigInt(value)
  if (parsed > 9223372036854775807n || parsed < -9223372036854775808n) {
    return invalid('value out of range')
  }
  return Number(parsed)
}

/** Where a comment goes: the repository (or GitLab project path) and the PR/MR number. */
export interface ChangeRequestTarget {
  repository: string
  number: number
}

/**
 * The repository and change request a notification's comment is for, without any IO (the dry run
 * says this). The repository is the address's path, as each host's parser reads it.
 */
export function changeRequestTarget(
  notification: Notification,
): ChangeRequestTarget | { error: string } {
  const number = changeRequestNumber(notification.event)
  if (typeof number !== 'number') return number
  return { repository: parseGitAddress(notification.provider.address).id, number }
}

/** A comment as the three hosts describe it, reduced to what matching needs. */
interface HostComment {
  id: number
  author: string
  body: string
}

/** What the shared upsert needs of one host: the calls, each with the host's own error text. */
interface CommentHost {
  /** the marker prefix, `PR_PREFIX` or `MR_PREFIX` */
  prefix: string
  /** the login (user name) of the account we write as */
  login(signal: AbortSignal): Promise<string>
  /** every comment on change request `number`, oldest first */
  list(number: number, signal: AbortSignal): Promise<HostComment[]>
  update(number: number, id: number, body: string, signal: AbortSignal): Promise<void>
  create(number: number, body: string, signal: AbortSignal): Promise<void>
}

/**
 * The shared upsert: find our comment by author and marker (the first one, oldest first), update
 * it when its body differs, or create it.
 */
function commentClient(provider: ResolvedProvider, host: CommentHost): ChangeRequestClient {
  return {
    async upsertComment(notification, signal): Promise<CommentOutcome> {
      const number = targetOrThrow(notification)
      const body = commentBody(host.prefix, provider.uid, notification.event)
      const marker = commentMarker(host.prefix, provider.uid, notification.event)
      const login = await host.login(signal)
      const comments = await host.list(number, signal)
      // an empty login would match comments whose author the host did not show
      if (login === '') {
        throw new Error('could not get the authenticated user: the answer has no login')
      }
      const ours = comments.find((c) => c.author === login && c.body.includes(marker))
      if (ours === undefined) {
        await host.create(number, body, signal)
        return 'created'
      }
      if (ours.body === body) return 'unchanged'
      await host.update(number, ours.id, body, signal)
      return 'updated'
    },
  }
}

/**
 * A lookup done once per client, on first need (it needs the delivery's signal). A failure is not
 * kept: the controller builds its notifier per event, so the next event tries again.
 */
function onceOnSuccess<T>(lookup: (signal: AbortSignal) => Promise<T>) {
  let cached: Promise<T> | undefined
  return (signal: AbortSignal): Promise<T> => {
    if (!cached) {
      const attempt = lookup(signal)
      cached = attempt
      attempt.catch(() => {
        if (cached === attempt) cached = undefined
      })
    }
    return cached
  }
}

function targetOrThrow(notification: Notification): number {
  const number = changeRequestNumber(notification.event)
  if (typeof number !== 'number') throw new Error(number.error)
  return number
}

// ---- GitHub ---------------------------------------------------------------------------------

const GITHUB_HEADERS = { 'x-github-api-version': '2022-11-28' }

/** The author of everything the workflow's `GITHUB_TOKEN` writes. */
export const GITHUB_ACTIONS_LOGIN = 'github-actions[bot]'

/**
 * The login comments are written as: `GET /user`, or for a GitHub App `<slug>[bot]`, the slug
 * from `GET /app` (asked with the App's JWT along with its installation token).
 */
async function githubLogin(
  octokit: Octokit,
  provider: ResolvedProvider,
  apiBase: string,
  signal: AbortSignal,
): Promise<string> {
  if (usesGitHubApp(provider)) {
    const app = await githubAppInstallationToken(provider, apiBase, { withSlug: true, signal })
    return `${app.slug ?? ''}[bot]`
  }
  try {
    const response = await octokit.request('GET /user', {
      headers: GITHUB_HEADERS,
      request: { signal: requestSignal(signal) },
    })
    return response.data.login
  } catch (error) {
    // An installation token (the workflow's GITHUB_TOKEN is one, of the GitHub Actions app) may
    // not read `/user`: GitHub answers 403 "Resource not accessible by integration". Comments made
    // with it are written by `github-actions[bot]`, so that is whose comment we look for. The
    // controller has no such case: a cluster never holds the Actions token.
    if ((error as { status?: number }).status === 403) return GITHUB_ACTIONS_LOGIN
    throw new Error(`could not get the authenticated user: ${describeError(error, signal)}`, {
      cause: error,
    })
  }
}

async function createGitHubClient(provider: ResolvedProvider): Promise<ChangeRequestClient> {
  const repository = githubRepository(provider.address)
  if ('error' in repository) throw new Error(repository.error)
  const { owner, repo } = repository
  const octokit = await githubClientFor(provider, repository.apiBase)
  const login = onceOnSuccess((signal) =>
    githubLogin(octokit, provider, repository.apiBase, signal),
  )
  const where = (n: number) => `${owner}/${repo}#${n}`

  const listComments = async (issue: number, signal: AbortSignal): Promise<HostComment[]> => {
    const comments: HostComment[] = []
    try {
      // per issue, GitHub lists comments oldest first; the Link header says when there are more
      for (let page = 1; page <= MAX_PAGES; page++) {
        const response = await octokit.request(
          'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
          {
            owner,
            repo,
            issue_number: issue,
            per_page: 100,
            page,
            headers: GITHUB_HEADERS,
            request: { signal: requestSignal(signal) },
          },
        )
        for (const c of response.data) {
          comments.push({ id: Number(c.id), author: c.user?.login ?? '', body: c.body ?? '' })
        }
        const link = response.headers.link
        if (
          response.data.length === 0 ||
          !(typeof link === 'string' && /\brel="next"/u.test(link))
        ) {
          break
        }
      }
    } catch (error) {
      throw new Error(
        `could not list comments on ${where(issue)}: ${describeError(error, signal)}`,
        {
          cause: error,
        },
      )
    }
    return comments
  }

  return commentClient(provider, {
    prefix: PR_PREFIX,
    login,
    list: listComments,
    async update(issue, id, body, signal) {
      try {
        await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
          owner,
          repo,
          comment_id: id,
          body,
          headers: GITHUB_HEADERS,
          request: { signal: requestSignal(signal) },
        })
      } catch (error) {
        throw new Error(
          `could not update comment ${id} on ${where(issue)}: ${describeError(error, signal)}`,
          { cause: error },
        )
      }
    },
    async create(issue, body, signal) {
      try {
        await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          owner,
          repo,
          issue_number: issue,
          body,
          headers: GITHUB_HEADERS,
          request: { signal: requestSignal(signal) },
        })
      } catch (error) {
        throw new Error(
          `could not create comment on ${where(issue)}: ${describeError(error, signal)}`,
          { cause: error },
        )
      }
    },
  })
}

export const githubPullRequestComment: ChangeRequestModule = {
  type: 'githubpullrequestcomment',
  class: 'change-request',
  validate: validateGitHubPullRequestComment,
  createClient: createGitHubClient,
}

// ---- hosts we talk to with plain requests (GitLab, Gitea) ------------------------------------

/** One JSON call with the controller's retry policy; the answer parsed, or a one-line error. */
async function callJson(
  provider: ResolvedProvider,
  spec: HttpRequestSpec,
  signal: AbortSignal,
  what: string,
): Promise<unknown> {
  let text: string
  try {
    // the Provider's proxy and TLS settings, as far as its type's client supports them
    text = (await sendRequest(spec, { signal, connection: provider })).body
  } catch (error) {
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  }
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown)
  } catch {
    if (Buffer.byteLength(text) >= MAX_BODY_BYTES) {
      throw new Error(`${what}: the answer is larger than the ${MAX_BODY_BYTES} bytes we read`)
    }
    throw new Error(`${what}: the answer is not JSON: ${text.slice(0, 200)}`)
  }
}

function jsonRequest(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: unknown,
): HttpRequestSpec {
  if (body === undefined)
    return { method, url, headers: { Accept: 'application/json', ...headers } }
  return {
    method,
    url,
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }
}

function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: the answer is not a JSON array`)
  return value
}

/** `value.path[0].path[1]…` as a string, or '' when anything on the way is missing. */
function stringAt(value: unknown, ...path: string[]): string {
  let at: unknown = value
  for (const key of path) {
    if (at === null || typeof at !== 'object') return ''
    at = (at as Record<string, unknown>)[key]
  }
  return typeof at === 'string' ? at : ''
}

function numberAt(value: unknown, key: string): number {
  const at: unknown =
    value !== null && typeof value === 'object'
      ? (value as Record<string, unknown>)[key]
      : undefined
  return typeof at === 'number' ? at : NaN
}

// ---- GitLab ---------------------------------------------------------------------------------

/**
 * Notes per page. GitLab allows 100, but our HTTP client reads at most `MAX_BODY_BYTES` of an
 * answer and a note with its author is most of a kilobyte: 20 keep a page well inside that.
 */
const GITLAB_PAGE_SIZE = 20

/**
 * The project as GitLab's API takes it in a path: a numeric id as is, a path (`group/sub/repo`)
 * URL-escaped as one segment, dots included, as GitLab's Go client escapes it.
 */
export function gitlabProjectSegment(id: string): string {
  if (/^[0-9]+$/u.test(id)) return id
  return encodeURIComponent(id).replace(/\./gu, '%2E')
}

async function createGitLabClient(provider: ResolvedProvider): Promise<ChangeRequestClient> {
  const { host, id } = parseGitAddress(provider.address)
  const api = `${host}/api/v4`
  const project = `${api}/projects/${gitlabProjectSegment(id)}`
  const auth = { 'PRIVATE-TOKEN': tokenOrPassword(provider) }
  const where = (n: number) => `${id}!${n}`

  const login = onceOnSuccess(async (signal) => {
    const user = await callJson(
      provider,
      jsonRequest('GET', `${api}/user`, auth),
      signal,
      'could not get the authenticated user',
    )
    return stringAt(user, 'username')
  })

  const listNotes = async (mr: number, signal: AbortSignal): Promise<HostComment[]> => {
    const notes: HostComment[] = []
    const what = `could not list notes on ${where(mr)}`
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query = `sort=asc&order_by=created_at&per_page=${GITLAB_PAGE_SIZE}&page=${page}`
      const url = `${project}/merge_requests/${mr}/notes?${query}`
      const items = asArray(
        await callJson(provider, jsonRequest('GET', url, auth), signal, what),
        what,
      )
      for (const note of items) {
        notes.push({
          id: numberAt(note, 'id'),
          author: stringAt(note, 'author', 'username'),
          body: stringAt(note, 'body'),
        })
      }
      // a short page is the last one (GitLab fills every page but the last)
      if (items.length < GITLAB_PAGE_SIZE) break
    }
    return notes
  }

  const notesUrl = (mr: number) => `${project}/merge_requests/${mr}/notes`

  return commentClient(provider, {
    prefix: MR_PREFIX,
    login,
    list: listNotes,
    async update(mr, noteId, body, signal) {
      await callJson(
        provider,
        jsonRequest('PUT', `${notesUrl(mr)}/${noteId}`, auth, { body }),
        signal,
        `could not update note ${noteId} on ${where(mr)}`,
      )
    },
    async create(mr, body, signal) {
      await callJson(
        provider,
        jsonRequest('POST', notesUrl(mr), auth, { body }),
        signal,
        `could not create note on ${where(mr)}`,
      )
    },
  })
}

export const gitlabMergeRequestComment: ChangeRequestModule = {
  type: 'gitlabmergerequestcomment',
  class: 'change-request',
  validate: validateGitLabMergeRequestComment,
  createClient: createGitLabClient,
}

// ---- Gitea ----------------------------------------------------------------------------------

/**
 * Gitea's default largest page (`MAX_RESPONSE_ITEMS`). Its issue-comments endpoint documents no
 * paging and answers every comment at once; asking page by page with this size reads both that
 * and a paging server completely (see `listIssueComments`).
 */
const GITEA_PAGE_SIZE = 50

async function createGiteaClient(provider: ResolvedProvider): Promise<ChangeRequestClient> {
  const repository = giteaCommentRepository(provider.address)
  if ('error' in repository) throw new Error(repository.error)
  const { api, owner, repo } = repository
  const repoUrl = `${api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`
  const auth = { Authorization: `token ${tokenOrPassword(provider)}` }
  const where = (n: number) => `${owner}/${repo}#${n}`

  const login = onceOnSuccess(async (signal) => {
    const user = await callJson(
      provider,
      jsonRequest('GET', `${api}/user`, auth),
      signal,
      'could not get the authenticated user',
    )
    // the SDK's `UserName` is the JSON `login`; Gitea also sends it as `username`
    return stringAt(user, 'login') || stringAt(user, 'username')
  })

  /**
   * Every comment, page by page. A page shorter than the page size ends the list; so does a page
   * that brings no comment we have not seen, which is what a server that ignores `page` answers.
   */
  const listIssueComments = async (issue: number, signal: AbortSignal) => {
    const comments: HostComment[] = []
    const seen = new Set<number>()
    const what = `could not list comments on ${where(issue)}`
    for (let page = 1; page <= MAX_PAGES; page++) {
      const url = `${repoUrl}/issues/${issue}/comments?page=${page}&limit=${GITEA_PAGE_SIZE}`
      const items = asArray(
        await callJson(provider, jsonRequest('GET', url, auth), signal, what),
        what,
      )
      let fresh = 0
      for (const comment of items) {
        const id = numberAt(comment, 'id')
        if (seen.has(id)) continue
        seen.add(id)
        fresh++
        const poster = stringAt(comment, 'user', 'login') || stringAt(comment, 'user', 'username')
        comments.push({ id, author: poster, body: stringAt(comment, 'body') })
      }
      if (items.length < GITEA_PAGE_SIZE || fresh === 0) break
    }
    return comments
  }

  return commentClient(provider, {
    prefix: PR_PREFIX,
    login,
    list: listIssueComments,
    async update(issue, id, body, signal) {
      await callJson(
        provider,
        jsonRequest('PATCH', `${repoUrl}/issues/comments/${id}`, auth, { body }),
        signal,
        `could not update comment ${id} on ${where(issue)}`,
      )
    },
    async create(issue, body, signal) {
      await callJson(
        provider,
        jsonRequest('POST', `${repoUrl}/issues/${issue}/comments`, auth, { body }),
        signal,
        `could not create comment on ${where(issue)}`,
      )
    },
  })
}

export const giteaPullRequestComment: ChangeRequestModule = {
  type: 'giteapullrequestcomment',
  class: 'change-request',
  validate: validateGiteaPullRequestComment,
  createClient: createGiteaClient,
}
