/**
 * `googlepubsub` (reference §5.8, the controller's `google_pubsub.go`): publish the event JSON as
 * the `data` of one message to topic `projects/<address>/topics/<channel>`, with the secret's
 * `headers` as the message attributes (none when empty).
 *
 * The controller uses Google's Go client (gRPC). We use Pub/Sub's documented REST API instead,
 * which needs nothing beyond fetch and node:crypto:
 * - `POST https://pubsub.googleapis.com/v1/projects/<p>/topics/<t>:publish` with
 *   `{"messages":[{"data":"<base64 event JSON>","attributes":{…}}]}`;
 * - `Authorization: Bearer <access token>`, the token obtained in `prepare` from the secret's
 *   `token` (the credentials JSON) by OAuth 2.0: a service-account key signs an RS256 JWT for the
 *   JWT-bearer grant; an `authorized_user` file uses its refresh token. Tokens are cached for
 *   their lifetime, per credentials.
 *
 * Overrides that let tests and mirrors avoid Google's public hosts, both Google's own switches:
 * - the credentials' `token_uri` is where the token exchange goes, as Google's libraries honour it;
 * - `PUBSUB_EMULATOR_HOST=<host:port>` (Google's documented emulator switch) sends the publish to
 *   `http://<host:port>` without any credentials, as Google's clients do.
 *
 * Without a `token` the controller falls back to workload identity, which flux-notify does not
 * have: such a provider fails with a message that says so. The Provider's proxy and TLS settings
 * are not used, as the controller's client does not use them with JSON credentials; the
 * environment's proxy is.
 */
import { createSign } from 'node:crypto'
import { sendRequest } from '../delivery/http.js'
import type { ConnectionSettings } from '../delivery/transport.js'
import { goJson, goMap } from '../util/go-json.js'
import { eventJson } from './event-json.js'
import type {
  HttpRequestSpec,
  Notification,
  NotifierModule,
  Rendered,
  ResolvedProvider,
} from './types.js'
import { validateGooglePubSub } from './validate/notifiers.js'

export const PUBSUB_ENDPOINT = 'https://pubsub.googleapis.com'
export const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token'
/** The scopes Google's Go Pub/Sub client asks for (`DefaultAuthScopes`). */
export const PUBSUB_SCOPES = [
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/pubsub',
]
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

/** Only the environment's proxy, no custom TLS: Go's default transport, as the client uses. */
const DEFAULT_TRANSPORT: ConnectionSettings = { proxy: '' }

/** `projects/<p>/topics/<t>`, as the controller names the topic in its errors. */
export function topicName(provider: ResolvedProvider): string {
  return `projects/${provider.address}/topics/${provider.channel}`
}

/** The emulator's `host:port` when `PUBSUB_EMULATOR_HOST` is set, else undefined. */
export function emulatorHost(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.PUBSUB_EMULATOR_HOST?.trim()
  return host ? host : undefined
}

/** The publish URL of the REST API (or the emulator's). */
export function publishUrl(
  provider: ResolvedProvider,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const emulator = emulatorHost(env)
  const base = emulator === undefined ? PUBSUB_ENDPOINT : `http://${emulator}`
  const project = encodeURIComponent(provider.address)
  const topic = encodeURIComponent(provider.channel)
  return `${base}/v1/projects/${project}/topics/${topic}:publish`
}

/** The publish request's body: one message, the event JSON base64-encoded as REST wants bytes. */
export function publishBody(notification: Notification): string {
  const { event, provider } = notification
  const attributes = provider.headers
  const message = {
    data: Buffer.from(eventJson(event), 'utf8').toString('base64'),
    // the controller passes nil attributes when the secret has no headers
    attributes: Object.keys(attributes).length > 0 ? goMap(attributes) : undefined,
  }
  return goJson({ messages: [message] })
}

/**
 * Whether `token` is still the credentials JSON of the secret, i.e. `prepare` has not exchanged
 * it for an access token (a dry run renders without one).
 */
function isCredentialsJson(token: string): boolean {
  return token.trimStart().startsWith('{')
}

