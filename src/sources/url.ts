/**
 * The IO edge for `events` entries that are `http://` or `https://` URLs: one GET (no retries: a
 * scheduled or polling run reads the source again anyway), the environment's proxy, an optional
 * bearer token, the body handed to the pure parser. Every failure is one Problem naming the URL
 * with any credentials in it redacted; the run goes on with the other sources.
 */
import { STATUS_CODES } from 'node:http'
import type { Problem } from '../manifests/model.js'
import { parseEvents, type ParsedEvents } from '../events/parse.js'
import { redactUrlCredentials } from '../delivery/mask.js'
import {
  dispatcherFor,
  fetchVia,
  goCertificateErrorText,
  innermostError,
} from '../delivery/transport.js'
import { MAX_EVENT_SOURCE_BYTES } from './event-files.js'

/** How long one URL may take, answer and body included. */
export const EVENT_URL_TIMEOUT_MS = 30_000

export interface EventUrlOptions {
  /** sent as `Authorization: Bearer <token>` when not empty */
  token?: string
  timeoutMs?: number
  /** where the proxy settings (`HTTPS_PROXY`, `NO_PROXY`, …) come from; default process.env */
  env?: NodeJS.ProcessEnv
}

/**
 * Fetches `url` and parses its body. The URL (credentials redacted) is the source label. Gzip
 * and other `Content-Encoding`s are decoded by fetch; the size limit applies to the decoded text.
 */
export async function readEventUrl(
  url: string,
  options: EventUrlOptions = {},
): Promise<ParsedEvents> {
  const label = redactUrlCredentials(url)
  const text = await fetchText(url, label, options)
  if (typeof text !== 'string') {
    return { events: [], problems: [text], ignored: { nonFlux: 0, trace: 0 } }
  }
  return parseEvents(text, label)
}

async function fetchText(
  url: string,
  label: string,
  options: EventUrlOptions,
): Promise<string | Problem> {
  const fail = (why: string): Problem => ({ severity: 'error', message: `${label}: ${why}` })
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
  try {
    const fetch = await fetchVia(await dispatcherFor({ proxy: '' }, target.href, options.env))
    const response = await fetch(target, { headers, signal, redirect: 'follow' })
    if (response.status < 200 || response.status >= 300) {
      await response.body?.cancel().catch(() => {})
      const reason = response.statusText || STATUS_CODES[response.status] || ''
      return fail(`HTTP ${`${response.status} ${reason}`.trim()}`)
    }
    const text = await readBodyLimited(response)
    if (typeof text !== 'string') {
      return fail(`larger than 100 MiB (more than ${text.bytes} bytes); refusing to read it`)
    }
    return text
  } catch (error) {
    if (signal.aborted) return fail(`no complete answer within ${timeoutMs / 1000}s`)
    return fail(`cannot fetch: ${describeError(error)}`)
  }
}

/** The body as UTF-8 text, or how many bytes had arrived when it passed the limit. */
async function readBodyLimited(response: Response): Promise<string | { bytes: number }> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.byteLength
    if (bytes > MAX_EVENT_SOURCE_BYTES) {
      await reader.cancel().catch(() => {})
      return { bytes }
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

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
