/**
 * Sending one HTTP request the way notification-controller's shared client does (reference §5.1,
 * §7): hashicorp/go-retryablehttp with `DefaultRetryPolicy` and `DefaultBackoff`, wait 2s–30s,
 * at most 5 attempts, the whole send bounded by the provider's timeout (the signal).
 *
 * Error texts follow retryablehttp and Go's net/http, so a failure reads like the controller's:
 * - a non-2xx answer that is not retried: `request failed with status code 400: <body>`;
 * - retries exhausted: `POST <url> giving up after 5 attempt(s)`, followed by `: <cause>` when
 *   retryablehttp has one (`unexpected HTTP status 503 Service Unavailable`, the connection error);
 * - the deadline while waiting to retry: `context deadline exceeded`; during a request:
 *   `POST <url> giving up after <n> attempt(s): context deadline exceeded`;
 * - a redirect loop, like Go's client, after 10 requests and without retry:
 *   `POST <url> giving up after 1 attempt(s): Post "<location>": stopped after 10 redirects`.
 *
 * Each `SendError` says at which stage of the controller's `postMessage` it happened, so that
 * delivery can add the layer `postMessage` puts there (`request failed: `, …) for the types that
 * send through it; the message itself stays the client's text, which other callers match on.
 */
import { STATUS_CODES } from 'node:http'
import type { HttpRequestSpec } from '../providers/types.js'
import { redactUrlCredentials } from './mask.js'
import {
  connectionFor,
  dispatcherFor,
  fetchVia,
  goCertificateErrorText,
  innermostError,
  isCertificateError,
} from './transport.js'
import type { ConnectionSettings, Dispatcher, ProviderConnection } from './transport.js'

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>

export interface SendOptions {
  /** the provider timeout (`AbortSignal.timeout`): bounds the send, retries included */
  signal: AbortSignal
  /** waits between attempts; injectable so tests need not wait 2s+4s+8s+16s */
  sleep?: Sleep
  /**
   * The Provider whose proxy and TLS settings apply (reference §4.2, §7), filtered by what its
   * type's client supports (`connectionFor`); or settings already decided. Without it, only the
   * environment's proxy applies, as for Go's default transport.
   */
  connection?: ProviderConnection | ConnectionSettings
  /** an undici dispatcher to use as it is, instead of one derived from `connection` */
  dispatcher?: Dispatcher
}

export interface HttpResponse {
  status: number
  body: string
  /** the response headers (pagination: GitLab's `X-Next-Page`, Gitea's `Link`, …) */
  headers: Headers
}

/** The retry settings of the controller's client. */
export const RETRY_WAIT_MIN_MS = 2_000
export const RETRY_WAIT_MAX_MS = 30_000
export const MAX_ATTEMPTS = 5

/** How much of a response body we keep: enough for an API page of statuses or comments, bounded
 * against a hostile or broken server. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024
/** How much of an error body goes into an error message. */
const MAX_ERROR_BODY_CHARS = 64 * 1024

/** Go's default client header, sent unless the request sets its own. */
const GO_USER_AGENT = 'Go-http-client/1.1'

/**
 * Where in the controller's `postMessage` (reference §5.1) a failure happens, which decides the
 * layer it adds to the text: building the request (`failed to create a new request: `), the
 * client's send with its retries (`failed to execute request: `), or the check of the answer
 * (`request failed: `).
 */
export type SendStage = 'request' | 'execute' | 'response'

/** A send that failed; the message is the user-facing text (still to be masked by the caller). */
export class SendError extends Error {
  override name = 'SendError'
  constructor(
    message: string,
    /** undefined: a failure outside the request itself (e.g. an unusable proxy setting) */
    readonly stage?: SendStage,
  ) {
    super(message)
  }
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export const defaultSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })

/** Go's `ctx.Err()` text for an aborted signal. */
export function contextErrorText(signal: AbortSignal): string {
  const reason: unknown = signal.reason
  return reason instanceof Error && reason.name === 'TimeoutError'
    ? 'context deadline exceeded'
    : 'context canceled'
}

/**
 * `DefaultBackoff`: `min·2^attempt` capped at max, except that a 429 or 503 carrying a valid
 * `Retry-After` waits exactly that long (not capped). `attempt` counts from 0.
 */
export function backoffMs(attempt: number, status?: number, retryAfter?: string | null): number {
  if ((status === 429 || status === 503) && retryAfter) {
    const wait = parseRetryAfterMs(retryAfter, Date.now())
    if (wait !== undefined) return wait
  }
  return Math.min(RETRY_WAIT_MIN_MS * 2 ** attempt, RETRY_WAIT_MAX_MS)
}

