/**
 * Each input shape → the one event model (`FluxEvent`) plus its time.
 *
 * - A Flux event (raw from a controller, or already processed by notification-controller and
 *   captured from a `generic` webhook or a `repository_dispatch` payload) is decoded as the
 *   controller decodes it.
 * - A core/v1 Kubernetes Event (`kubectl get events`) is turned back into the Flux event the
 *   controller received alongside it (event-data reference §1.5); events about non-Flux objects
 *   and Flux trace events (never sent to the controller) are ignored and counted.
 * - An events.k8s.io/v1 Event is the same object under other field names.
 */
import { apiGroupOf } from './model.js'
import type { FluxEvent, ObjectReference } from './model.js'
import { normaliseTimestamp } from './go-time.js'
import {
  coreEventSchema,
  decodeFluxEventFields,
  describeIssues,
  eventsV1EventSchema,
  fluxEventSchema,
  isSimpleCoreEvent,
  isSimpleFluxEvent,
  type CoreEventInput,
  type FluxEventInput,
} from './schema.js'
import { isKnownTraceEvent } from './trace.js'
import { setOwn } from '../util/own-property.js'

export interface IgnoredCounts {
  /** Kubernetes Events about objects outside the Flux API groups (Pods, Deployments, …) */
  nonFlux: number
  /** Flux trace events: recorded in Kubernetes only, never sent to the controller */
  trace: number
}

export type NormaliseResult =
  | {
      kind: 'event'
      event: FluxEvent
      /** milliseconds since the epoch, NaN when the event has no timestamp */
      time: number
      /** a Kubernetes-aggregated event ("(combined from similar events): …"): no metadata survived */
      aggregated?: boolean
    }
  | { kind: 'ignored'; why: keyof IgnoredCounts }
  | { kind: 'invalid'; message: string }

/** Prefix client-go puts on events it aggregated; the annotations of the originals are gone. */
const AGGREGATED_PREFIX = '(combined from similar events): '

/**
 * API groups whose objects Flux controllers report on: `*.toolkit.fluxcd.io`, plus
 * `source.extensions.fluxcd.io` (source-watcher's ArtifactGenerator, an Alert event source kind).
 */
export function isFluxApiGroup(group: string): boolean {
  return group.endsWith('.toolkit.fluxcd.io') || group.endsWith('.extensions.fluxcd.io')
}

/** A Flux `eventv1.Event` (controller → notification-controller, or a processed capture of one). */
export function normaliseFluxEvent(raw: Record<string, unknown>): NormaliseResult {
  let input: FluxEventInput
  if (isSimpleFluxEvent(raw)) {
    input = raw
  } else {
    const parsed = fluxEventSchema.safeParse(decodeFluxEventFields(raw))
    if (!parsed.success) return invalid(describeIssues(parsed.error))
    input = parsed.data
  }

  const involvedObject = objectReference(input.involvedObject ?? {})
  const missing = missingIdentity(involvedObject)
  if (missing) return invalid(missing)

  const timestamp = normaliseTimestamp(input.timestamp)
  // The controller fails to decode such an event and answers 400.
  if (!timestamp.ok) return invalid(`timestamp: ${timestamp.error}`)

  const metadata = input.metadata
    ? prefixBareMetadataKeys(input.metadata, involvedObject.apiVersion)
    : undefined

  return {
    kind: 'event',
    event: fluxEvent({
      involvedObject,
      severity: input.severity ?? '',
      timestamp: timestamp.timestamp,
      message: input.message ?? '',
      reason: input.reason ?? '',
      metadata,
      reportingController: input.reportingController ?? '',
      reportingInstance: input.reportingInstance ?? undefined,
    }),
    time: timestamp.time,
  }
}

/**
 * Metadata keys without any `/` are rewritten to `<involvedObject group>/<key>`.
 *
 * Why: controllers always send prefixed keys (`kustomize.toolkit.fluxcd.io/revision`), and
 * notification-controller strips the prefixes before it hands an event to a provider. What a
 * `generic` webhook or a `repository_dispatch` `client_payload` carries is that processed event,
 * with bare keys (`revision`, `commit_status`, `env`, …). Giving them the involved object's group
 * back makes a processed event travel through our pipeline like the controller's own metadata:
 * our clean-up keeps `<group>/…` keys (an empty group gives `/key`, the same prefix the controller's
 * clean-up uses for an object without a group) and the prefix stripping turns them back into the
 * bare keys the provider saw. A key that is also present with its prefix keeps the prefixed value.
 */
