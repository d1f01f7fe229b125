/**
 * The GitHub App side of the fake GitHub (`fake-github.ts`, option `app`): the endpoints an App
 * calls with its JWT, answered as GitHub documents them.
 *
 * - Every App request must carry `Authorization: Bearer <JWT>`; the JWT is checked the way GitHub
 *   checks it: RS256 signature by the App's public key, `iss` = the App ID, `iat` not in the
 *   future (60 s of clock skew allowed), `exp` after now and at most 10 minutes after `iat`.
 *   Failures answer 401 with GitHub's messages and are recorded in `rejectedJwts`.
 * - `GET /orgs/{org}/installation`, `GET /users/{username}/installation`: the installation on that
 *   account of that type, else 404; `POST /app/installations/{id}/access_tokens`: a fresh
 *   installation token (`ghs_…`, one hour), which the fake then accepts for the REST calls;
 *   `GET /app`: the App, with its slug.
 */
import { createPublicKey, createVerify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

export interface FakeInstallation {
  id: number
  /** the login of the account it is installed on */
  account: string
  type: 'Organization' | 'User'
}

export interface FakeGitHubAppOptions {
  appId: number
  /** PEM or key object of the App's public key: JWTs are verified with it */
  publicKey: string | KeyObject
  slug?: string
  installations: FakeInstallation[]
}

export interface VerifiedJwt {
  header: Record<string, unknown>
  claims: Record<string, unknown>
}

export interface IssuedToken {
  token: string
  installationId: number
  expiresAt: string
}

export interface AppReply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export interface FakeGitHubAppBackend {
  /** whether the operation is one the App authenticates with its JWT */
  handles(operationId: string): boolean
  /** answers an App operation (the JWT is checked first) */
  handle(
    operationId: string,
    params: Record<string, string>,
    headers: IncomingHttpHeaders,
    baseUrl: string,
  ): AppReply
  /** whether `token` is an installation token this fake issued and still valid */
  acceptsToken(token: string): boolean
  /** every JWT that passed, in order */
  verifiedJwts: VerifiedJwt[]
  /** every JWT refused, with the reason */
  rejectedJwts: string[]
  issuedTokens: IssuedToken[]
}

const APP_OPERATIONS = new Set([
  'apps/get-authenticated',
  'apps/get-org-installation',
  'apps/get-user-installation',
  'apps/create-installation-access-token',
])

const DOCS = 'https://docs.github.com/rest'

function githubTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/u, 'Z')
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