/**
 * `Retry-After` as retryablehttp reads it: whole seconds (Go's `strconv.ParseInt`, so an optional
 * sign; negative is ignored), or an RFC 1123 date (`Fri, 31 Dec 1999 23:59:59 GMT`); a date in
 * the past means 0. Anything else is ignored (undefined).
 */
export function parseRetryAfterMs(value: string, nowMs: number): number | undefined {
  if (/^[+-]?\d+$/u.test(value)) {
    const seconds = Number(value)
    return seconds < 0 ? undefined : seconds * 1000
  }
  // Go's time.RFC1123 layout; the zone is an abbreviation that Go reads as UTC when unknown.
  const date = /^[A-Z][a-z]{2}, (\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}) [A-Z]{3,5}$/u.exec(
    value,
  )
  if (!date) return undefined
  const at = Date.parse(`${date[1]} GMT`)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - nowMs)
}

/** Go's `url.Error` operation name: `POST` → `Post`. */
function urlErrorOp(method: string): string {
  return method.slice(0, 1) + method.slice(1).toLowerCase()
}

/** What one attempt came to. */
type Attempt =
  | { kind: 'response'; status: number; statusText: string; headers: Headers; body: string }
  | { kind: 'error'; text: string; retryable: boolean }

/**
 * The innermost cause of a fetch failure, described like a Go transport error: a certificate
 * failure in Go's words (see `goCertificateErrorText`), anything else with Node's message.
 */
function describeFetchError(error: unknown): { text: string; code: string } {
  const inner = innermostError(error)
  const text =
    goCertificateErrorText(error) ?? (inner instanceof Error ? inner.message : String(inner))
  const code: unknown = inner instanceof Error ? (inner as NodeJS.ErrnoException).code : undefined
  return { text, code: typeof code === 'string' ? code : '' }
}

/**
 * Reads at most `MAX_BODY_BYTES` of the body as text (invalid UTF-8 becomes U+FFFD, as Go's
 * string conversion would later print it), then lets the rest go.
 */
async function readBodyCapped(response: Response): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < MAX_BODY_BYTES) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.byteLength
    }
  } finally {
    if (size >= MAX_BODY_BYTES) await reader.cancel().catch(() => {})
    reader.releaseLock()
  }
  const all = new Uint8Array(Math.min(size, MAX_BODY_BYTES))
  let offset = 0
  for (const chunk of chunks) {
    const part = chunk.subarray(0, all.byteLength - offset)
    all.set(part, offset)
    offset += part.byteLength
    if (offset >= all.byteLength) break
  }
  return new TextDecoder().decode(all)
}

/** Frees the connection of a response we will not read. */
async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {})
}

/** Percent-decoding that keeps a malformed escape as written instead of throwing. */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** Where a request goes and what it carries. */
interface Target {
  /** the URL as given, user-info included (fetch gets it without, see `forFetch`) */
  url: URL
  headers: Headers
}

/** The URL and headers of `spec`, or the error Go's client would give before sending. */
function prepareTarget(spec: HttpRequestSpec): Target | SendError {
  const shownUrl = redactUrlCredentials(spec.url)
  let url: URL
  try {
    url = new URL(spec.url)
  } catch {
    return new SendError(`parse ${JSON.stringify(shownUrl)}: invalid URL`, 'request')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const scheme = url.protocol.slice(0, -1)
    return new SendError(
      `${urlErrorOp(spec.method)} ${JSON.stringify(shownUrl)}: unsupported protocol scheme ${JSON.stringify(scheme)}`,
      'execute',
    )
  }
  let headers: Headers
  try {
    headers = new Headers(spec.headers)
  } catch (error) {
    return new SendError(
      `${urlErrorOp(spec.method)} ${JSON.stringify(shownUrl)}: invalid header: ${describeFetchError(error).text}`,
      'execute',
    )
  }
  if (!headers.has('user-agent')) headers.set('user-agent', GO_USER_AGENT)
  return { url, headers }
}

/**
 * The URL fetch can send (fetch refuses URLs with credentials), and the headers plus a Basic
 * `Authorization` made from the URL's user-info when there is none: what Go's client does for
 * each request it sends, from that request's own URL.
 */
function forFetch(url: URL, headers: Headers): { url: URL; headers: Headers } {
  if (url.username === '' && url.password === '') return { url, headers }
  const bare = new URL(url.href)
  bare.username = ''
  bare.password = ''
  if (headers.has('authorization')) return { url: bare, headers }
  const withAuth = new Headers(headers)
  const basic = `${percentDecode(url.username)}:${percentDecode(url.password)}`
  withAuth.set('authorization', `Basic ${Buffer.from(basic, 'utf8').toString('base64')}`)
  return { url: bare, headers: withAuth }
}

/** `url` without user-info, as Go shows a URL in a `Referer`. */
function withoutUserInfo(url: URL): string {
  const bare = new URL(url.href)
  bare.username = ''
  bare.password = ''
  return bare.href
}

