/**
 * `otel` (reference §5.22, the controller's `otel.go` over the OpenTelemetry Go SDK and its
 * OTLP/HTTP exporter): one span per event, exported as OTLP/HTTP protobuf to the address.
 *
 * We encode the `ExportTraceServiceRequest` ourselves (opentelemetry-proto
 * `collector/trace/v1/trace_service.proto`, `trace/v1/trace.proto`) with @bufbuild/protobuf's
 * wire writer, fields in number order and defaults left out, as Go's protobuf marshaller does:
 *
 * - resource `service.instance.id` = the Alert's UID, `service.name` = `<ns>/<name>`,
 *   `service.namespace` = `<ns>` (sorted by key, as an attribute set is), schema URL of semantic
 *   conventions v1.40.0; scope `flux:notification-controller`;
 * - span name `<Kind>: <ns>/<name>`, kind internal, attributes `object.uid`, `object.kind`,
 *   `object.name`, `object.namespace` then the metadata (sorted), status Ok or Error;
 * - trace id: the first 16 bytes of SHA-256 over `<alertUID>:<revision>`; span id: the first 8
 *   bytes of SHA-256 over `<objectUID>:<revision>` (the controller's ID generator); no parent.
 *
 * Where we differ from the controller, and why:
 * - A manifest in Git has no UID: the Alert's UID is its `metadata.uid`, else the stable id
 *   flux-notify derives from namespace and name (design §3), as for Providers.
 * - The controller looks up the object's Kustomization in the cluster to share a trace id across
 *   a reconciliation tree and to set a parent span; without a cluster, every span is a root.
 * - The span ends when it starts (the event time). The controller ends it when its `Post`
 *   returns, which only measures its own latency; in CI that could be hours after the event.
 * - As the Go SDK does, an Ok status carries no message (the OTel specification reserves the
 *   description for errors).
 * - An address Go cannot parse is refused when manifests load; the exporter would log it and send
 *   to its default `https://localhost:4318/v1/traces`.
 *
 * Size: OTLP sets no field limits, and the OpenTelemetry Collector accepts requests up to 20 MiB
 * by default (`confighttp` `max_request_body_size`); an event (its message is capped at 39,000
 * characters by Flux) stays far below, so nothing is cut.
 */
import { createHash } from 'node:crypto'
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire'
import type { FluxEvent } from '../events/model.js'
import type { Alert } from '../manifests/model.js'
import { providerUid } from '../manifests/uid.js'
import { compareBytes } from '../util/go-json.js'
import { goUserinfo, parseGoUrl, withUserinfo } from '../util/go-url.js'
import { canonicalHeaderKey } from './generic.js'
import type { HttpRequestSpec, NotifierModule, Notification, ResolvedProvider } from './types.js'

/** `semconv.SchemaURL` of the semantic conventions package the controller uses (v1.40.0). */
export const OTEL_SCHEMA_URL = 'https://opentelemetry.io/schemas/1.40.0'
export const OTEL_SCOPE_NAME = 'flux:notification-controller'
/** The SDK's default `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`. */
export const SPAN_ATTRIBUTE_COUNT_LIMIT = 128

/** `SpanKind` and `Status.StatusCode` values of trace.proto. */
const SPAN_KIND_INTERNAL = 1
export const STATUS_CODE_OK = 1
export const STATUS_CODE_ERROR = 2
/** `SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK`: the Go exporter says the parent is not remote. */
const SPAN_FLAGS_HAS_IS_REMOTE = 0x100

export interface SpanAttribute {
  key: string
  value: string
}

/** Everything the export request holds, before encoding. */
export interface OtelSpan {
  resource: SpanAttribute[]
  traceId: Uint8Array
  spanId: Uint8Array
  name: string
  /** nanoseconds since the epoch */
  startTimeUnixNano: bigint
  endTimeUnixNano: bigint
  attributes: SpanAttribute[]
  droppedAttributesCount: number
  statusCode: number
  statusMessage: string
}

/**
 * The revision the ids are derived from (the controller's `getRevision`): none without a
 * `commit`, `originRevision` or `revision` key (`unknown`); else `source-revision` when present,
 * else `<app-version>@<oci-digest>` when both are present, else that first revision.
 */
export function otelRevision(event: FluxEvent): string {
  const metadata = event.metadata ?? {}
  const has = (key: string) => Object.hasOwn(metadata, key)
  const first = ['commit', 'originRevision', 'revision'].find(has)
  if (first === undefined) return 'unknown'
  if (has('source-revision')) return metadata['source-revision']!
  if (has('oci-digest') && has('app-version')) {
    return `${metadata['app-version']!}@${metadata['oci-digest']!}`
  }
  return metadata[first]!
}

