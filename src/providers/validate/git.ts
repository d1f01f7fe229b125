/**
 * The constructor checks of the Git-host types (commit statuses and change-request comments), and
 * what they read of a Provider: the repository in its address and the credentials in its secret.
 * Kept apart from the host clients, which need the HTTP stack: every run validates every Provider
 * before it reads any event, and start-up time (design.md §5) counts each module a run loads.
 * Each host module uses these same functions, for its `validate` and to find its repository.
 */
import { goQuote } from '../../util/go-strings.js'
import { parseGoUrl } from '../../util/go-url.js'
import { gitRepositoryParts, parseGitAddress } from '../git/address.js'
import { validateGitHubProvider } from '../git/github-app-settings.js'
import { emptyTokenError } from '../git/token.js'
import type { ResolvedProvider } from '../types.js'

/** `github` and `githubdispatch`: a token or complete GitHub App settings, then `owner/repo`. */
export { validateGitHubProvider }

/** `gitlab`: `NewGitLab` checks the token only (the project id may be any path). */
export function validateGitLab(provider: ResolvedProvider): string | undefined {
  return emptyTokenError(provider, 'gitlab')
}

// ---- Gitea ----------------------------------------------------------------------------------

export interface GiteaRepository {
  owner: string
  repo: string
  /** the server root, `<scheme>://<host[:port]>`, as the SDK keeps it */
  host: string
  /** the REST API root with no trailing slash: `<host>/api/v1` */
  apiBase: string
}

/** A `gitea` address: exactly `owner/repo` on the host, else the controller's error. */
export function giteaRepository(address: string): GiteaRepository | { error: string } {
  const split = gitRepositoryParts(address, 2)
  if ('error' in split) return split
  const { host, parts } = split
  return { owner: parts[0]!, repo: parts[1]!, host, apiBase: `${host}/api/v1` }
}

/** `NewGitea`'s checks, in its order: the token, then the repository id. */
export function validateGitea(provider: ResolvedProvider): string | undefined {
  const token = emptyTokenError(provider, 'gitea')
  if (token !== undefined) return token
  const repository = giteaRepository(provider.address)
  if ('error' in repository) return repository.error
  return undefined
}

// ---- Bitbucket Cloud ------------------------------------------------------------------------

export const BITBUCKET_API_BASE_URL = 'https://api.bitbucket.org/2.0'

/** The API base: `BITBUCKET_API_BASE_URL` when set (no trailing slash), else Bitbucket's. */
export function bitbucketApiBase(): string | { error: string } {
  const override = process.env.BITBUCKET_API_BASE_URL
  if (override === undefined || override === '') return BITBUCKET_API_BASE_URL
  const parsed = parseGoUrl(override)
  if ('error' in parsed || !['http', 'https'].includes(parsed.url.scheme) || !parsed.url.host) {
    return { error: `invalid BITBUCKET_API_BASE_URL '${override}': expected an http(s) URL` }
  }
  return override.replace(/\/+$/u, '')
}

export interface Credentials {
  username: string
  password: string
}

/** The token as `<user>:<app-password>`, split like Go's `strings.Split` (exactly one `:`). */
export function bitbucketCredentials(token: string): Credentials | { error: string } {
  if (token === '') return { error: 'bitbucket token cannot be empty' }
  const parts = token.split(':')
  if (parts.length !== 2) return { error: 'invalid token format, expected to be <user>:<password>' }
  return { username: parts[0]!, password: parts[1]! }
}

/** `owner/repo_slug` from the address: exactly two parts, whatever the host. */
export function bitbucketRepository(
  address: string,
): { owner: string; repo: string } | { error: string } {
  const split = gitRepositoryParts(address, 2)
  if ('error' in split) return split
  return { owner: split.parts[0]!, repo: split.parts[1]! }
}

/** The constructor checks in the controller's order: empty token, token format, repository id. */
export function validateBitbucket(provider: ResolvedProvider): string | undefined {
  const creds = bitbucketCredentials(provider.token)
  if ('error' in creds) return creds.error
  const repository = bitbucketRepository(provider.address)
  if ('error' in repository) return repository.error
  const base = bitbucketApiBase()
  if (typeof base !== 'string') return base.error
  return undefined
}

// ---- Bitbucket Server -----------------------------------------------------------------------

export interface BitbucketServerRepository {
  /** `<scheme>://<host[:port]><context path>`, the root of the REST API */
  root: string
  project: string
  repo: string
}

/**
 * `parseBitbucketServerGitAddress` and the constructor's id check: an http(s) clone URL whose path
 * is `<context path>/scm/<project>/<repo>[.git]`, split at the last `/scm/`.
 */
