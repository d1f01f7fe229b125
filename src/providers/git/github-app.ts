/**
 * GitHub App authentication (reference §4.2, §6.6): a Provider whose secret has no `token` (nor
 * `password`) but a `githubAppID` gets an installation access token, the way fluxcd/pkg's
 * `git/github` client gets one for the controller:
 *
 * 1. a JWT signed RS256 with `githubAppPrivateKey`: `iss` = the App ID, `iat` = now − 30 s (clock
 *    drift), `exp` = `iat` + 2 min (GitHub accepts at most 10 min; it is used for one exchange);
 * 2. the installation: `githubAppInstallationID`, or for `githubAppInstallationOwner` the
 *    organisation's installation (`GET /orgs/{owner}/installation`), else the user's
 *    (`GET /users/{owner}/installation`);
 * 3. `POST /app/installations/{id}/access_tokens`.
 *
 * The API base is `githubAppBaseURL`; without it the controller would use `https://api.github.com`
 * whatever the Provider's host, flux-notify uses the Provider's own API base (the same for
 * github.com, the right one for GitHub Enterprise).
 *
 * The token is cached for the run per (API base, App, installation, key): every client of every
 * GitHub-type Provider with the same App shares one token request. These requests use the
 * Provider's proxy and TLS material, as the controller's App token request does.
 */
import { createHash, createSign } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import {
  dispatcherFor,
  fetchVia,
  goCertificateErrorText,
  innermostError,
  isLocalHost,
} from '../../delivery/transport.js'
import type { TlsMaterial } from '../../delivery/transport.js'
import { githubAppBaseUrl, githubAppSettings } from './github-app-settings.js'
import type { GitHubAppProvider, GitHubAppSettings } from './github-app-settings.js'

// The settings and checks live apart, so that validating a Provider loads none of this module.
export {
  APP_BASE_URL_KEY,
  APP_ID_KEY,
  APP_INSTALLATION_ID_KEY,
  APP_INSTALLATION_OWNER_KEY,
  APP_PRIVATE_KEY_KEY,
  githubAppBaseUrl,
  githubAppSettings,
  usesGitHubApp,
  validateGitHubProvider,
} from './github-app-settings.js'
export type { GitHubAppProvider, GitHubAppSettings } from './github-app-settings.js'

export interface InstallationToken {
  token: string
  /** ms since the epoch */
  expiresAt: number
  /** the App's slug, when asked for (`<slug>[bot]` is the author of its comments) */
  slug?: string
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url')
}

/**
 * The App's JWT at `nowSeconds` (whole seconds: GitHub rejects fractions). Claims in the order
 * golang-jwt's `RegisteredClaims` writes them: `iss`, `exp`, `iat`.
 */
export function appJwt(appId: string, privateKey: string | KeyObject, nowSeconds: number): string {
  const iat = Math.floor(nowSeconds) - 30
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))
  const claims = base64url(JSON.stringify({ iss: appId, exp: iat + 120, iat }))
  const signer = createSign('RSA-SHA256')
  signer.update(`${header}.${claims}`)
  return `${header}.${claims}.${signer.sign(privateKey).toString('base64url')}`
}

// ---------------------------------------------------------------------------------------------
// The token exchange

/** Cached per run; a token this close to expiring is renewed instead. */
const RENEW_BEFORE_MS = 60_000
const tokens = new Map<string, Promise<InstallationToken>>()

/** Forgets every cached token (tests). */
export function clearGitHubAppTokens(): void {
  tokens.clear()
}

const API_HEADERS = {
  accept: 'application/vnd.github.v3+json',
  'user-agent': 'flux-notify',
  'x-github-api-version': '2022-11-28',
}

/** A failed App request, worded like go-github's errors. */
class GitHubAppError extends Error {
  override name = 'GitHubAppError'
}

/**
 * The installation token for `provider`'s App, from the run's cache or from GitHub. Rejects with
 * the controller's configuration errors, or the failed request in go-github's words
 * (`POST <url>: 401 Bad credentials []`).
 */
