/**
 * The zod schemas events are validated with at the boundary, one per input shape, and the Go
 * decoding rules that come before them for the Flux event itself.
 *
 * notification-controller decodes an event with Go's `encoding/json`: object keys match struct
 * fields case-insensitively (`Severity`, `INVOLVEDOBJECT` and `ſeverity` all fill `severity`),
 * unknown keys are dropped, `null` leaves a string or struct field empty, and a key repeated in
 * another spelling decodes into the same field again (structs and maps merge, anything else is
 * replaced). `decodeFluxEventFields` reproduces that, so the schema only has to check types.
 * Kubernetes objects (core/v1 and events.k8s.io/v1 Events) come from the API server with exact
 * keys and are validated as they are.
 */
import * as z from 'zod/mini'
import { lazy, lazyObject } from '../util/lazy.js'
import { useEnglishMessages } from '../util/zod-messages.js'

useEnglishMessages()

const EVENT_FIELDS = [
  'involvedObject',
  'severity',
  'timestamp',
  'message',
  'reason',
  'metadata',
  'reportingController',
  'reportingInstance',
] as const

const OBJECT_REFERENCE_FIELDS = [
  'kind',
  'namespace',
  'name',
  'uid',
  'apiVersion',
  'resourceVersion',
  'fieldPath',
] as const

/**
 * Go's key folding (`encoding/json` foldName): ASCII letters compare case-insensitively, and the
 * only non-ASCII runes that fold onto ASCII letters are U+017F (ſ ~ s) and U+212A (Kelvin ~ k).
 */
export function goFoldKey(key: string): string {
  let folded = ''
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c >= 0x61 && c <= 0x7a) folded += String.fromCharCode(c - 0x20)
    else if (c === 0x17f) folded += 'S'
    else if (c === 0x212a) folded += 'K'
    else folded += key[i]
  }
  return folded
}

function foldIndex(fields: readonly string[]): Map<string, string> {
  return new Map(fields.map((field) => [goFoldKey(field), field]))
}

const EVENT_FIELD_BY_FOLDED_KEY = foldIndex(EVENT_FIELDS)
const REFERENCE_FIELD_BY_FOLDED_KEY = foldIndex(OBJECT_REFERENCE_FIELDS)

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Whether a decoded JSON object has a key that Go would decode into the Flux event field. */
export function hasFluxEventField(raw: Record<string, unknown>, field: string): boolean {
  const folded = foldedField(field)
  for (const key of Object.keys(raw)) {
    // Folding maps each UTF-16 unit to one: keys of another length never fold to the field.
    if (key === field || (key.length === folded.length && goFoldKey(key) === folded)) return true
  }
  return false
}

/** Fields folded once: every event of a list is asked about the same few. */
const FOLDED_FIELDS = new Map<string, string>()

function foldedField(field: string): string {
  let folded = FOLDED_FIELDS.get(field)
  if (folded === undefined) {
    folded = goFoldKey(field)
    if (FOLDED_FIELDS.size < 64) FOLDED_FIELDS.set(field, folded)
  }
  return folded
}

/**
 * The Flux event fields as Go's decoder would fill them from `raw`: canonical key spellings,
 * unknown keys dropped, `null` handled as Go does (a zero `timestamp`, a nil `metadata`, other
 * fields untouched).
 */
export function decodeFluxEventFields(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(raw)) {
    const field = EVENT_FIELD_BY_FOLDED_KEY.get(goFoldKey(key))
    if (field === undefined) continue
    let value = raw[key]
    if (value === null) {
      // metav1.Time decodes null as the zero time; a map becomes nil; strings and structs stay.
      if (field === 'timestamp' || field === 'metadata') out[field] = null
      continue
    }
    if (field === 'involvedObject' && isPlainObject(value)) {
      value = decodeObjectReferenceFields(value)
      const previous = out[field]
      if (isPlainObject(previous)) value = { ...previous, ...(value as Record<string, unknown>) }
    } else if (field === 'metadata' && isPlainObject(value) && isPlainObject(out[field])) {
      value = { ...(out[field] as Record<string, unknown>), ...value }
    }
    out[field] = value
  }
  return out
}