export function prefixBareMetadataKeys(
  metadata: Record<string, string | null>,
  apiVersion: string | undefined,
): Record<string, string> {
  const prefixed = prefixedKeys(apiVersion)
  const out: Record<string, string> = {}
  for (const key of Object.keys(metadata)) {
    // Go decodes a JSON null inside a map[string]string as "".
    const value = metadata[key] ?? ''
    if (key.includes('/')) {
      setOwn(out, key, value)
    } else {
      let full = prefixed.keys.get(key)
      if (full === undefined) {
        full = prefixed.prefix + key
        if (prefixed.keys.size < MAX_PREFIXED_KEYS) prefixed.keys.set(key, full)
      }
      if (!Object.prototype.hasOwnProperty.call(metadata, full)) setOwn(out, full, value)
    }
  }
  return out
}

/**
 * `<group>/<key>` for the bare keys of each apiVersion, built once: a stream of processed events
 * repeats the same few keys (`revision`, `commit_status`), and a property key that is the same
 * string each time is cheaper to look up and to set than a new one.
 */
const PREFIXED_KEYS = new Map<string | undefined, { prefix: string; keys: Map<string, string> }>()
const MAX_PREFIXED_KEYS = 256

function prefixedKeys(apiVersion: string | undefined): {
  prefix: string
  keys: Map<string, string>
} {
  let prefixed = PREFIXED_KEYS.get(apiVersion)
  if (prefixed === undefined) {
    prefixed = { prefix: `${apiGroupOf(apiVersion)}/`, keys: new Map() }
    if (PREFIXED_KEYS.size >= MAX_PREFIXED_KEYS) PREFIXED_KEYS.clear()
    PREFIXED_KEYS.set(apiVersion, prefixed)
  }
  return prefixed
}

/** A core/v1 Kubernetes Event, as `kubectl get events -o json|yaml` or `kubectl events` print it. */
export function normaliseCoreEvent(raw: Record<string, unknown>): NormaliseResult {
  let input: CoreEventInput
  if (isSimpleCoreEvent(raw)) {
    input = raw
  } else {
    const parsed = coreEventSchema.safeParse(raw)
    if (!parsed.success) return invalid(describeIssues(parsed.error))
    input = parsed.data
  }
  return fromKubernetesEvent({
    involvedObject: input.involvedObject,
    type: input.type,
    reason: input.reason,
    message: input.message,
    annotations: input.metadata?.annotations,
    timestamps: [
      input.lastTimestamp,
      input.series?.lastObservedTime,
      input.eventTime,
      input.firstTimestamp,
    ],
    reportingController: input.reportingComponent || input.source?.component,
  })
}

/** An events.k8s.io/v1 Event: the same object as core/v1 under the names of the newer API. */
export function normaliseEventsV1Event(raw: Record<string, unknown>): NormaliseResult {
  const parsed = eventsV1EventSchema.safeParse(raw)
  if (!parsed.success) return invalid(describeIssues(parsed.error))
  const input = parsed.data
  return fromKubernetesEvent({
    involvedObject: input.regarding,
    type: input.type,
    reason: input.reason,
    message: input.note,
    annotations: input.metadata?.annotations,
    timestamps: [
      input.deprecatedLastTimestamp,
      input.series?.lastObservedTime,
      input.eventTime,
      input.deprecatedFirstTimestamp,
    ],
    reportingController: input.reportingController || input.deprecatedSource?.component,
  })
}

interface KubernetesEventFields {
  involvedObject: Record<string, string | null | undefined>
  type: string | null | undefined
  reason: string | null | undefined
  message: string | null | undefined
  annotations: Record<string, string> | null | undefined
  /** in order of preference; the first non-empty one is the event's time */
  timestamps: (string | null | undefined)[]
  reportingController: string | null | undefined
}