export async function githubAppInstallationToken(
  provider: GitHubAppProvider,
  apiBase: string,
  options: { withSlug?: boolean; signal?: AbortSignal } = {},
): Promise<InstallationToken> {
  const secretData = provider.secretData ?? {}
  const settings = githubAppSettings(secretData)
  if ('error' in settings) throw new GitHubAppError(settings.error)
  const base = githubAppBaseUrl(secretData, apiBase)
  if (typeof base !== 'string') throw new GitHubAppError(base.error)
  const withSlug = options.withSlug ?? false
  const key = JSON.stringify([
    base,
    settings.appId,
    settings.installationId ?? '',
    settings.installationOwner ?? '',
    createHash('sha256').update(settings.privateKeyPem).digest('hex'),
    withSlug,
  ])
  const cached = tokens.get(key)
  if (cached) {
    const token = await cached.catch(() => undefined)
    if (token && token.expiresAt - RENEW_BEFORE_MS > Date.now()) return token
    if (tokens.get(key) === cached) tokens.delete(key)
    return githubAppInstallationToken(provider, apiBase, options)
  }
  const signal = options.signal ?? AbortSignal.timeout(provider.timeoutMs ?? 15_000)
  const pending = requestInstallationToken(provider, settings, base, withSlug, signal)
  tokens.set(key, pending)
  // a failure is not cached: the next client tries again
  pending.catch(() => {
    if (tokens.get(key) === pending) tokens.delete(key)
  })
  return pending
}

async function requestInstallationToken(
  provider: GitHubAppProvider,
  settings: GitHubAppSettings,
  base: string,
  withSlug: boolean,
  signal: AbortSignal,
): Promise<InstallationToken> {
  const jwt = appJwt(settings.appId, settings.privateKey, Date.now() / 1000)
  const call = (method: string, path: string) =>
    appRequest(provider, method, new URL(path, base).href, jwt, signal)

  let slug: string | undefined
  if (withSlug) {
    try {
      const app = (await call('GET', 'app')) as { slug?: unknown }
      slug = typeof app.slug === 'string' ? app.slug : ''
    } catch (error) {
      throw new GitHubAppError(`failed to get app information: ${(error as Error).message}`)
    }
  }

  let installationId = settings.installationId
  if (installationId === undefined) {
    const owner = encodeURIComponent(settings.installationOwner ?? '')
    const failures: string[] = []
    for (const [kind, path] of [
      ['organization', `orgs/${owner}/installation`],
      ['user', `users/${owner}/installation`],
    ] as const) {
      try {
        const installation = (await call('GET', path)) as { id?: unknown }
        installationId = String(installation.id)
        break
      } catch (error) {
        if (signal.aborted) throw error
        failures.push(`failed to find ${kind} installation: ${(error as Error).message}`)
      }
    }
    // Go joins the two errors with a newline; ours stay on one line
    if (installationId === undefined) throw new GitHubAppError(failures.join('; '))
  }

  const body = (await call('POST', `app/installations/${installationId}/access_tokens`)) as {
    token?: unknown
    expires_at?: unknown
  }
  if (typeof body.token !== 'string' || body.token === '') {
    throw new GitHubAppError('GitHub returned no installation token')
  }
  const expiresAt = typeof body.expires_at === 'string' ? Date.parse(body.expires_at) : NaN
  const token: InstallationToken = {
    token: body.token,
    // without a readable expiry, assume GitHub's documented lifetime of one hour
    expiresAt: Number.isNaN(expiresAt) ? Date.now() + 3_600_000 : expiresAt,
  }
  if (slug !== undefined) token.slug = slug
  return token
}

/** Go's `url.Error` operation name: `POST` → `Post`. */
function goOp(method: string): string {
  return method.slice(0, 1) + method.slice(1).toLowerCase()
}

/** One App API request with the JWT; the JSON answer, or an error in go-github's words. */
async function appRequest(
  provider: GitHubAppProvider,
  method: string,
  url: string,
  jwt: string,
  signal: AbortSignal,
): Promise<unknown> {
  // The controller's App client proxies with Go's httpproxy rules, which never proxy localhost.
  const proxy = isLocalHost(new URL(url).hostname) ? '' : (provider.proxy ?? '')
  const connection: { proxy: string; tls?: TlsMaterial } = { proxy }
  if (provider.tls) connection.tls = provider.tls
  const fetch = await fetchVia(await dispatcherFor(connection, url))
  let response: Response
  try {
    response = await fetch(url, {
      method,
      headers: { ...API_HEADERS, authorization: `Bearer ${jwt}` },
      signal,
    })
  } catch (error) {
    if (signal.aborted) throw new GitHubAppError('context deadline exceeded')
    const inner = innermostError(error)
    const text =
      goCertificateErrorText(error) ?? (inner instanceof Error ? inner.message : String(inner))
    throw new GitHubAppError(`${goOp(method)} ${JSON.stringify(url)}: ${text}`)
  }
  const text = await response.text()
  let data: unknown
  try {
    data = text === '' ? {} : JSON.parse(text)
  } catch {
    data = undefined
  }
  if (response.status < 200 || response.status > 299) {
    const message =
      data && typeof (data as { message?: unknown }).message === 'string'
        ? (data as { message: string }).message
        : ''
    throw new GitHubAppError(`${method} ${url}: ${response.status} ${message} []`)
  }
  if (data === undefined) throw new GitHubAppError(`${method} ${url}: invalid JSON in the answer`)
  return data
}