function decodeObjectReferenceFields(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(raw)) {
    const field = REFERENCE_FIELD_BY_FOLDED_KEY.get(goFoldKey(key))
    if (field === undefined || raw[key] === null) continue
    out[field] = raw[key]
  }
  return out
}

/**
 * The schemas, built together on first use: a run whose events all take the fast path below (or
 * that has no events) never builds them.
 */
const eventSchemas = lazy(() => {
  const optionalString = z.nullish(z.string())

  /** `corev1.ObjectReference`; every field optional, as in Kubernetes. */
  const objectReference = z.object({
    kind: optionalString,
    namespace: optionalString,
    name: optionalString,
    uid: optionalString,
    apiVersion: optionalString,
    resourceVersion: optionalString,
    fieldPath: optionalString,
  })

  /** The Flux `eventv1.Event`, after `decodeFluxEventFields`. */
  const fluxEvent = z.object({
    involvedObject: z.optional(objectReference),
    severity: optionalString,
    timestamp: optionalString,
    message: optionalString,
    reason: optionalString,
    // Go decodes a JSON null inside a map[string]string as "".
    metadata: z.nullish(z.record(z.string(), z.nullable(z.string()))),
    reportingController: optionalString,
    reportingInstance: optionalString,
  })

  const annotatedMetadata = z.object({
    annotations: z.nullish(z.record(z.string(), z.string())),
  })

  /** A core/v1 `Event` as `kubectl get events -o json|yaml` prints it (only the fields we read). */
  const coreEvent = z.object({
    involvedObject: objectReference,
    type: optionalString,
    reason: optionalString,
    message: optionalString,
    metadata: z.nullish(annotatedMetadata),
    firstTimestamp: optionalString,
    lastTimestamp: optionalString,
    eventTime: optionalString,
    series: z.nullish(z.object({ lastObservedTime: optionalString })),
    reportingComponent: optionalString,
    source: z.nullish(z.object({ component: optionalString })),
  })

  /** An events.k8s.io/v1 `Event` (`kubectl get events.events.k8s.io -o json`). */
  const eventsV1Event = z.object({
    regarding: objectReference,
    type: optionalString,
    reason: optionalString,
    note: optionalString,
    metadata: z.nullish(annotatedMetadata),
    eventTime: optionalString,
    series: z.nullish(z.object({ lastObservedTime: optionalString })),
    deprecatedFirstTimestamp: optionalString,
    deprecatedLastTimestamp: optionalString,
    reportingController: optionalString,
    deprecatedSource: z.nullish(z.object({ component: optionalString })),
  })

  return { objectReference, fluxEvent, coreEvent, eventsV1Event }
})
type EventSchemas = ReturnType<typeof eventSchemas>

/** `corev1.ObjectReference`; every field optional, as in Kubernetes. */
export const objectReferenceSchema = lazyObject(() => eventSchemas().objectReference)

/** The Flux `eventv1.Event`, after `decodeFluxEventFields`. */
export const fluxEventSchema = lazyObject(() => eventSchemas().fluxEvent)
export type FluxEventInput = z.infer<EventSchemas['fluxEvent']>

/** A core/v1 `Event` as `kubectl get events -o json|yaml` prints it (only the fields we read). */
export const coreEventSchema = lazyObject(() => eventSchemas().coreEvent)
export type CoreEventInput = z.infer<EventSchemas['coreEvent']>

/** An events.k8s.io/v1 `Event` (`kubectl get events.events.k8s.io -o json`). */
export const eventsV1EventSchema = lazyObject(() => eventSchemas().eventsV1Event)
export type EventsV1EventInput = z.infer<EventSchemas['eventsV1Event']>

