/**
 * Whether an Alert matches an event, in the controller's order (reference §2.4): suspend, event
 * sources (kind/namespace, severity, name, matchLabels), inclusion list, exclusion list.
 */
import { objectKey } from '../events/model.js'
import type { FluxEvent, ObjectReference } from '../events/model.js'
import { isValidLabelSelector } from '../manifests/label-selector.js'
import type { Alert, CompiledPattern, EventSourceRef, FluxObject } from '../manifests/model.js'

export interface MatchResult {
  matched: boolean
  /** why, in a few words, for the decision table */
  reason: string
  /** a problem the controller would have reported as a Warning event on the Alert */
  warning?: string
}

/**
 * How far a source got before it rejected the event; the furthest one explains a non-match best.
 */
const Stage = { KindNamespace: 0, Severity: 1, Name: 2, Labels: 3 } as const
type Stage = (typeof Stage)[keyof typeof Stage]

interface SourceResult {
  matched: boolean
  stage: Stage
  reason: string
  warning?: string
}

/**
 * `objects` holds the Flux objects found in the manifests, keyed `Kind/namespace/name`: they stand
 * in for the API server the controller asks for the involved object's labels.
 */
export function eventMatchesAlert(
  event: FluxEvent,
  alert: Alert,
  objects: ReadonlyMap<string, FluxObject>,
): MatchResult {
  if (alert.spec.suspend) return { matched: false, reason: 'alert suspended' }

  // Any source may match; like the controller we stop at the first one that does. A warning from
  // a source tried before it still stands (the controller has already emitted it by then).
  let best: SourceResult | undefined
  let warning: string | undefined
  let matchedSource: EventSourceRef | undefined
  for (const source of alert.spec.eventSources) {
    const result = eventMatchesSource(event, alert, source, objects)
    warning ??= result.warning
    if (result.matched) {
      matchedSource = source
      break
    }
    if (!best || result.stage > best.stage) best = result
  }
  if (!matchedSource) {
    return withWarning(
      { matched: false, reason: best?.reason ?? 'alert has no event sources' },
      warning,
    )
  }

  const message = event.message
  const spec = alert.spec
  if (!includedByInclusionList(spec, message)) {
    const reason =
      spec.inclusionList.length === 0
        ? 'not included by inclusionList (none of its patterns compiled)'
        : 'not included by inclusionList'
    return withWarning({ matched: false, reason }, warning)
  }
  const excludedBy = excludingPattern(spec, message)
  if (excludedBy) {
    const reason = `excluded by exclusionList pattern ${JSON.stringify(excludedBy.source)}`
    return withWarning({ matched: false, reason }, warning)
  }

  const namespace = matchedSource.namespace || alert.metadata.namespace
  const reason = `matches event source ${matchedSource.kind}/${namespace}/${matchedSource.name}`
  return withWarning({ matched: true, reason }, warning)
}

/** `info` receives every severity; any other value (even `''`) only its own. */
export function severityAccepted(alert: Alert, severity: string): boolean {
  const wanted = alert.spec.eventSeverity
  return severity === wanted || wanted === 'info'
}

/**
 * Whether the message passes the inclusion list. A manifest with an inclusion list whose patterns
 * all failed to compile includes nothing.
 */
export function includedByInclusionList(spec: Alert['spec'], message: string): boolean {
  if (!spec.hasInclusionList && spec.inclusionList.length === 0) return true
  for (const pattern of spec.inclusionList) if (pattern.regex.test(message)) return true
  return false
}

/** The first exclusion pattern that matches the message, if any. */
export function excludingPattern(
  spec: Alert['spec'],
  message: string,
): CompiledPattern | undefined {
  for (const pattern of spec.exclusionList) if (pattern.regex.test(message)) return pattern
  return undefined
}

/**
 * The part of `eventMatchesAlert`'s source loop that depends on the involved object only, for an
 * event whose severity the (not suspended) alert accepts: whether some source matches the object
 * (kind, namespace, name, matchLabels) and the first warning met on the way there. Every event of
 * the object gets the same answer, so routing works it out once per object and alert.
 */
export function alertSourcesMatchObject(
  ref: ObjectReference,
  alert: Alert,
  objects: ReadonlyMap<string, FluxObject>,
): { matched: boolean; warning?: string } {
  let warning: string | undefined
  for (const source of alert.spec.eventSources) {
    if (!sameKindNamespace(ref, alert, source)) continue
    const result = sourceMatchesObject(ref, source, objects)
    warning ??= result.warning
    if (result.matched)
      return warning === undefined ? { matched: true } : { matched: true, warning }
  }
  return warning === undefined ? { matched: false } : { matched: false, warning }
}

function eventMatchesSource(
  event: FluxEvent,
  alert: Alert,
  source: EventSourceRef,
  objects: ReadonlyMap<string, FluxObject>,
): SourceResult {
  if (!sameKindNamespace(event.involvedObject, alert, source)) {
    return { matched: false, stage: Stage.KindNamespace, reason: 'no event source matches' }
  }
  if (!severityAccepted(alert, event.severity)) {
    const wanted = alert.spec.eventSeverity
    const reason =
      wanted === 'error'
        ? `severity ${event.severity || '""'} below alert's error`
        : `severity ${event.severity || '""'} does not match alert's ${JSON.stringify(wanted)}`
    return { matched: false, stage: Stage.Severity, reason }
  }
  return sourceMatchesObject(event.involvedObject, source, objects)
}

/** An empty source namespace means the Alert's own; both comparisons are exact. */
function sameKindNamespace(ref: ObjectReference, alert: Alert, source: EventSourceRef): boolean {
  const namespace = source.namespace || alert.metadata.namespace
  return (ref.namespace ?? '') === namespace && (ref.kind ?? '') === source.kind
}

/** A source's name and matchLabels, checked against the object (kind and namespace matched). */
function sourceMatchesObject(
  ref: ObjectReference,
  source: EventSourceRef,
  objects: ReadonlyMap<string, FluxObject>,
): SourceResult {
  if (source.name !== '*' && source.name !== (ref.name ?? '')) {
    return {
      matched: false,
      stage: Stage.Name,
      reason: `no event source matches name ${JSON.stringify(ref.name ?? '')}`,
    }
  }

  // No selector at all matches; an empty `{}` still needs the object (the controller fetches it).
  const selector = source.matchLabels
  if (selector === undefined) return { matched: true, stage: Stage.Labels, reason: '' }

  const key = objectKey(ref)
  const object = objects.get(key)
  if (!object) {
    return {
      matched: false,
      stage: Stage.Labels,
      reason: `labels unknown: ${key} is not in the manifests`,
      warning: `error getting source object ${key}`,
    }
  }
  // Checked after the object is found, as the controller builds the selector only then. The
  // loader already reported the invalid entries at their lines (the controller's InvalidConfig).
  if (!isValidLabelSelector(selector)) {
    return {
      matched: false,
      stage: Stage.Labels,
      reason: 'invalid matchLabels (InvalidConfig): this event source matches no event',
    }
  }
  const labels = object.metadata.labels
  for (const [name, value] of Object.entries(selector)) {
    if (!Object.hasOwn(labels, name) || labels[name] !== value) {
      return { matched: false, stage: Stage.Labels, reason: 'labels do not match' }
    }
  }
  return { matched: true, stage: Stage.Labels, reason: '' }
}

function withWarning(result: MatchResult, warning: string | undefined): MatchResult {
  if (warning !== undefined) result.warning = warning
  return result
}
