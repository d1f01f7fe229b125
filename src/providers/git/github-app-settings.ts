/**
 * The settings of GitHub App authentication (reference §4.2, §6.6) and the constructor checks of
 * every GitHub-family type, apart from the token exchange (`github-app.ts`): validating a Provider
 * happens on every run, before any event is read, and needs neither the HTTP client nor the JWT
 * signing.
 */
import { createPrivateKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { TlsMaterial } from '../../delivery/transport.js'
import type { ResolvedProvider } from '../types.js'
import { githubRepository } from './address.js'
import { tokenOrPassword } from './token.js'

/** The secret keys the controller reads (fluxcd/pkg `git/github`). */
export const APP_ID_KEY = 'githubAppID'
export const APP_INSTALLATION_ID_KEY = 'githubAppInstallationID'
export const APP_INSTALLATION_OWNER_KEY = 'githubAppInstallationOwner'
export const APP_PRIVATE_KEY_KEY = 'githubAppPrivateKey'
export const APP_BASE_URL_KEY = 'githubAppBaseURL'

/** What a GitHub-type Provider carries that App authentication needs. */
export interface GitHubAppProvider {
  token: string
  password: string
  secretData?: Record<string, string>
  proxy?: string
  tls?: TlsMaterial
  timeoutMs?: number
}

/** The App settings of a secret, checked. */
export interface GitHubAppSettings {
  /** decimal, as Go prints the parsed int64 */
  appId: string
  /** set when the secret names the installation by ID */
  installationId?: string
  /** set when the secret names the installation by its owner's login */
  installationOwner?: string
  privateKey: KeyObject
  /** the PEM as given, for the cache key */
  privateKeyPem: string
}

/** Whether the provider authenticates as a GitHub App: no token, no password, an App ID key. */
export function usesGitHubApp(provider: GitHubAppProvider): boolean {
  return (
    provider.token === '' &&
    provider.password === '' &&
    Object.hasOwn(provider.secretData ?? {}, APP_ID_KEY)
  )
}

/**
 * Go's `strconv.ParseInt(s, 10, 64)` as the App client uses it: a failure counts as 0, which
 * the checks below then report as missing. Returns the decimal text of the number.
 */
function parseInt64(text: string | undefined): string {
  if (text === undefined || !/^[+-]?\d+$/u.test(text)) return '0'
  const value = BigInt(text)
  if (value > 9223372036854775807n || value < -9223372036854775808n) return '0'
  return value.toString()
}

/**
 * The checks the App client makes when it is built, in its order and with its messages:
 * App ID, installation owner or ID (exactly one), private key present and an RSA key.
 */
export function githubAppSettings(
  secretData: Record<string, string>,
): GitHubAppSettings | { error: string } {
  const appId = parseInt64(secretData[APP_ID_KEY])
  if (appId === '0') return { error: 'app ID must be provided to use github app authentication' }
  const installationId = parseInt64(secretData[APP_INSTALLATION_ID_KEY])
  const installationOwner = secretData[APP_INSTALLATION_OWNER_KEY] ?? ''
  if (installationOwner === '' && installationId === '0') {
    return {
      error: 'app installation owner or ID must be provided to use github app authentication',
    }
  }
  if (installationOwner !== '' && installationId !== '0') {
    return {
      error:
        'only one of app installation owner or ID must be provided to use github app authentication',
    }
  }
  const privateKeyPem = secretData[APP_PRIVATE_KEY_KEY] ?? ''
  if (privateKeyPem === '') {
    return { error: 'private key must be provided to use github app authentication' }
  }
  const privateKey = parseRsaPrivateKey(privateKeyPem)
  if ('error' in privateKey) return { error: `could not parse private key: ${privateKey.error}` }
  const settings: GitHubAppSettings = { appId, privateKey: privateKey.key, privateKeyPem }
  if (installationOwner !== '') settings.installationOwner = installationOwner
  else settings.installationId = installationId
  return settings
}

/** A PEM RSA private key (PKCS#1 or PKCS#8), with golang-jwt's error texts. */
function parseRsaPrivateKey(pem: string): { key: KeyObject } | { error: string } {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/u.test(pem)) {
    return { error: 'invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key' }
  }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem' })
  } catch {
    return { error: 'invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key' }
  }
  if (key.asymmetricKeyType !== 'rsa') return { error: 'key is not a valid RSA private key' }
  return { key }
}

/** The API base the App requests go to: `githubAppBaseURL`, else the Provider's API base. */
export function githubAppBaseUrl(
  secretData: Record<string, string>,
  apiBase: string,
): string | { error: string } {
  const configured = secretData[APP_BASE_URL_KEY] ?? ''
  const base = configured !== '' ? configured : apiBase
  try {
    const url = new URL(base.endsWith('/') ? base : `${base}/`)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return {
        error: `invalid API URL: unsupported protocol scheme "${url.protocol.slice(0, -1)}"`,
      }
    }
    return url.href
  } catch {
    return { error: `invalid API URL: parse ${JSON.stringify(base)}: invalid URL` }
  }
}

/**
 * The constructor checks of every GitHub-family type (`github`, `githubdispatch`,
 * `githubpullrequestcomment`), in the controller's order: credentials first (a token, or
 * complete GitHub App settings), then the address. The App's token itself is fetched on first use.
 */
export function validateGitHubProvider(provider: ResolvedProvider): string | undefined {
  if (tokenOrPassword(provider) === '') {
    if (!Object.hasOwn(provider.secretData, APP_ID_KEY)) {
      return 'github token or github app details must be specified'
    }
    const app = githubAppSettings(provider.secretData)
    if ('error' in app) return app.error
  }
  const repository = githubRepository(provider.address)
  if ('error' in repository) return repository.error
  if (tokenOrPassword(provider) === '') {
    const base = githubAppBaseUrl(provider.secretData, repository.apiBase)
    if (typeof base !== 'string') return base.error
  }
  return undefined
}