/** Go's `http.Client` default `CheckRedirect`: the 10th redirect is not followed. */
export const MAX_REDIRECTS = 10

/** Headers Go stops sending once a redirect left the original host (and its subdomains). */
const SENSITIVE_ON_REDIRECT = [
  'authorization',
  'www-authenticate',
  'cookie',
  'cookie2',
  'proxy-authorization',
  'proxy-authenticate',
]

/** Go's `isDomainOrSubdomain`, on host names without ports. */
function isDomainOrSubdomain(sub: string, parent: string): boolean {
  return sub === parent || sub.endsWith(`.${parent}`)
}

/**
 * What one fetch (with its redirects) came to: the final response, or an error already in Go's
 * words. Redirects are followed here, not by fetch, because fetch follows up to 20 and Go's
 * client stops at 10 with `stopped after 10 redirects` (which retryablehttp does not retry): a
 * redirect loop costs the receiver as many requests as it does under the controller.
 *
 * Go's rules (`redirectBehavior`, `makeHeadersCopier`): 301/302/303 go on as GET without a body
 * (HEAD stays HEAD); 307/308 repeat the method and body; a 3xx without `Location` is the final
 * answer; each request carries the first request's headers, but once a redirect leaves the
 * first host (for one that is not its subdomain) the credentials headers are dropped for good;
 * a relative `Location` keeps the URL's user-info; `Referer` is the previous URL unless that
 * would send an https address to an http one.
 */
async function fetchFollowingRedirects(
  spec: HttpRequestSpec,
  target: Target,
  signal: AbortSignal,
  fetch: typeof globalThis.fetch,
): Promise<{ kind: 'fetched'; response: Response } | Extract<Attempt, { kind: 'error' }>> {
  const op = urlErrorOp(spec.method)
  const firstHost = target.url.hostname.toLowerCase()
  // A string body goes as bytes so fetch adds no `text/plain` Content-Type of its own.
  let body = typeof spec.body === 'string' ? new TextEncoder().encode(spec.body) : spec.body
  let method = spec.method
  let url = target.url
  let headers = target.headers
  let stripCredentials = false
  for (let sent = 1; ; sent++) {
    const request = forFetch(url, headers)
    let response: Response
    try {
      response = await fetch(request.url, {
        method,
        headers: request.headers,
        body,
        signal,
        redirect: 'manual',
      })
    } catch (error) {
      // Go names the URL of the request that failed
      const shownUrl = redactUrlCredentials(sent === 1 ? spec.url : url.href)
      const { text } = describeFetchError(error)
      // fetch reports every network failure as `fetch failed`; any other rejection is a
      // request it refused to build, which no retry can fix. Certificate errors are not
      // retried either; anything else that breaks the connection (refused, reset, DNS, EOF)
      // is worth another attempt.
      const networkFailure = error instanceof TypeError && error.message === 'fetch failed'
      const retryable = networkFailure && !isCertificateError(error)
      return { kind: 'error', text: `${op} ${JSON.stringify(shownUrl)}: ${text}`, retryable }
    }
    const location = response.headers.get('location')
    const isRedirect = [301, 302, 303, 307, 308].includes(response.status)
    if (!isRedirect || location === null || location === '') return { kind: 'fetched', response }
    await discardBody(response)
    // Go's error names the Location as the server wrote it
    const shownLocation = JSON.stringify(redactUrlCredentials(location))
    if (sent >= MAX_REDIRECTS) {
      return {
        kind: 'error',
        text: `${op} ${shownLocation}: stopped after ${MAX_REDIRECTS} redirects`,
        retryable: false,
      }
    }
    let next: URL
    try {
      next = new URL(location, url)
    } catch {
      const shownUrl = JSON.stringify(redactUrlCredentials(url.href))
      const text = `failed to parse Location header ${shownLocation}`
      return { kind: 'error', text: `${op} ${shownUrl}: ${text}`, retryable: true }
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      const scheme = JSON.stringify(next.protocol.slice(0, -1))
      return {
        kind: 'error',
        text: `${op} ${shownLocation}: unsupported protocol scheme ${scheme}`,
        retryable: false,
      }
    }
    if (response.status === 301 || response.status === 302 || response.status === 303) {
      if (method !== 'GET' && method !== 'HEAD') method = 'GET'
      body = undefined
    }
    if (next.host !== target.url.host && !isDomainOrSubdomain(next.hostname, firstHost)) {
      stripCredentials = true
    }
    headers = new Headers(target.headers)
    if (stripCredentials) for (const name of SENSITIVE_ON_REDIRECT) headers.delete(name)
    if (!headers.has('referer') && !(url.protocol === 'https:' && next.protocol === 'http:')) {
      headers.set('referer', withoutUserInfo(url))
    }
    url = next
  }
}