function render(
  notification: Notification,
  env: NodeJS.ProcessEnv = process.env,
): { requests: [HttpRequestSpec] } {
  const { provider } = notification
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  // the emulator takes no credentials; real Pub/Sub takes the access token from `prepare`
  if (
    emulatorHost(env) === undefined &&
    provider.token !== '' &&
    !isCredentialsJson(provider.token)
  ) {
    headers.Authorization = `Bearer ${provider.token}`
  }
  return {
    requests: [
      { method: 'POST', url: publishUrl(provider, env), headers, body: publishBody(notification) },
    ],
  }
}

// ---- credentials ------------------------------------------------------------------------------

export type GoogleCredentials =
  | {
      type: 'service_account'
      clientEmail: string
      privateKey: string
      privateKeyId: string
      tokenUri: string
    }
  | {
      type: 'authorized_user'
      clientId: string
      clientSecret: string
      refreshToken: string
      tokenUri: string
    }

function stringField(json: Record<string, unknown>, key: string): string {
  const value = json[key]
  return typeof value === 'string' ? value : ''
}

/** The secret's `token` as Google credentials, or why it cannot be used. */
export function parseCredentials(token: string): GoogleCredentials | { error: string } {
  let json: unknown
  try {
    json = JSON.parse(token)
  } catch {
    // no parser detail: it would quote part of the secret
    return { error: "the secret's token is not valid JSON credentials" }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { error: "the secret's token is not valid JSON credentials" }
  }
  const record = json as Record<string, unknown>
  const type = stringField(record, 'type')
  const tokenUri = stringField(record, 'token_uri') || DEFAULT_TOKEN_URI
  if (type === 'service_account') {
    const credentials = {
      type,
      clientEmail: stringField(record, 'client_email'),
      privateKey: stringField(record, 'private_key'),
      privateKeyId: stringField(record, 'private_key_id'),
      tokenUri,
    } as const
    if (credentials.clientEmail === '' || credentials.privateKey === '') {
      return { error: 'service account credentials need client_email and private_key' }
    }
    return credentials
  }
  if (type === 'authorized_user') {
    const credentials = {
      type,
      clientId: stringField(record, 'client_id'),
      clientSecret: stringField(record, 'client_secret'),
      refreshToken: stringField(record, 'refresh_token'),
      tokenUri,
    } as const
    if (credentials.refreshToken === '') {
      return { error: 'authorized_user credentials need a refresh_token' }
    }
    return credentials
  }
  return {
    error: `credentials type ${JSON.stringify(type)} is not supported by flux-notify (use a service account key)`,
  }
}

function base64Url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url')
}

/**
 * The signed JWT of the JWT-bearer grant (RFC 7523) for a service account, as golang.org/x/oauth2
 * makes it: header `alg, typ, kid`, claims `iss, scope, aud, exp, iat`, issued 10 s in the past
 * against clock skew, valid for an hour.
 */
export function serviceAccountAssertion(
  credentials: Extract<GoogleCredentials, { type: 'service_account' }>,
  nowSeconds: number,
): string {
  const header = goJson({ alg: 'RS256', typ: 'JWT', kid: credentials.privateKeyId || undefined })
  const issuedAt = nowSeconds - 10
  const claims = goJson({
    iss: credentials.clientEmail,
    scope: PUBSUB_SCOPES.join(' '),
    aud: credentials.tokenUri,
    exp: issuedAt + 3600,
    iat: issuedAt,
  })
  const signingInput = `${base64Url(header)}.${base64Url(claims)}`
  let signature: Buffer
  try {
    signature = createSign('RSA-SHA256').update(signingInput).sign(credentials.privateKey)
  } catch {
    throw new Error('google: the service account private_key is not a usable PEM RSA key')
  }
  return `${signingInput}.${base64Url(signature)}`
}

/** The token request: a form POST to the credentials' `token_uri`, keys sorted as Go's url.Values. */
export function tokenRequest(credentials: GoogleCredentials, nowSeconds: number): HttpRequestSpec {
  const form: Record<string, string> =
    credentials.type === 'service_account'
      ? {
          assertion: serviceAccountAssertion(credentials, nowSeconds),
          grant_type: JWT_BEARER_GRANT,
        }
      : {
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          grant_type: 'refresh_token',
          refresh_token: credentials.refreshToken,
        }
  return {
    method: 'POST',
    url: credentials.tokenUri,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  }
}