export function createFakeGitHubApp(options: FakeGitHubAppOptions): FakeGitHubAppBackend {
  const publicKey =
    typeof options.publicKey === 'string' ? createPublicKey(options.publicKey) : options.publicKey
  const slug = options.slug ?? 'flux-notify-test'
  const verifiedJwts: VerifiedJwt[] = []
  const rejectedJwts: string[] = []
  const issuedTokens: IssuedToken[] = []
  let tokenCounter = 0

  const unauthorized = (message: string): AppReply => {
    rejectedJwts.push(message)
    return { status: 401, body: { message, documentation_url: DOCS, status: '401' } }
  }
  const notFound = (): AppReply => ({
    status: 404,
    body: { message: 'Not Found', documentation_url: DOCS, status: '404' },
  })

  /** GitHub's checks of an App JWT; a message when it fails. */
  const verify = (authorization: string | undefined): VerifiedJwt | string => {
    const jwt = /^Bearer (\S+)$/u.exec(authorization ?? '')?.[1]
    if (!jwt) return 'A JSON web token could not be decoded'
    const parts = jwt.split('.')
    if (parts.length !== 3) return 'A JSON web token could not be decoded'
    const [headerPart, claimsPart, signaturePart] = parts as [string, string, string]
    const header = decodeSegment(headerPart)
    const claims = decodeSegment(claimsPart)
    if (!header || !claims) return 'A JSON web token could not be decoded'
    if (header.alg !== 'RS256') return `JWT algorithm ${String(header.alg)} is not RS256`
    const verifier = createVerify('RSA-SHA256')
    verifier.update(`${headerPart}.${claimsPart}`)
    if (!verifier.verify(publicKey, Buffer.from(signaturePart, 'base64url'))) {
      return 'A JSON web token could not be decoded'
    }
    const now = Math.floor(Date.now() / 1000)
    const { iss, iat, exp } = claims
    if (String(iss) !== String(options.appId)) return 'Integration not found'
    if (typeof iat !== 'number' || !Number.isInteger(iat)) {
      return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued."
    }
    if (typeof exp !== 'number' || !Number.isInteger(exp)) {
      return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires."
    }
    if (iat > now + 60)
      return "'Issued at' claim ('iat') must be an Integer representing a time in the past."
    if (exp <= now) return "'Expiration time' claim ('exp') is in the past."
    if (exp - iat > 600) return "'Expiration time' claim ('exp') is too far in the future."
    return { header, claims }
  }

  /** schema `simple-user`, URLs on this server */
  const simpleUser = (login: string, id: number, type: string, baseUrl: string) => ({
    login,
    id,
    node_id: Buffer.from(`04:${type}${id}`).toString('base64'),
    avatar_url: 'https://avatars.githubusercontent.com/u/1?v=4',
    gravatar_id: '',
    url: `${baseUrl}/users/${login}`,
    html_url: `https://github.com/${login}`,
    followers_url: `${baseUrl}/users/${login}/followers`,
    following_url: `${baseUrl}/users/${login}/following{/other_user}`,
    gists_url: `${baseUrl}/users/${login}/gists{/gist_id}`,
    starred_url: `${baseUrl}/users/${login}/starred{/owner}{/repo}`,
    subscriptions_url: `${baseUrl}/users/${login}/subscriptions`,
    organizations_url: `${baseUrl}/users/${login}/orgs`,
    repos_url: `${baseUrl}/users/${login}/repos`,
    events_url: `${baseUrl}/users/${login}/events{/privacy}`,
    received_events_url: `${baseUrl}/users/${login}/received_events`,
    type,
    site_admin: false,
  })

  /** schema `installation`, enough of it for GitHub's description */
  const installationView = (installation: FakeInstallation, baseUrl: string) => ({
    id: installation.id,
    account: simpleUser(installation.account, 1000 + installation.id, installation.type, baseUrl),
    repository_selection: 'all',
    access_tokens_url: `${baseUrl}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${baseUrl}/installation/repositories`,
    html_url: `https://github.com/settings/installations/${installation.id}`,
    app_id: options.appId,
    app_slug: slug,
    target_id: 1000 + installation.id,
    target_type: installation.type,
    permissions: { statuses: 'write', metadata: 'read', pull_requests: 'write' },
    events: [],
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    single_file_name: null,
    suspended_by: null,
    suspended_at: null,
  })

  const appView = (baseUrl: string) => ({
    id: options.appId,
    slug,
    node_id: Buffer.from(`03:Integration${options.appId}`).toString('base64'),
    client_id: `Iv1.${String(options.appId).padStart(16, '0')}`,
    owner: simpleUser('app-owner', 999, 'Organization', baseUrl),
    name: slug,
    description: 'flux-notify test App',
    external_url: 'https://example.com',
    html_url: `https://github.com/apps/${slug}`,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    permissions: { statuses: 'write', metadata: 'read' },
    events: [],
    installations_count: options.installations.length,
  })

  return {
    handles: (operationId) => APP_OPERATIONS.has(operationId),
    handle(operationId, params, headers, baseUrl) {
      const jwt = verify(headers.authorization)
      if (typeof jwt === 'string') return unauthorized(jwt)
      verifiedJwts.push(jwt)
      switch (operationId) {
        case 'apps/get-authenticated':
          return { status: 200, body: appView(baseUrl) }
        case 'apps/get-org-installation':
        case 'apps/get-user-installation': {
          const type = operationId === 'apps/get-org-installation' ? 'Organization' : 'User'
          const login = (params.org ?? params.username ?? '').toLowerCase()
          const found = options.installations.find(
            (i) => i.type === type && i.account.toLowerCase() === login,
          )
          return found ? { status: 200, body: installationView(found, baseUrl) } : notFound()
        }
        case 'apps/create-installation-access-token': {
          const id = Number(params.installation_id)
          if (!options.installations.some((i) => i.id === id)) return notFound()
          tokenCounter += 1
          const issued: IssuedToken = {
            token: `ghs_fake${String(options.appId)}x${id}x${tokenCounter}${'0'.repeat(20)}`,
            installationId: id,
            expiresAt: githubTime(Date.now() + 3_600_000),
          }
          issuedTokens.push(issued)
          return {
            status: 201,
            body: {
              token: issued.token,
              expires_at: issued.expiresAt,
              permissions: { statuses: 'write', metadata: 'read' },
              repository_selection: 'all',
            },
          }
        }
        default:
          return notFound()
      }
    },
    acceptsToken: (token) =>
      issuedTokens.some((t) => t.token === token && Date.parse(t.expiresAt) > Date.now()),
    verifiedJwts,
    rejectedJwts,
    issuedTokens,
  }
}
