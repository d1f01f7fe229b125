/**
 * The IO edge for `events` entries that are `http://` or `https://` URLs: one GET (no retries: a
 * scheduled or polling run reads the source again anyway), the environment's proxy, an optional
 * bearer token, the body streamed through the parser as it arrives. Every failure is one Problem
 * naming the URL with any credentials in it redacted; the run goes on with the other sources.
 */
import { STATUS_CODES } from 'node:http'
import type { EventsSink, ParsedEvents } from '../events/parse.js'
import { redactUrlCredentials } from '../delivery/mask.js'
import {
  dispatcherFor,
  fetchVia,
  goCertificateErrorText,
  innermostError,
} from '../delivery/transport.js'
import { readEventSource } from './decode.js'

/** How long one URL may take, answer and body included. */
export const EVENT_URL_TIMEOUT_MS = 30_000

export interface EventUrlOptions {
  /** sent as `Authorization: Bearer <token>` when not empty */
  token?: string
  timeoutMs?: number
  /** where the proxy settings (`HTTPS_PROXY`, `NO_PROXY`, …) come from; default process.env */
  env?: NodeJS.ProcessEnv
  /** hands the events on as the body is read (see `parseEventStream`) */
  onEvents?: EventsSink
}

/**
 * Fetches `url` and parses its body as it arrives. The URL (credentials redacted) is the source
 * label. `Content-Encoding`s are decoded by fetch; a body that is itself gzip (a `.gz` file
 * served as is) is inflated by its magic bytes. Only one value of the body is bounded in size.
 */
export async function readEventUrl(
  url: string,
  options: EventUrlOptions = {},
): Promise<ParsedEvents> {
  const label = redactUrlCredentials(url)
  const fail = (why: string): ParsedEvents => ({
    events: [],
    problems: [{ severity: 'error', message: `${label}: ${why}` }],
    ignored: { nonFlux: 0, trace: 0 },
  })
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return fail('not a valid URL')
  }
  const headers = new Headers({ accept: 'application/json, application/x-ndjson, */*' })
  // fetch refuses URLs with user-info: send it as Basic auth, as curl and Go's client would.
  if (target.username !== '' || target.password !== '') {
    const user = percentDecode(target.username)
    const password = percentDecode(target.password)
    headers.set('authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`)
    target.username = ''
    target.password = ''
  }
  if (options.token) headers.set('authorization', `Bearer ${options.token}`)

  const timeoutMs = options.timeoutMs ?? EVENT_URL_TIMEOUT_MS
  const signal = AbortSignal.timeout(timeoutMs)
  // The timeout covers the body too: fetch's signal aborts the body stream.
  const describe = (error: unknown): string =>
    signal.aborted
      ? `no complete answer within ${timeoutMs / 1000}s`
      : `cannot fetch: ${describeError(error)}`
  let response: Response
  try {
    const fetch = await fetchVia(await dispatcherFor({ proxy: '' }, target.href, options.env))
    response = await fetch(target, { headers, signal, redirect: 'follow' })
  } catch (error) {
    return fail(describe(error))
  }
  if (response.status < 200 || response.status >= 300) {
    await response.body?.cancel().catch(() => {})
    const reason = response.statusText || STATUS_CODES[response.status] || ''
    return fail(`HTTP ${`${response.status} ${reason}`.trim()}`)
  }
  if (!response.body) return readEventSource(emptyBody(), label)
  return readEventSource(response.body, label, {
    describeError: describe,
    onEvents: options.onEvents,
  })
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/** The innermost cause, on one line (`connect ECONNREFUSED 127.0.0.1:9`, a certificate error). */
function describeError(error: unknown): string {
  const inner = innermostError(error)
  const text =
    goCertificateErrorText(error) ?? (inner instanceof Error ? inner.message : String(inner))
  return redactUrlCredentials(text.split('\n', 1)[0] ?? '')
}

/** Percent-decoding that keeps a malformed escape as written instead of throwing. */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
