/**
 * `sentry` (reference §5.10, the controller's `sentry.go` over sentry-go): an `info` event becomes
 * a transaction (a trace with one span, tagged with the object and the metadata), an `error`
 * event an error event; any other severity sends nothing.
 *
 * We build the envelope sentry-go would post instead of loading an SDK: one
 * `POST <scheme>://<host>[:port][<path>]/api/<project>/envelope/` with `X-Sentry-Auth` from the
 * DSN (Sentry developer docs, "Envelopes" and "Authentication"), three lines: envelope header,
 * item header (`type`, `length`), the event JSON. Fields are the ones the controller sets; what
 * sentry-go adds about its own process (hostname, Go runtime, modules) is left out.
 *
 * Decisions where neither the controller nor the SDK fixes a value:
 * - `event_id`, `trace_id` and `span_id` are derived from the provider's UID and the event JSON
 *   (SHA-256) rather than drawn at random, so a delivery retried on the next run carries the same
 *   `event_id` and Sentry drops the duplicate. Rendering stays a pure function.
 * - The envelope header carries no `sent_at` (optional; Sentry then takes the arrival time).
 * - Delivery failures are reported; the controller's SDK transport is asynchronous and never does.
 *
 * Size limits (Sentry developer docs, "Data Handling: Variable Size"): messages are limited to
 * 8192 characters, tag values and transaction names to 200; longer texts are cut with a marker
 * instead of being trimmed (or the tag dropped) by Sentry.
 */
import { createHash } from 'node:crypto'
import type { FluxEvent } from '../events/model.js'
import { goJson, goMap } from '../util/go-json.js'
import { eventJson } from './event-json.js'
import { parseGoUrl } from '../util/go-url.js'
import { cutToLength } from './limits.js'
import type { HttpRequestSpec, NotifierModule, Notification, ResolvedProvider } from './types.js'

export const SENTRY_MESSAGE_LIMIT = 8192
export const SENTRY_TAG_VALUE_LIMIT = 200
export const SENTRY_TRANSACTION_LIMIT = 200

/** The protocol version sentry-go announces. */
const SENTRY_VERSION = '7'
const SENTRY_CLIENT = 'flux-notify'

/** What the envelope endpoint and the auth header need from a DSN (sentry-go's `Dsn`). */
export interface Dsn {
  scheme: 'http' | 'https'
  publicKey: string
  secretKey: string
  /** host name, without brackets or port */
  host: string
  port: number
  /** the path before the project id, `''` or `/prefix` */
  path: string
  projectId: string
}

function dsnError(message: string): { error: string } {
  return { error: `[Sentry] DsnParseError: ${message}` }
}

/** A percent-decoded userinfo part (Go's parser validated the escapes already). */
function unescapeUserinfo(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    return part
  }
}

/** sentry-go's `NewDsn`, with its error texts. */
export function parseDsn(raw: string): Dsn | { error: string } {
  const parsed = parseGoUrl(raw)
  if ('error' in parsed) return dsnError(`invalid url: ${parsed.error}`)
  const url = parsed.url
  if (url.scheme !== 'http' && url.scheme !== 'https') return dsnError('invalid scheme')
  const user = url.user ?? ''
  const colon = user.indexOf(':')
  const publicKey = unescapeUserinfo(colon < 0 ? user : user.slice(0, colon))
  const secretKey = colon < 0 ? '' : unescapeUserinfo(user.slice(colon + 1))
  if (publicKey === '') return dsnError('empty username')
  // Go's Hostname() and Port(): brackets stripped, port after the last colon
  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(url.host)
  const host = (hostPort?.[1] ?? url.host).replace(/^\[(.*)\]$/, '$1')
  if (host === '') return dsnError('empty host')
  const defaultPort = url.scheme === 'https' ? 443 : 80
  let port = defaultPort
  const portText = hostPort?.[2] ?? ''
  if (portText !== '') {
    port = Number(portText)
    // Go's strconv.Atoi fails beyond 64 bits; such a port is unusable either way
    if (!Number.isSafeInteger(port)) return dsnError('invalid port')
  }
  if (url.path === '' || url.path === '/') return dsnError('empty project id')
  const segments = url.path.slice(1).split('/')
  const projectId = segments[segments.length - 1] ?? ''
  if (projectId === '') return dsnError('empty project id')
  const path = segments.length > 1 ? `/${segments.slice(0, -1).join('/')}` : ''
  return { scheme: url.scheme, publicKey, secretKey, host, port, path, projectId }
}

function hostAndPort(dsn: Dsn): string {
  const host = dsn.host.includes(':') ? `[${dsn.host}]` : dsn.host
  const defaultPort = dsn.scheme === 'https' ? 443 : 80
  return dsn.port === defaultPort ? host : `${host}:${dsn.port}`
}

/** The envelope endpoint (`Dsn.GetAPIURL`). */
export function envelopeUrl(dsn: Dsn): string {
  return `${dsn.scheme}://${hostAndPort(dsn)}${dsn.path}/api/${dsn.projectId}/envelope/`
}

/** The `X-Sentry-Auth` value sentry-go sends with an envelope. */
export function sentryAuthHeader(dsn: Dsn): string {
  let auth = `Sentry sentry_version=${SENTRY_VERSION}, sentry_client=${SENTRY_CLIENT}, sentry_key=${dsn.publicKey}`
  // deprecated, but older self-hosted Sentry still wants it when the DSN has one
  if (dsn.secretKey !== '') auth += `, sentry_secret=${dsn.secretKey}`
  return auth
}

/** `Kind: namespace/name`, the transaction name of both event kinds. */
export function eventSummary(event: FluxEvent): string {
  const ref = event.involvedObject
  return `${ref.kind ?? ''}: ${ref.namespace ?? ''}/${ref.name ?? ''}`
}