/**
 * A failed token exchange in golang.org/x/oauth2's words: `oauth2: "<error>" "<description>"`
 * when the server says why, else `oauth2: cannot fetch token: <status> …`.
 */
function oauth2ErrorText(message: string): string {
  const failed = /^request failed with status code (\d+): ([\s\S]*)$/u.exec(message)
  if (!failed) return `oauth2: cannot fetch token: ${message}`
  const [, status, body = ''] = failed
  try {
    const json = JSON.parse(body) as { error?: unknown; error_description?: unknown }
    if (typeof json.error === 'string' && json.error !== '') {
      const description =
        typeof json.error_description === 'string' && json.error_description !== ''
          ? ` ${JSON.stringify(json.error_description)}`
          : ''
      return `oauth2: ${JSON.stringify(json.error)}${description}`
    }
  } catch {
    // not JSON: the status and body as they are
  }
  return `oauth2: cannot fetch token: ${status} Response: ${body}`
}

/** Access tokens per credentials JSON, kept until 10 s before they expire (oauth2's margin). */
const tokenCache = new Map<string, { accessToken: string; expiresAtMs: number }>()
const EXPIRY_MARGIN_MS = 10_000

/** Exchanges the credentials for an access token (or reuses a cached one). */
export async function accessToken(
  credentialsJson: string,
  signal: AbortSignal,
  now: () => number = Date.now,
): Promise<string> {
  const cached = tokenCache.get(credentialsJson)
  if (cached && cached.expiresAtMs - EXPIRY_MARGIN_MS > now()) return cached.accessToken
  const credentials = parseCredentials(credentialsJson)
  if ('error' in credentials) throw new Error(credentials.error)
  const request = tokenRequest(credentials, Math.floor(now() / 1000))
  let body: string
  try {
    ;({ body } = await sendRequest(request, { signal, connection: DEFAULT_TRANSPORT }))
  } catch (error) {
    throw new Error(oauth2ErrorText(error instanceof Error ? error.message : String(error)), {
      cause: error,
    })
  }
  let answer: { access_token?: unknown; expires_in?: unknown }
  try {
    answer = JSON.parse(body) as typeof answer
  } catch {
    throw new Error('oauth2: cannot parse the token response as JSON')
  }
  if (typeof answer.access_token !== 'string' || answer.access_token === '') {
    throw new Error('oauth2: server response missing access_token')
  }
  const lifetimeS = typeof answer.expires_in === 'number' ? answer.expires_in : 0
  // no lifetime given: use it for this run only, never from the cache
  if (lifetimeS > 0) {
    tokenCache.set(credentialsJson, {
      accessToken: answer.access_token,
      expiresAtMs: now() + lifetimeS * 1000,
    })
  }
  return answer.access_token
}

/** Forgets every cached access token (tests). */
export function clearTokenCache(): void {
  tokenCache.clear()
}

async function prepare(provider: ResolvedProvider, signal: AbortSignal): Promise<ResolvedProvider> {
  if (emulatorHost() !== undefined) return provider
  const topic = topicName(provider)
  if (provider.token === '') {
    throw new Error(
      `error publishing to GCP Pub/Sub topic ${topic}: no credentials: set the secret's token to a ` +
        'service account JSON key (workload identity is not available to flux-notify)',
    )
  }
  let token: string
  try {
    token = await accessToken(provider.token, signal)
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error)
    throw new Error(`error publishing to GCP Pub/Sub topic ${topic}: ${text}`, { cause: error })
  }
  // the access token replaces the credentials JSON, so that `render` stays pure; masked too
  return { ...provider, token, secretValues: [...provider.secretValues, token] }
}

/** Sends the publish request, naming the topic in an error as the controller does. */
async function send(notification: Notification, signal: AbortSignal): Promise<void> {
  const [request] = render(notification).requests
  try {
    await sendRequest(request, { signal, connection: DEFAULT_TRANSPORT })
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error)
    throw new Error(
      `error publishing to GCP Pub/Sub topic ${topicName(notification.provider)}: ${text}`,
      { cause: error },
    )
  }
}

export const googlePubSub: NotifierModule = {
  type: 'googlepubsub',
  class: 'notification',
  validate: validateGooglePubSub,
  render: (notification): Rendered => render(notification),
  prepare,
  send,
}
