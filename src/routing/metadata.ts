/**
 * The three metadata passes of the controller's event server (reference §1.2, §2.5 step 8):
 *
 * 1. `cleanupMetadata` when the event arrives: keep only the keys the controller trusts.
 * 2. `excludeInternalMetadata` after rate limiting: drop the object group's `token`.
 * 3. `combineEventMetadata` per alert: strip the prefixes and merge in the Alert's own metadata.
 *
 * All three return new objects and never mutate their input.
 */
import { EVENT_GROUP, apiGroupOf } from '../events/model.js'
import type { FluxEvent } from '../events/model.js'
import type { Alert } from '../manifests/model.js'
import { compareBytes } from '../util/go-json.js'

/** Where a combined metadata key came from, in the controller's words (RFC 0008). */
export const METADATA_SOURCE = {
  annotations: 'involved object annotations',
  alertEventMetadata: 'Alert object .spec.eventMetadata',
  alertSummary: 'Alert object .spec.summary',
  controller: 'involved object controller metadata',
} as const

/** The controller's k8s Warning event message (reason `MetadataAppendFailed`) for conflicts. */
export const METADATA_CONFLICT_MESSAGE =
  'metadata key conflicts detected (please refer to the Alert API docs and Flux RFC 0008 for more information)'

const EVENT_PREFIX = `${EVENT_GROUP}/`

/** The group of the involved object (`kustomize.toolkit.fluxcd.io`), or `''` for core/garbage. */
export function objectGroupOf(event: FluxEvent): string {
  return apiGroupOf(event.involvedObject.apiVersion)
}

/** A metadata value by exact key, ignoring anything inherited from `Object.prototype`. */
export function metadataValue(event: FluxEvent, key: string): string | undefined {
  const metadata = event.metadata
  return metadata && Object.hasOwn(metadata, key) ? metadata[key] : undefined
}

/**
 * Keeps only the keys prefixed `event.toolkit.fluxcd.io/` or `<objectGroup>/` (the prefix is just
 * `/` when the object has no group), minus `<objectGroup>/checksum` and `<objectGroup>/digest`
 * compared case-insensitively. The result always has a (possibly empty) metadata map.
 */
export function cleanupMetadata(event: FluxEvent): FluxEvent {
  const groupPrefix = `${objectGroupOf(event)}/`
  // Go's strings.EqualFold; lower-casing both sides is the same test for these keys.
  const checksumKey = `${groupPrefix}checksum`.toLowerCase()
  const digestKey = `${groupPrefix}digest`.toLowerCase()
  const kept: Record<string, string> = {}
  const metadata = event.metadata ?? {}
  for (const key in metadata) {
    if (!Object.hasOwn(metadata, key)) continue
    if (!key.startsWith(EVENT_PREFIX) && !key.startsWith(groupPrefix)) continue
    const folded = key.toLowerCase()
    if (folded === checksumKey || folded === digestKey) continue
    setKey(kept, key, metadata[key]!)
  }
  return withMetadata(event, kept)
}

/**
 * Drops `<objectGroup>/token`: it only exists to make the rate-limit key unique, so the controller
 * removes it once the key is computed and it never reaches a provider.
 */
export function excludeInternalMetadata(event: FluxEvent): FluxEvent {
  const tokenKey = `${objectGroupOf(event)}/token`
  const metadata = event.metadata
  if (!metadata || !Object.hasOwn(metadata, tokenKey)) return withMetadata(event, metadata)
  const rest: Record<string, string> = {}
  for (const [key, value] of Object.entries(metadata)) {
    if (key !== tokenKey) setKey(rest, key, value)
  }
  return withMetadata(event, rest)
}

export interface CombinedMetadata {
  /** the event with the combined metadata (or its metadata untouched when the result was empty) */
  event: FluxEvent
  /**
   * Keys written by more than one source, sorted by key, each with its sources in the order they
   * were written. Empty when there was no conflict.
   */
  conflicts: Array<{ key: string; sources: string[] }>
  /** the controller's conflict message with the keys and their sources; only with conflicts */
  warning?: string
}

/**
 * Builds the metadata a provider sees, in four passes where a later one overwrites an earlier one
 * (RFC 0008): `event.toolkit.fluxcd.io/` keys (object annotations) stripped of their prefix, the
 * Alert's `eventMetadata`, the Alert's `summary` as `summary`, then `<objectGroup>/` keys
 * (controller metadata) stripped of their prefix. Keys from any other group were already dropped
 * by `cleanupMetadata`. An empty result leaves the metadata as it was.
 */
export function combineEventMetadata(event: FluxEvent, alert: Alert): CombinedMetadata {
  const combined: Record<string, string> = {}
  // Conflicts are rare: remember only the last writer of each key, and build a key's full list of
  // sources when a second source writes it. (This runs once per delivery.)
  const lastSource: Record<string, string> = {}
  let conflicting: Map<string, string[]> | undefined
  let empty = true
  const put = (key: string, value: string, source: string): void => {
    if (Object.hasOwn(combined, key)) {
      conflicting ??= new Map()
      const written = conflicting.get(key)
      if (written) written.push(source)
      else conflicting.set(key, [lastSource[key]!, source])
    }
    setKey(combined, key, value)
    setKey(lastSource, key, source)
    empty = false
  }

  const raw = event.metadata ?? {}
  for (const key in raw) {
    if (Object.hasOwn(raw, key) && key.startsWith(EVENT_PREFIX)) {
      put(key.slice(EVENT_PREFIX.length), raw[key]!, METADATA_SOURCE.annotations)
    }
  }
  for (const [key, value] of Object.entries(alert.spec.eventMetadata)) {
    put(key, value, METADATA_SOURCE.alertEventMetadata)
  }
  if (alert.spec.summary !== '') put('summary', alert.spec.summary, METADATA_SOURCE.alertSummary)
  const groupPrefix = `${objectGroupOf(event)}/`
  for (const key in raw) {
    if (Object.hasOwn(raw, key) && key.startsWith(groupPrefix)) {
      put(key.slice(groupPrefix.length), raw[key]!, METADATA_SOURCE.controller)
    }
  }

  const conflicts = [...(conflicting ?? [])]
    .map(([key, written]) => ({ key, sources: written }))
    .sort((a, b) => compareBytes(a.key, b.key))

  const result: CombinedMetadata = {
    event: !empty
      ? withMetadata(event, combined)
      : withMetadata(event, event.metadata && { ...event.metadata }),
    conflicts,
  }
  if (conflicts.length > 0) {
    const details = conflicts.map((c) => `${c.key}: ${c.sources.join(', ')}`).join('; ')
    result.warning = `${METADATA_CONFLICT_MESSAGE}: ${details}`
  }
  return result
}

/**
 * A new event with `metadata` replaced (omitted when undefined). Written out rather than spread:
 * this runs for every event and every delivery, and V8's object spread is slow.
 */
function withMetadata(event: FluxEvent, metadata: Record<string, string> | undefined): FluxEvent {
  const copy: FluxEvent = {
    involvedObject: event.involvedObject,
    severity: event.severity,
    timestamp: event.timestamp,
    message: event.message,
    reason: event.reason,
    reportingController: event.reportingController,
  }
  if (metadata !== undefined) copy.metadata = metadata
  if (event.reportingInstance !== undefined) copy.reportingInstance = event.reportingInstance
  return copy
}

/** Sets an own property even for the key `__proto__`, which plain assignment would not. */
function setKey(record: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') {
    Object.defineProperty(record, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  } else {
    record[key] = value
  }
}