/** Ids derived from the provider and the event: the same delivery always gets the same ids. */
export function sentryIds(
  providerUid: string,
  event: FluxEvent,
): { eventId: string; traceId: string; spanId: string } {
  const digest = createHash('sha256').update(`${providerUid}\n`).update(eventJson(event)).digest()
  const spanDigest = createHash('sha256').update(digest).digest()
  return {
    eventId: digest.subarray(0, 16).toString('hex'),
    traceId: digest.subarray(16, 32).toString('hex'),
    spanId: spanDigest.subarray(0, 8).toString('hex'),
  }
}

/** The span's tags: the six `flux_*` ones, then the metadata (which may override them). */
export function sentryTags(event: FluxEvent): Map<string, string> {
  const ref = event.involvedObject
  const tags = new Map<string, string>([
    ['flux_involved_object_kind', ref.kind ?? ''],
    ['flux_involved_object_namespace', ref.namespace ?? ''],
    ['flux_involved_object_name', ref.name ?? ''],
    ['flux_reporting_controller', event.reportingController],
    ['flux_reporting_instance', event.reportingInstance ?? ''],
    ['flux_reason', event.reason],
  ])
  for (const [key, value] of Object.entries(event.metadata ?? {})) tags.set(key, value)
  for (const [key, value] of tags) tags.set(key, cutToLength(value, SENTRY_TAG_VALUE_LIMIT))
  return tags
}

/** The transaction of an `info` event, fields in sentry-go's order. */
export function transactionEvent(
  event: FluxEvent,
  environment: string,
  providerUid: string,
): string {
  const ids = sentryIds(providerUid, event)
  const tags = sentryTags(event)
  // a null event time: no timestamps, and Sentry uses the time the event arrived
  const time = event.timestamp ?? undefined
  return goJson({
    contexts: goMap({
      trace: goMap({ op: 'event', span_id: ids.spanId, trace_id: ids.traceId }),
    }),
    environment: environment || undefined,
    event_id: ids.eventId,
    message: cutToLength(event.message, SENTRY_MESSAGE_LIMIT) || undefined,
    platform: 'go',
    tags: tags.size > 0 ? tags : undefined,
    transaction: cutToLength(eventSummary(event), SENTRY_TRANSACTION_LIMIT),
    type: 'transaction',
    // the controller puts its one span in the list too (it is also the root: contexts.trace)
    spans: [
      {
        trace_id: ids.traceId,
        span_id: ids.spanId,
        op: 'event',
        tags,
        start_timestamp: time,
        timestamp: time,
        origin: 'manual',
      },
    ],
    start_timestamp: time,
    timestamp: time,
  })
}

/** The error event of an `error` event, fields in sentry-go's order. */
export function errorEvent(event: FluxEvent, environment: string, providerUid: string): string {
  const ids = sentryIds(providerUid, event)
  const metadata = event.metadata ?? {}
  return goJson({
    contexts: Object.keys(metadata).length > 0 ? goMap({ metadata: goMap(metadata) }) : undefined,
    environment: environment || undefined,
    event_id: ids.eventId,
    level: 'error',
    message: cutToLength(event.message, SENTRY_MESSAGE_LIMIT) || undefined,
    platform: 'go',
    server_name: event.reportingController || undefined,
    transaction: cutToLength(eventSummary(event), SENTRY_TRANSACTION_LIMIT),
    timestamp: event.timestamp ?? undefined,
  })
}

/** The envelope: header line, item header line, payload line (each ending in a newline). */
export function sentryEnvelope(
  dsn: Dsn,
  eventId: string,
  type: 'transaction' | 'event',
  payload: string,
): string {
  const header = goJson({ event_id: eventId, dsn: dsnString(dsn) })
  const item = goJson({ type, length: Buffer.byteLength(payload, 'utf8') })
  return `${header}\n${item}\n${payload}\n`
}

/** The request for `notification`, or the reason nothing is sent. */
export function sentryRequest(notification: Notification): HttpRequestSpec | { skip: string } {
  const { event, provider } = notification
  const dsn = parseDsn(provider.address)
  if ('error' in dsn) return { skip: dsn.error }
  let type: 'transaction' | 'event'
  let payload: string
  if (event.severity === 'info') {
    type = 'transaction'
    payload = transactionEvent(event, provider.channel, provider.uid)
  } else if (event.severity === 'error') {
    type = 'event'
    payload = errorEvent(event, provider.channel, provider.uid)
  } else {
    return {
      skip: `severity ${event.severity || '""'} is neither info nor error: Sentry gets nothing`,
    }
  }
  const ids = sentryIds(provider.uid, event)
  return {
    method: 'POST',
    url: envelopeUrl(dsn),
    headers: {
      'Content-Type': 'application/x-sentry-envelope',
      'X-Sentry-Auth': sentryAuthHeader(dsn),
    },
    body: sentryEnvelope(dsn, ids.eventId, type, payload),
  }
}

/** `Dsn.String()`: the DSN as sentry-go writes it back in the envelope header. */
export function dsnString(dsn: Dsn): string {
  const user = dsn.secretKey === '' ? dsn.publicKey : `${dsn.publicKey}:${dsn.secretKey}`
  return `${dsn.scheme}://${user}@${hostAndPort(dsn)}${dsn.path}/${dsn.projectId}`
}

function validate(provider: ResolvedProvider): string | undefined {
  if (provider.address === '') return 'DSN cannot be empty'
  const dsn = parseDsn(provider.address)
  return 'error' in dsn ? dsn.error : undefined
}

export const sentry: NotifierModule = {
  type: 'sentry',
  class: 'notification',
  validate,
  render(notification) {
    const request = sentryRequest(notification)
    return 'skip' in request ? request : { requests: [request] }
  },
}
