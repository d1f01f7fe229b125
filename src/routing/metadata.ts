/**
 * The three metadata passes of the controller's event server (reference §1.2, §2.5 step 8):
 *
 * 1. `cleanupMetadata` when the event arrives: keep only the keys the controller trusts.
 * 2. `excludeInternalMetadata` after rate limiting: drop the object group's `token`.
 * 3. `combineEventMetadata` per alert: strip the prefixes and merge in the Alert's own metadata.
 *
 * All three return new objects and never mutate their input. Routing does passes 1 and 2 as one
 * (`keptMetadata`) and builds pass 3 from that (`combineKeptMetadata`): the same keys, values and
 * order, with fewer copies.
 */
import { EVENT_GROUP, apiGroupOf } from '../events/model.js'
import type { FluxEvent } from '../events/model.js'
import type { Alert } from '../manifests/model.js'
import { compareBytes } from '../util/go-json.js'
import { setOwn } from '../util/own-property.js'

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
 * The keys the metadata passes look for in an object group: the same for every event of an
 * `apiVersion`, so worked out once per apiVersion rather than once per event.
 */
export interface GroupKeys {
  /** `kustomize.toolkit.fluxcd.io`, or `''` */
  group: string
  /** `<group>/` (just `/` without a group) */
  prefix: string
  /** `<group>/checksum` and `<group>/digest` lower-cased: `cleanupMetadata` drops them */
  checksumKey: string
  digestKey: string
  /** `<group>/token`: `excludeInternalMetadata` drops it */
  tokenKey: string
  /** the keys the rate limit and the gates read */
  originRevisionKey: string
  revisionKey: string
  commitStatusKey: string
  /** what each raw metadata key is to the passes, memoised (events repeat a handful of keys) */
  roles: Map<string, KeyRole | null>
}

/** What one raw metadata key of a group is to the metadata passes. */
export interface KeyRole {
  /** the raw key */
  key: string
  /** `<group>/token`: kept by `cleanupMetadata`, dropped by `excludeInternalMetadata` */
  token: boolean
  /** the key without `event.toolkit.fluxcd.io/`, when it has that prefix (an annotation) */
  annotation: string | undefined
  /** the key without `<group>/`, when it has that prefix (controller metadata) */
  controller: string | undefined
}

// Both memos are bounded: apiVersions and metadata keys are few in practice, but an input made of
// ever-new ones must not grow them without end. Clearing loses nothing but the memo.
const MAX_GROUPS = 64
const MAX_ROLES_PER_GROUP = 1024
const groupKeysByApiVersion = new Map<string, GroupKeys>()

/** The `GroupKeys` of an involved object's `apiVersion`. */
export function groupKeysOf(apiVersion: string | undefined): GroupKeys {
  const version = apiVersion ?? ''
  let keys = groupKeysByApiVersion.get(version)
  if (keys === undefined) {
    const group = apiGroupOf(version)
    const prefix = `${group}/`
    keys = {
      group,
      prefix,
      // Go's strings.EqualFold; lower-casing both sides is the same test for these keys.
      checksumKey: `${prefix}checksum`.toLowerCase(),
      digestKey: `${prefix}digest`.toLowerCase(),
      tokenKey: `${prefix}token`,
      originRevisionKey: `${prefix}originRevision`,
      revisionKey: `${prefix}revision`,
      commitStatusKey: `${prefix}commit_status`,
      roles: new Map(),
    }
    if (groupKeysByApiVersion.size >= MAX_GROUPS) groupKeysByApiVersion.clear()
    groupKeysByApiVersion.set(version, keys)
  }
  return keys
}

/**
 * The role of a raw metadata key, or null when `cleanupMetadata` drops it: neither prefixed
 * `event.toolkit.fluxcd.io/` nor `<group>/`, or `<group>/checksum`/`<group>/digest` in any case.
 */
export function keyRole(keys: GroupKeys, key: string): KeyRole | null {
  let role = keys.roles.get(key)
  if (role === undefined) {
    const annotation = key.startsWith(EVENT_PREFIX)
    const controller = key.startsWith(keys.prefix)
    let folded: string
    role =
      (!annotation && !controller) ||
      (folded = key.toLowerCase()) === keys.checksumKey ||
      folded === keys.digestKey
        ? null
        : {
            key,
            token: key === keys.tokenKey,
            annotation: annotation ? key.slice(EVENT_PREFIX.length) : undefined,
            controller: controller ? key.slice(keys.prefix.length) : undefined,
          }
    if (keys.roles.size >= MAX_ROLES_PER_GROUP) keys.roles.clear()
    keys.roles.set(key, role)
  }
  return role
}