/** SHA-256 over `<uid>:<revision>`: the controller's `generateID`. */
function generateId(uid: string, revision: string): Buffer {
  return createHash('sha256').update(`${uid}:${revision}`, 'utf8').digest()
}

/** The Alert's UID as the span's resource and trace id see it. */
export function alertUid(alert: Alert): string {
  return providerUid(alert.metadata)
}

/**
 * Span attributes: the object's four, then the metadata sorted by key. As the SDK does, empty
 * keys are dropped, a repeated key keeps its first place and its last value, and past the
 * attribute count limit the rest are dropped (and counted).
 */
export function spanAttributes(event: FluxEvent): { kept: SpanAttribute[]; dropped: number } {
  const ref = event.involvedObject
  const metadata = event.metadata ?? {}
  const all: SpanAttribute[] = [
    { key: 'object.uid', value: ref.uid ?? '' },
    { key: 'object.kind', value: ref.kind ?? '' },
    { key: 'object.name', value: ref.name ?? '' },
    { key: 'object.namespace', value: ref.namespace ?? '' },
    ...Object.keys(metadata)
      .sort(compareBytes)
      .map((key) => ({ key, value: metadata[key]! })),
  ]
  const unique: SpanAttribute[] = []
  const index = new Map<string, number>()
  for (const attribute of all) {
    if (attribute.key === '') continue
    const at = index.get(attribute.key)
    if (at === undefined) {
      index.set(attribute.key, unique.length)
      unique.push(attribute)
    } else unique[at] = attribute
  }
  return {
    kept: unique.slice(0, SPAN_ATTRIBUTE_COUNT_LIMIT),
    dropped: Math.max(0, unique.length - SPAN_ATTRIBUTE_COUNT_LIMIT),
  }
}

/** Event time in nanoseconds; a null time is the send time, as the SDK takes "now" for it. */
function eventTimeNanos(event: FluxEvent, nowMs: number): bigint {
  const ms = event.timestamp === null ? nowMs : Date.parse(event.timestamp)
  return BigInt(Math.max(0, ms)) * 1_000_000n
}

/** The span the controller would export for `event` under `alert`. */
export function otelSpan(event: FluxEvent, alert: Alert, nowMs = Date.now()): OtelSpan {
  const ref = event.involvedObject
  const uid = alertUid(alert)
  const revision = otelRevision(event)
  const { namespace, name } = alert.metadata
  const attributes = spanAttributes(event)
  const time = eventTimeNanos(event, nowMs)
  const isError = event.severity === 'error'
  return {
    resource: [
      { key: 'service.instance.id', value: uid },
      { key: 'service.name', value: `${namespace}/${name}` },
      { key: 'service.namespace', value: namespace },
    ],
    traceId: generateId(uid, revision).subarray(0, 16),
    spanId: generateId(ref.uid ?? '', revision).subarray(0, 8),
    name: `${ref.kind ?? ''}: ${ref.namespace ?? ''}/${ref.name ?? ''}`,
    startTimeUnixNano: time,
    endTimeUnixNano: time,
    attributes: attributes.kept,
    droppedAttributesCount: attributes.dropped,
    statusCode: isError ? STATUS_CODE_ERROR : STATUS_CODE_OK,
    statusMessage: isError ? event.message : '',
  }
}

// ---- protobuf encoding ----------------------------------------------------------------------

const LEN = WireType.LengthDelimited

/** `KeyValue{key, value: AnyValue{string_value}}` */
function writeKeyValue(writer: BinaryWriter, field: number, attribute: SpanAttribute): void {
  writer.tag(field, LEN).fork()
  if (attribute.key !== '') writer.tag(1, LEN).string(attribute.key)
  // AnyValue is a oneof: the string is written even when empty, so the type is known
  writer.tag(2, LEN).fork().tag(1, LEN).string(attribute.value).join()
  writer.join()
}