async function attemptOnce(
  spec: HttpRequestSpec,
  target: Target,
  signal: AbortSignal,
  fetch: typeof globalThis.fetch,
): Promise<Attempt> {
  const fetched = await fetchFollowingRedirects(spec, target, signal, fetch)
  if (fetched.kind === 'error') return fetched
  const { response } = fetched
  const retryable = isRetryableStatus(response.status)
  let responseBody = ''
  if (retryable) {
    await discardBody(response)
  } else {
    try {
      responseBody = await readBodyCapped(response)
    } catch (error) {
      // Go's default check reads the body only of a non-2xx answer, so a 2xx whose body breaks
      // off is still a success unless a custom check needs that body.
      const isSuccess = response.status >= 200 && response.status < 300
      if (!isSuccess || spec.checkResponse) {
        if (signal.aborted) throw error
        // read after retryablehttp handed the response over: not its error, no "giving up"
        throw new SendError(
          `failed to read response body: ${describeFetchError(error).text}`,
          'response',
        )
      }
    }
  }
  return {
    kind: 'response',
    status: response.status,
    statusText: response.statusText || STATUS_CODES[response.status] || '',
    headers: response.headers,
    body: responseBody,
  }
}

/** The fetch for `url`: global, or undici's through the dispatcher the connection needs. */
async function fetchFor(url: string, options: SendOptions): Promise<typeof globalThis.fetch> {
  if (options.dispatcher) return fetchVia(options.dispatcher)
  const connection = options.connection
  const settings: ConnectionSettings =
    connection === undefined
      ? { proxy: '' }
      : 'type' in connection
        ? connectionFor(connection, url)
        : connection
  try {
    return await fetchVia(await dispatcherFor(settings, url))
  } catch (error) {
    // an unusable proxy setting: no attempt can succeed
    throw new SendError(error instanceof Error ? error.message : String(error))
  }
}

/** `DefaultRetryPolicy` on a response: 429, 5xx except 501, and the impossible status 0. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 0 || (status >= 500 && status !== 501)
}

/**
 * Sends `spec`, retrying like the controller's client. Resolves with the final 2xx response;
 * rejects with a `SendError` whose message is the (unmasked) error text.
 */
export async function sendRequest(
  spec: HttpRequestSpec,
  options: SendOptions,
): Promise<HttpResponse> {
  const { signal } = options
  const sleep = options.sleep ?? defaultSleep
  const target = prepareTarget(spec)
  if (target instanceof SendError) throw target
  const shownUrl = redactUrlCredentials(spec.url)
  const fetch = await fetchFor(target.url.href, options)
  const givingUp = (attempts: number, cause: string | undefined) =>
    new SendError(
      `${spec.method} ${shownUrl} giving up after ${attempts} attempt(s)` +
        (cause === undefined ? '' : `: ${cause}`),
      'execute',
    )

  for (let attempt = 0; ; attempt++) {
    let outcome: Attempt
    try {
      outcome = await attemptOnce(spec, target, signal, fetch)
    } catch (error) {
      if (!signal.aborted) throw error
      outcome = { kind: 'error', text: contextErrorText(signal), retryable: false }
    }
    const attempts = attempt + 1
    // retryablehttp checks the context before anything else: past the deadline nothing counts.
    if (signal.aborted) throw givingUp(attempts, contextErrorText(signal))

    let cause: string | undefined
    if (outcome.kind === 'error') {
      if (!outcome.retryable) throw givingUp(attempts, outcome.text)
      cause = outcome.text
    } else if (isRetryableStatus(outcome.status)) {
      // retryablehttp says why for 5xx, not for 429
      if (outcome.status !== 429) {
        cause = `unexpected HTTP status ${`${outcome.status} ${outcome.statusText}`.trim()}`
      }
    } else {
      if (outcome.status < 200 || outcome.status >= 300) {
        throw new SendError(
          `request failed with status code ${outcome.status}: ${outcome.body.slice(0, MAX_ERROR_BODY_CHARS)}`,
          'response',
        )
      }
      const problem = spec.checkResponse?.(outcome.status, outcome.body)
      if (problem !== undefined) throw new SendError(problem, 'response')
      return { status: outcome.status, body: outcome.body, headers: outcome.headers }
    }

    if (attempts >= MAX_ATTEMPTS) throw givingUp(attempts, cause)
    const wait =
      outcome.kind === 'response'
        ? backoffMs(attempt, outcome.status, outcome.headers.get('retry-after'))
        : backoffMs(attempt)
    try {
      await sleep(wait, signal)
    } catch (error) {
      // retryablehttp returns the bare context error when the deadline hits between attempts
      if (signal.aborted) throw new SendError(contextErrorText(signal), 'execute')
      throw error
    }
  }
}
