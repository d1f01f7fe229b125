/**
 * The one event model: Flux's `event.toolkit.fluxcd.io/v1beta1` Event, as notification-controller
 * receives it. Every input format is turned into this shape by a reader in `src/events/`; nothing
 * past the readers knows where an event came from (except `origin`, used only for messages).
 */

/** Kubernetes `corev1.ObjectReference`; JSON keys in Go declaration order. */
export interface ObjectReference {
  kind?: string
  namespace?: string
  name?: string
  uid?: string
  apiVersion?: string
  resourceVersion?: string
  fieldPath?: string
}

export interface FluxEvent {
  involvedObject: ObjectReference
  /** `info`, `error` or `trace`; not validated, exactly as the controller does not. */
  severity: string
  /**
   * RFC 3339 in UTC with whole seconds (`2022-09-30T06:40:29Z`), the way Go marshals a
   * `metav1.Time`; `null` when the source had none.
   */
  timestamp: string | null
  message: string
  reason: string
  /** Metadata with the keys as the controller sent them (prefixed, e.g. `kustomize.toolkit.fluxcd.io/revision`). */
  metadata?: Record<string, string>
  reportingController: string
  reportingInstance?: string
}

/** Where an event was read from, for error messages and the decision table. */
export interface EventOrigin {
  /** file path, URL, `GITHUB_EVENT_PATH`, `stdin`, … */
  source: string
  /** 0-based position of the event within its source */
  index: number
  /** 1-based line in the source, when known */
  line?: number
}

export interface SourcedEvent {
  event: FluxEvent
  origin: EventOrigin
  /** The event's time in milliseconds since the epoch (NaN when `timestamp` is null). */
  time: number
}

export const EVENT_GROUP = 'event.toolkit.fluxcd.io'

/** `source.toolkit.fluxcd.io/v1` → `source.toolkit.fluxcd.io`; `v1`, `` or garbage → ``. */
export function apiGroupOf(apiVersion: string | undefined): string {
  if (!apiVersion) return ''
  const slash = apiVersion.indexOf('/')
  if (slash < 0) return ''
  // Go's schema.ParseGroupVersion rejects more than one slash.
  if (apiVersion.indexOf('/', slash + 1) >= 0) return ''
  return apiVersion.slice(0, slash)
}

/** `Kind/namespace/name`, the way flux-notify names an object in messages and results. */
export function objectKey(ref: ObjectReference): string {
  return `${ref.kind ?? ''}/${ref.namespace ?? ''}/${ref.name ?? ''}`
}