/*
 * Fast acceptance. `kubectl get events` output can hold a hundred thousand events, and running
 * each through zod costs about as much again as parsing the JSON. These checks accept only values
 * that the schemas above accept (every field read is a string or absent or null, every nested
 * object a plain object); anything else, valid or not, goes through zod, which also writes every
 * error message. A test holds the two to agreement.
 */

function isOptionalString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string'
}

function isObjectOfOptionalStrings(value: unknown, keys: readonly string[]): boolean {
  if (!isPlainObject(value)) return false
  for (const key of keys) if (!isOptionalString(value[key])) return false
  return true
}

function isOptionalObjectOfOptionalStrings(value: unknown, keys: readonly string[]): boolean {
  return value === undefined || value === null || isObjectOfOptionalStrings(value, keys)
}

function isOptionalStringRecord(value: unknown): boolean {
  if (value === undefined || value === null) return true
  if (!isPlainObject(value)) return false
  for (const key in value) if (typeof value[key] !== 'string') return false
  return true
}

function isOptionalAnnotatedMetadata(value: unknown): boolean {
  if (value === undefined || value === null) return true
  return isPlainObject(value) && isOptionalStringRecord(value.annotations)
}

const CORE_EVENT_STRINGS = [
  'type',
  'reason',
  'message',
  'firstTimestamp',
  'lastTimestamp',
  'eventTime',
  'reportingComponent',
] as const

/** True only if `coreEventSchema` accepts `raw` (false says nothing: ask zod). */
export function isSimpleCoreEvent(raw: Record<string, unknown>): raw is CoreEventInput {
  return (
    isObjectOfOptionalStrings(raw.involvedObject, OBJECT_REFERENCE_FIELDS) &&
    isObjectOfOptionalStrings(raw, CORE_EVENT_STRINGS) &&
    isOptionalAnnotatedMetadata(raw.metadata) &&
    isOptionalObjectOfOptionalStrings(raw.series, ['lastObservedTime']) &&
    isOptionalObjectOfOptionalStrings(raw.source, ['component'])
  )
}

const FLUX_EVENT_STRINGS = [
  'severity',
  'timestamp',
  'message',
  'reason',
  'reportingController',
  'reportingInstance',
] as const

/**
 * True only if `raw` already has the canonical key spellings (so Go's decoding would not change
 * it) and `fluxEventSchema` accepts it. Metadata values must be strings (not null) here.
 */
export function isSimpleFluxEvent(raw: Record<string, unknown>): raw is FluxEventInput {
  for (const key in raw) if (!CANONICAL_EVENT_FIELDS.has(key)) return false
  const ref = raw.involvedObject
  if (ref !== undefined) {
    if (!isPlainObject(ref)) return false
    for (const key in ref) {
      if (!CANONICAL_REFERENCE_FIELDS.has(key) || typeof ref[key] !== 'string') return false
    }
  }
  return isObjectOfOptionalStrings(raw, FLUX_EVENT_STRINGS) && isOptionalStringRecord(raw.metadata)
}

const CANONICAL_EVENT_FIELDS = new Set<string>(EVENT_FIELDS)
const CANONICAL_REFERENCE_FIELDS = new Set<string>(OBJECT_REFERENCE_FIELDS)

/** zod issues as one line: `severity: expected string, received number; …` (at most three). */
export function describeIssues(error: z.core.$ZodError): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const message = issue.message.replace(/^Invalid input: /, '')
    return issue.path.length > 0 ? `${formatPath(issue.path)}: ${message}` : message
  })
  if (error.issues.length > 3) parts.push(`and ${error.issues.length - 3} more`)
  return parts.join('; ')
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (typeof segment === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) {
      out += out === '' ? segment : `.${segment}`
    } else out += `[${JSON.stringify(String(segment))}]`
  }
  return out
}