/**
 * Keeps only the keys prefixed `event.toolkit.fluxcd.io/` or `<objectGroup>/` (the prefix is just
 * `/` when the object has no group), minus `<objectGroup>/checksum` and `<objectGroup>/digest`
 * compared case-insensitively. The result always has a (possibly empty) metadata map.
 */
export function cleanupMetadata(event: FluxEvent): FluxEvent {
  const keys = groupKeysOf(event.involvedObject.apiVersion)
  const kept: Record<string, string> = {}
  const metadata = event.metadata ?? {}
  for (const key in metadata) {
    if (!Object.hasOwn(metadata, key) || keyRole(keys, key) === null) continue
    setOwn(kept, key, metadata[key]!)
  }
  return withMetadata(event, kept)
}

/**
 * Drops `<objectGroup>/token`: it only exists to make the rate-limit key unique, so the controller
 * removes it once the key is computed and it never reaches a provider.
 */
export function excludeInternalMetadata(event: FluxEvent): FluxEvent {
  const tokenKey = groupKeysOf(event.involvedObject.apiVersion).tokenKey
  const metadata = event.metadata
  if (!metadata || !Object.hasOwn(metadata, tokenKey)) return withMetadata(event, metadata)
  const rest: Record<string, string> = {}
  for (const [key, value] of Object.entries(metadata)) {
    if (key !== tokenKey) setOwn(rest, key, value)
  }
  return withMetadata(event, rest)
}

/**
 * `excludeInternalMetadata(cleanupMetadata(event))`'s metadata as parallel lists of the kept keys'
 * roles and values, in the same order: what routing reads of an event that passed the rate
 * limiter, without copying the event twice.
 */
export interface KeptMetadata {
  roles: KeyRole[]
  values: string[]
}

export function keptMetadata(event: FluxEvent, keys: GroupKeys): KeptMetadata {
  const kept: KeptMetadata = { roles: [], values: [] }
  const metadata = event.metadata
  if (metadata === undefined) return kept
  for (const key in metadata) {
    if (!Object.hasOwn(metadata, key)) continue
    const role = keyRole(keys, key)
    if (role === null || role.token) continue
    kept.roles.push(role)
    kept.values.push(metadata[key]!)
  }
  return kept
}

/** The event `excludeInternalMetadata(cleanupMetadata(event))` returns, from its `keptMetadata`. */
export function withKeptMetadata(event: FluxEvent, kept: KeptMetadata): FluxEvent {
  const metadata: Record<string, string> = {}
  for (let i = 0; i < kept.roles.length; i++) setOwn(metadata, kept.roles[i]!.key, kept.values[i]!)
  return withMetadata(event, metadata)
}

/**
 * `combineEventMetadata(withKeptMetadata(event, kept), alert)`'s metadata when no key is written
 * twice, or undefined when one is (the caller then asks `combineEventMetadata` for the conflicts
 * and their warning). `alertMetadata` is the Alert's `eventMetadata` as entries. This runs once
 * per delivery: no closure, no bookkeeping of who wrote what.
 */
export function combineKeptMetadata(
  kept: KeptMetadata,
  alertMetadata: ReadonlyArray<readonly [string, string]>,
  summary: string,
): Record<string, string> | undefined {
  const combined: Record<string, string> = {}
  const { roles, values } = kept
  for (let i = 0; i < roles.length; i++) {
    const key = roles[i]!.annotation
    if (key === undefined) continue
    if (Object.hasOwn(combined, key)) return undefined
    setOwn(combined, key, values[i]!)
  }
  for (const [key, value] of alertMetadata) {
    if (Object.hasOwn(combined, key)) return undefined
    setOwn(combined, key, value)
  }
  if (summary !== '') {
    if (Object.hasOwn(combined, 'summary')) return undefined
    combined['summary'] = summary
  }
  for (let i = 0; i < roles.length; i++) {
    const key = roles[i]!.controller
    if (key === undefined) continue
    if (Object.hasOwn(combined, key)) return undefined
    setOwn(combined, key, values[i]!)
  }
  return combined
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
    setOwn(combined, key, value)
    setOwn(lastSource, key, source)
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
export function withMetadata(
  event: FluxEvent,
  metadata: Record<string, string> | undefined,
): FluxEvent {
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