/** `ExportTraceServiceRequest{resource_spans: [ResourceSpans{resource, scope_spans, schema_url}]}` */
export function encodeExportRequest(span: OtelSpan): Uint8Array {
  const w = new BinaryWriter()
  w.tag(1, LEN).fork() // ResourceSpans
  w.tag(1, LEN).fork() // Resource
  for (const attribute of span.resource) writeKeyValue(w, 1, attribute)
  w.join()
  w.tag(2, LEN).fork() // ScopeSpans
  w.tag(1, LEN).fork().tag(1, LEN).string(OTEL_SCOPE_NAME).join() // InstrumentationScope
  w.tag(2, LEN).fork() // Span
  w.tag(1, LEN).bytes(span.traceId)
  w.tag(2, LEN).bytes(span.spanId)
  if (span.name !== '') w.tag(5, LEN).string(span.name)
  w.tag(6, WireType.Varint).int32(SPAN_KIND_INTERNAL)
  if (span.startTimeUnixNano !== 0n) w.tag(7, WireType.Bit64).fixed64(span.startTimeUnixNano)
  if (span.endTimeUnixNano !== 0n) w.tag(8, WireType.Bit64).fixed64(span.endTimeUnixNano)
  for (const attribute of span.attributes) writeKeyValue(w, 9, attribute)
  if (span.droppedAttributesCount > 0) {
    w.tag(10, WireType.Varint).uint32(span.droppedAttributesCount)
  }
  w.tag(15, LEN).fork() // Status
  if (span.statusMessage !== '') w.tag(2, LEN).string(span.statusMessage)
  w.tag(3, WireType.Varint).int32(span.statusCode)
  w.join()
  w.tag(16, WireType.Bit32).fixed32(SPAN_FLAGS_HAS_IS_REMOTE)
  w.join() // Span
  w.join() // ScopeSpans
  w.tag(3, LEN).string(OTEL_SCHEMA_URL)
  w.join() // ResourceSpans
  return w.finish()
}

// ---- the request ----------------------------------------------------------------------------

/**
 * The URL the exporter posts to (`WithEndpointURL`): the address's host and path, over `https`
 * only when the address says so (anything else is sent insecure, as the exporter does); the
 * query and fragment are not used.
 */
export function otelEndpoint(address: string): string | { error: string } {
  const parsed = parseGoUrl(address)
  if ('error' in parsed) return { error: parsed.error }
  if (parsed.url.host === '') return { error: 'missing host' }
  const scheme = parsed.url.scheme === 'https' ? 'https' : 'http'
  // the path as written (escapes kept), between the authority and the query or fragment
  const rawPath = /^[^:/?#]*:\/\/[^/?#]*([^?#]*)/.exec(address)?.[1] ?? ''
  return `${scheme}://${parsed.url.host}${rawPath}`
}

/** The controller's factory hands the exporter the token, or the password when there is none. */
function otelPassword(provider: ResolvedProvider): string {
  return provider.token !== '' ? provider.token : provider.password
}

/**
 * Headers: the secret's `headers`, plus, only when there are some and none is `Authorization`,
 * `Bearer <token or password>` without a username, `Basic` with one. Set in sorted key order
 * through Go's canonical names, so a lower-case `authorization` of the user's wins.
 */
export function otelHeaders(provider: ResolvedProvider): Record<string, string> {
  const configured: Record<string, string> = { ...provider.headers }
  if (Object.keys(configured).length > 0 && !configured['Authorization']) {
    const secret = otelPassword(provider)
    if (provider.username === '') configured['Authorization'] = `Bearer ${secret}`
    else if (secret !== '') {
      const basic = Buffer.from(`${provider.username}:${secret}`, 'utf8').toString('base64')
      configured['Authorization'] = `Basic ${basic}`
    }
  }
  const headers: Record<string, string> = { 'Content-Type': 'application/x-protobuf' }
  for (const key of Object.keys(configured).sort(compareBytes)) {
    headers[canonicalHeaderKey(key)] = configured[key]!
  }
  return headers
}

export function otelRequest(notification: Notification): HttpRequestSpec | { skip: string } {
  const { event, alert, provider } = notification
  if ((event.involvedObject.kind ?? '') === 'HelmRepository') {
    return { skip: 'HelmRepository events are not traced (the controller skips them)' }
  }
  const url = otelEndpoint(provider.address)
  if (typeof url !== 'string') return { skip: invalidEndpoint(provider.address, url.error) }
  return {
    method: 'POST',
    url,
    headers: otelHeaders(provider),
    body: encodeExportRequest(otelSpan(event, alert)),
  }
}

function invalidEndpoint(address: string, why: string): string {
  return `invalid OTLP endpoint URL ${address}: ${why}`
}

export const otel: NotifierModule = {
  type: 'otel',
  class: 'notification',
  validate(provider) {
    const url = otelEndpoint(provider.address)
    return typeof url === 'string' ? undefined : invalidEndpoint(provider.address, url.error)
  },
  render(notification) {
    const request = otelRequest(notification)
    return 'skip' in request ? request : { requests: [request] }
  },
  /**
   * No IO: with a proxy and both a username and a password, the controller puts them into the
   * proxy URL. Delivery connects with the provider this returns.
   */
  prepare(provider) {
    const password = otelPassword(provider)
    if (provider.proxy === '' || provider.username === '' || password === '') {
      return Promise.resolve(provider)
    }
    const proxy = withUserinfo(provider.proxy, goUserinfo(provider.username, password))
    return Promise.resolve({ ...provider, proxy })
  },
}
