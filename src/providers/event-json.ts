/**
 * An event as notification-controller marshals `eventv1.Event` with `json.Marshal` (reference
 * §1.1): fields in Go declaration order, `involvedObject` sub-keys omitted when empty, `metadata`
 * a sorted map omitted when empty, `reportingInstance` omitted when empty, and the timestamp as it
 * was normalised (whole seconds, `Z`) or `null`. HTML characters are escaped, as Go does.
 *
 * Generic webhooks sign exactly these bytes (X-Signature), so they must match upstream's.
 */
import type { FluxEvent, ObjectReference } from '../events/model.js'
import { goJson, goMap } from '../util/go-json.js'

/** `corev1.ObjectReference` with every field `omitempty`. */
function objectReference(ref: ObjectReference): Record<string, string | undefined> {
  return {
    kind: ref.kind || undefined,
    namespace: ref.namespace || undefined,
    name: ref.name || undefined,
    uid: ref.uid || undefined,
    apiVersion: ref.apiVersion || undefined,
    resourceVersion: ref.resourceVersion || undefined,
    fieldPath: ref.fieldPath || undefined,
  }
}

/** The event as a Go-encodable value (struct order), for bodies that embed it. */
export function eventValue(event: FluxEvent): Record<string, unknown> {
  const metadata = event.metadata
  return {
    involvedObject: objectReference(event.involvedObject),
    severity: event.severity,
    timestamp: event.timestamp,
    message: event.message,
    reason: event.reason,
    metadata: metadata && Object.keys(metadata).length > 0 ? goMap(metadata) : undefined,
    reportingController: event.reportingController,
    reportingInstance: event.reportingInstance || undefined,
  }
}

export function eventJson(event: FluxEvent): string {
  return goJson(eventValue(event))
}