export function bitbucketServerRepository(
  address: string,
): BitbucketServerRepository | { error: string } {
  const parsed = parseGoUrl(address)
  if ('error' in parsed) return { error: `could not parse git address: ${parsed.error}` }
  const { scheme, host, path } = parsed.url
  if (scheme !== 'http' && scheme !== 'https') {
    return {
      error: `could not parse git address: unsupported scheme type in address: ${scheme}. Must be http or https`,
    }
  }
  const withContext = path.endsWith('.git') ? path.slice(0, -'.git'.length) : path
  const scm = withContext.lastIndexOf('/scm/')
  if (scm < 0) {
    return {
      error: 'could not parse git address: supplied provider address is not http(s) git clone url',
    }
  }
  const id = withContext.slice(scm + '/scm/'.length)
  const parts = id.split('/')
  if (parts.length !== 2) {
    return { error: `could not parse git address: invalid repository id ${goQuote(id)}` }
  }
  return {
    root: `${scheme}://${host}${withContext.slice(0, scm)}`,
    project: parts[0]!,
    repo: parts[1]!,
  }
}

/** `Bearer <token>`, else `Basic base64(username:password)`, else the controller's error. */
export function bitbucketServerAuthorization(
  provider: ResolvedProvider,
): string | { error: string } {
  if (provider.token !== '') return `Bearer ${provider.token}`
  if (provider.username !== '' && provider.password !== '') {
    const basic = Buffer.from(`${provider.username}:${provider.password}`, 'utf8')
    return `Basic ${basic.toString('base64')}`
  }
  return { error: 'invalid credentials, expected to be one of username/password or API Token' }
}

/** The constructor checks in the controller's order: the address, then the credentials. */
export function validateBitbucketServer(provider: ResolvedProvider): string | undefined {
  const repository = bitbucketServerRepository(provider.address)
  if ('error' in repository) return repository.error
  const auth = bitbucketServerAuthorization(provider)
  if (typeof auth !== 'string') return auth.error
  return undefined
}

// ---- Azure DevOps ---------------------------------------------------------------------------

export interface AzureDevOpsRepository {
  /** `lower("<scheme>://<host>/<org>")` without trailing slashes */
  orgUrl: string
  project: string
  repo: string
  /** the address id, `org/project/_git/repo` */
  id: string
}

/** The address as the controller reads it: exactly `org/project/_git/repo` (3rd part unchecked). */
export function azureDevOpsRepository(address: string): AzureDevOpsRepository | { error: string } {
  const split = gitRepositoryParts(address, 4)
  if ('error' in split) return split
  const { host, id, parts } = split
  const orgUrl = `${host}/${parts[0]!}`.replace(/\/+$/u, '').toLowerCase()
  return { orgUrl, project: parts[1]!, repo: parts[3]!, id }
}

/** The constructor checks: the address, then a token (no managed identity here). */
export function validateAzureDevOps(provider: ResolvedProvider): string | undefined {
  const repository = azureDevOpsRepository(provider.address)
  if ('error' in repository) return repository.error
  if (provider.token === '') {
    return 'failed to acquire azure devops token: managed identity is not available in CI'
  }
  return undefined
}

// ---- Change-request comments ----------------------------------------------------------------

function validateUid(provider: ResolvedProvider): string | undefined {
  return provider.uid === '' ? 'provider UID cannot be empty' : undefined
}

export function validateGitHubPullRequestComment(provider: ResolvedProvider): string | undefined {
  return validateUid(provider) ?? validateGitHubProvider(provider)
}

export function validateGitLabMergeRequestComment(provider: ResolvedProvider): string | undefined {
  return validateUid(provider) ?? emptyTokenError(provider, 'gitlab')
}

/**
 * The repository of a `giteapullrequestcomment` address, checked as that constructor does (its
 * message quotes the id with plain double quotes, unlike `gitea`'s).
 */
export function giteaCommentRepository(
  address: string,
): { api: string; owner: string; repo: string } | { error: string } {
  const { host, id } = parseGitAddress(address)
  const parts = id.split('/')
  if (parts.length !== 2) return { error: `invalid repository id "${id}"` }
  return { api: `${host}/api/v1`, owner: parts[0]!, repo: parts[1]! }
}

export function validateGiteaPullRequestComment(provider: ResolvedProvider): string | undefined {
  const problem = validateUid(provider) ?? emptyTokenError(provider, 'gitea')
  if (problem !== undefined) return problem
  const repository = giteaCommentRepository(provider.address)
  if ('error' in repository) return repository.error
  return undefined
}