function fromKubernetesEvent(fields: KubernetesEventFields): NormaliseResult {
  const involvedObject = objectReference(fields.involvedObject)
  const group = apiGroupOf(involvedObject.apiVersion)
  if (!isFluxApiGroup(group)) return { kind: 'ignored', why: 'nonFlux' }
  const missing = missingIdentity(involvedObject)
  if (missing) return invalid(missing)

  // The recorder maps Warning → error and everything else (Normal, and Trace written as Normal) → info.
  const severity = fields.type === 'Warning' ? 'error' : 'info'
  let message = fields.message ?? ''
  const aggregated = message.startsWith(AGGREGATED_PREFIX)
  // The controller received the original message; client-go added the prefix afterwards.
  if (aggregated) message = message.slice(AGGREGATED_PREFIX.length)
  const reason = fields.reason ?? ''
  if (severity === 'info' && isKnownTraceEvent(group, involvedObject.kind ?? '', reason, message)) {
    return { kind: 'ignored', why: 'trace' }
  }

  const chosen = fields.timestamps.find((t) => t !== undefined && t !== null && t !== '')
  const timestamp = normaliseTimestamp(chosen)
  if (!timestamp.ok) return invalid(`timestamp: ${timestamp.error}`)

  const result: NormaliseResult = {
    kind: 'event',
    event: fluxEvent({
      involvedObject,
      severity,
      timestamp: timestamp.timestamp,
      message,
      reason,
      // Annotations are the controller's metadata map as it was sent: keys stay as they are.
      // Copied (a spread keeps a `__proto__` key as data) so the event never aliases its input.
      metadata: fields.annotations ? { ...fields.annotations } : undefined,
      reportingController: fields.reportingController ?? '',
      // The pod name the controller sends is never recorded in the Kubernetes Event.
      reportingInstance: undefined,
    }),
    time: timestamp.time,
  }
  if (aggregated) result.aggregated = true
  return result
}

/** Builds the event with its keys in Go's field order, optional fields left out when empty. */
function fluxEvent(fields: {
  involvedObject: ObjectReference
  severity: string
  timestamp: string | null
  message: string
  reason: string
  metadata: Record<string, string> | undefined
  reportingController: string
  reportingInstance: string | undefined
}): FluxEvent {
  // Literals of fixed shapes (rather than spreads or deletes) keep this cheap for big inputs.
  const { involvedObject, timestamp } = fields
  const severity = wellFormed(fields.severity)
  const message = wellFormed(fields.message)
  const reason = wellFormed(fields.reason)
  const metadata = fields.metadata && wellFormedRecord(fields.metadata)
  const reportingController = wellFormed(fields.reportingController)
  const reportingInstance = fields.reportingInstance && wellFormed(fields.reportingInstance)
  let event: FluxEvent
  if (metadata !== undefined) {
    event = reportingInstance
      ? {
          involvedObject,
          severity,
          timestamp,
          message,
          reason,
          metadata,
          reportingController,
          reportingInstance,
        }
      : { involvedObject, severity, timestamp, message, reason, metadata, reportingController }
  } else {
    event = reportingInstance
      ? {
          involvedObject,
          severity,
          timestamp,
          message,
          reason,
          reportingController,
          reportingInstance,
        }
      : { involvedObject, severity, timestamp, message, reason, reportingController }
  }
  return event
}

/** An ObjectReference with Go's field order; empty fields left out (they are all omitempty). */
function objectReference(raw: Record<string, string | null | undefined>): ObjectReference {
  const ref: ObjectReference = {}
  if (raw.kind) ref.kind = wellFormed(raw.kind)
  if (raw.namespace) ref.namespace = wellFormed(raw.namespace)
  if (raw.name) ref.name = wellFormed(raw.name)
  if (raw.uid) ref.uid = wellFormed(raw.uid)
  if (raw.apiVersion) ref.apiVersion = wellFormed(raw.apiVersion)
  if (raw.resourceVersion) ref.resourceVersion = wellFormed(raw.resourceVersion)
  if (raw.fieldPath) ref.fieldPath = wellFormed(raw.fieldPath)
  return ref
}

/**
 * Go decodes a JSON `\ud800` escape that is not half of a pair (and any invalid UTF-8) as U+FFFD,
 * so the controller never holds a lone surrogate; JSON.parse and YAML keep it. Replacing it here
 * gives every provider the controller's text: the same bytes in JSON bodies, and no lone
 * surrogate reaching a host that would refuse it (an Octokit body, a commit status description).
 */
function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed()
}

function wellFormedRecord(record: Record<string, string>): Record<string, string> {
  let clean = true
  for (const key in record) {
    if (!key.isWellFormed() || !record[key]!.isWellFormed()) clean = false
  }
  if (clean) return record
  // Object.fromEntries defines own properties, so a key like `__proto__` stays data.
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [wellFormed(key), wellFormed(value)]),
  )
}

/**
 * Flux's recorder sends nothing for an object without kind, name or namespace, so such an event
 * can only be a mistake in the input; the controller itself would match it to no Alert.
 */
function missingIdentity(ref: ObjectReference): string | undefined {
  const missing = (['kind', 'name', 'namespace'] as const).filter((field) => !ref[field])
  if (missing.length === 0) return undefined
  return `involvedObject has no ${missing.join(', ')}`
}

function invalid(message: string): NormaliseResult {
  return { kind: 'invalid', message }
}
