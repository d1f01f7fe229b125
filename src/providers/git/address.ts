/**
 * Provider addresses for Git hosts, read the way notification-controller reads them.
 *
 * - `parseGitAddress` is the controller's helper for Git hosts (reference §6.1): a URL with a Git
 *   transport scheme (read with Go's `url.Parse`), else scp syntax (`git@host:owner/repo.git`),
 *   else a local path.
 * - `githubRepository` adds the GitHub rules: `owner/repo`, and the API base go-github derives.
 */
import { goQuote } from '../../util/go-strings.js'
import { parseGoUrl } from '../../util/go-url.js'

/** The Git transports chainguard-dev/git-urls accepts as URL schemes. */
const GIT_TRANSPORTS = new Set([
  'ssh',
  'git',
  'git+ssh',
  'http',
  'https',
  'ftp',
  'ftps',
  'rsync',
  'file',
])

/**
 * scp-like syntax, `[user@]host:path[?query]`, as git-urls writes it. A fixed pattern whose
 * leftmost-first matching is the same in Go's regexp and JavaScript's.
 */
const SCP_SYNTAX = /^([a-zA-Z0-9-._~]+@)?([a-zA-Z0-9._-]+):([a-zA-Z0-9./._-]+)(?:\?||$)(.*)$/

/**
 * The controller's `parseGitAddress` (reference §6.1): `host` = `<scheme>://<host[:port]>` with
 * `ssh` turned into `https` (the port is kept), `id` = the path without its leading slashes and
 * trailing `.git`. It never fails: anything that is not a URL or scp syntax is a local path.
 */
export function parseGitAddress(address: string): { host: string; id: string } {
  const { scheme, host, path } = gitUrl(address)
  let id = path.replace(/^\/+/, '')
  if (id.endsWith('.git')) id = id.slice(0, -'.git'.length)
  return { host: `${scheme === 'ssh' ? 'https' : scheme}://${host}`, id }
}

/** git-urls' `Parse`: a transport URL, else scp syntax (scheme `ssh`), else a local path. */
function gitUrl(address: string): { scheme: string; host: string; path: string } {
  const parsed = parseGoUrl(address)
  if ('url' in parsed && GIT_TRANSPORTS.has(parsed.url.scheme)) return parsed.url
  const scp = SCP_SYNTAX.exec(address)
  if (scp) return { scheme: 'ssh', host: scp[2]!, path: scp[3]! }
  return { scheme: 'file', host: '', path: address }
}

/**
 * The address's id split at `/`, when it has exactly `count` parts (`owner/repo`: 2), else the
 * controller's `invalid repository id "<id>"`.
 */
export function gitRepositoryParts(
  address: string,
  count: number,
): { host: string; id: string; parts: string[] } | { error: string } {
  const { host, id } = parseGitAddress(address)
  const parts = id.split('/')
  if (parts.length !== count) return { error: `invalid repository id ${goQuote(id)}` }
  return { host, id, parts }
}

/** `owner/repo` (as a status's `repository` holds it) split at its first `/`. */
export function splitOwnerRepo(repository: string): { owner: string; repo: string } {
  const slash = repository.indexOf('/')
  return { owner: repository.slice(0, slash), repo: repository.slice(slash + 1) }
}

export interface GitHubRepository {
  owner: string
  repo: string
  /** the REST API root, without a trailing slash */
  apiBase: string
}

/**
 * A `github` (or `githubdispatch`, `githubpullrequestcomment`) address: exactly `owner/repo`,
 * and the API base go-github uses: `https://api.github.com` for `github.com`, else GitHub
 * Enterprise's `<host>/api/v3`, except that go-github adds no `/api/v3` to a host that starts with
 * `api.` or contains `.api.` (GitHub Enterprise Cloud with data residency).
 */
export function githubRepository(address: string): GitHubRepository | { error: string } {
  const { host, id } = parseGitAddress(address)
  const parts = id.split('/')
  if (parts.length !== 2) return { error: `invalid repository id: '${id}'` }
  const hostOnly = host.slice(host.indexOf('://') + 3)
  let apiBase: string
  if (hostOnly === 'github.com') apiBase = 'https://api.github.com'
  else if (hostOnly.startsWith('api.') || hostOnly.includes('.api.')) apiBase = host
  else apiBase = `${host}/api/v3`
  return { owner: parts[0]!, repo: parts[1]!, apiBase }
}
