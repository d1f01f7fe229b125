/**
 * The routing stage: what the controller's event server does between receiving an event and
 * handing it to a notifier (reference §1.2, §2.4, §2.5, §3), as one pure function. It turns events
 * into decision rows and the deliveries that `src/delivery/` will send.
 */
import { EVENT_GROUP, objectKey } from '../events/model.js'
import type { FluxEvent, ObjectReference, SourcedEvent } from '../events/model.js'
import { namespacedKey } from '../manifests/model.js'
import type { Alert, Config, Provider } from '../manifests/model.js'
import { providerClass } from '../providers/registry.js'
import type { Notification, ProviderClass, ResolvedProvider } from '../providers/types.js'
import type { Decision } from '../results.js'
import {
  alertSourcesMatchObject,
  excludingPattern,
  includedByInclusionList,
  severityAccepted,
} from './match.js'
import {
  combineEventMetadata,
  combineKeptMetadata,
  groupKeysOf,
  keptMetadata,
  withKeptMetadata,
  withMetadata,
} from './metadata.js'
import type { GroupKeys, KeptMetadata } from './metadata.js'
import type { CompiledExpr } from '../cel/commit-status-expr.js'
import { eventJson } from '../providers/event-json.js'
import {
  FixedWindowLimiter,
  formatGoDuration,
  rateLimitKeyPrefix,
  rateLimitKeyText,
  sha256Hex,
} from './rate-limit.js'
import { defaultCommitStatusId } from './status-id.js'

export interface RoutingOptions {
  /** the controller's `--rate-limit-interval` (used when no limiter is passed in) */
  rateLimitIntervalMs: number
  /** the controller's `--no-cross-namespace-refs` */
  noCrossNamespaceRefs: boolean
  /**
   * Each Provider's `spec.commitStatusExpr`, compiled once by the pipeline (which loads CEL only
   * when some Provider has one), keyed by `namespace/name`; or the compile error.
   */
  commitStatusExprs?: ReadonlyMap<string, CompiledExpr | { error: string }>
}

export interface PlannedDelivery {
  /** the same object that is in plan.decisions; delivery fills outcome/reason later */
  decision: Decision
  notification: Notification
  /** commit-status providers only: the status id (context/name/key source) */
  commitStatusId?: string
  /** the event as read, before routing changed its metadata (the state store keys by it) */
  sourced?: SourcedEvent
}

export interface Plan {
  decisions: Decision[]
  deliveries: PlannedDelivery[]
  /** problems the controller would report as Warning events, each once */
  warnings: string[]
}

export type ProviderEntry = ResolvedProvider | { error: string }

const COMMIT_KEY = `${EVENT_GROUP}/commit`
const CHANGE_REQUEST_KEY = `${EVENT_GROUP}/change_request`

/**
 * Per event, in time order: `cleanupMetadata` → rate limit → `excludeInternalMetadata` → every
 * matching alert in config order → the controller's `getNotificationParams` gates → combined
 * metadata and, for commit-status providers, the status id.
 *
 * Every event gets at least one decision row: rate limited, no alert matches, or one row per
 * matching alert (gated, failed, or `dry-run`/`would send` until delivery decides).
 *
 * `limiter` carries duplicate-suppression windows across runs; without one, a fresh limiter with
 * `options.rateLimitIntervalMs` is used. It is updated in place.
 */
export function planNotifications(
  events: SourcedEvent[],
  config: Config,
  providers: Map<string, ProviderEntry>,
  options: RoutingOptions,
  limiter?: FixedWindowLimiter,
): Plan {
  const router = new Router(config, providers, options, limiter)
  const decisions: Decision[] = []
  const deliveries: PlannedDelivery[] = []
  for (const sourced of inRoutingOrder(events)) router.route(sourced, decisions, deliveries)
  return { decisions, deliveries, warnings: [...router.warnings] }
}

/**
 * `planNotifications` one event at a time, for a run that routes events as they are read: what
 * depends only on the configuration (each alert's provider) or on the involved object (the alerts
 * it can reach, its key, its part of the rate-limit key) is worked out once, and the rate limiter
 * and the warnings carry over from event to event.
 */
export class Router {
  /** problems the controller would report as Warning events, each once */
  readonly warnings = new Set<string>()
  private readonly routes: AlertRoute[]
  private readonly objectRoutes: ObjectRoutes
  private readonly rateLimitedReason: string
  private readonly limiter: FixedWindowLimiter
  /**
   * Whether the limiter's keys are the controller's (hex SHA-256 of the key text): a limiter
   * passed in may be snapshotted into a state file, or replay one. A limiter of the router's own
   * is seen by nothing else, so it is keyed by the text itself, which gives the same verdicts
   * (the hash only shortens the text) without hashing every event.
   */
  private readonly hashKeys: boolean

  constructor(
    config: Config,
    providers: Map<string, ProviderEntry>,
    private readonly options: RoutingOptions,
    limiter?: FixedWindowLimiter,
  ) {
    this.limiter = limiter ?? new FixedWindowLimiter(options.rateLimitIntervalMs)
    this.hashKeys = limiter !== undefined
    this.routes = config.alerts.map((alert) => alertRoute(alert, config, providers))
    this.objectRoutes = new ObjectRoutes(this.routes, config)
    this.rateLimitedReason = `rate limited: duplicate of an event within ${formatGoDuration(this.limiter.intervalMs)}`
  }

  /**
   * Routes one event: its rows go to `decisions`, what is to be sent to `deliveries`.
   *
   * The controller copies the event twice before matching (`cleanupMetadata`, then
   * `excludeInternalMetadata`); here the raw event is read through the keys those passes keep,
   * which gives the same values, and the kept metadata is listed once, when an alert matches.
   */
  route(sourced: SourcedEvent, decisions: Decision[], deliveries: PlannedDelivery[]): void {
    const { limiter, warnings } = this
    const event = sourced.event
    const ref = event.involvedObject
    const object = this.objectRoutes.for(ref)
    const keys = groupKeysOf(ref.apiVersion)
    const { origin } = sourced
    const source =
      origin.line !== undefined
        ? `${origin.source}:${origin.line}`
        : `${origin.source}#${origin.index}`

    // An event without a time is taken as arriving with the latest event seen so far.
    const now = Number.isFinite(sourced.time) ? sourced.time : (limiter.latestTimeMs ?? 0)
    const keyText = rateLimitKeyText(event, object.rateLimitPrefix, keys)
    if (!limiter.take(this.hashKeys ? sha256Hex(keyText) : keyText, now)) {
      decisions.push(eventOnlyDecision(event, object.key, source, this.rateLimitedReason))
      return
    }

    let routed: RoutedEvent | undefined
    let matchedAny = false
    const { severity, message } = event
    for (const candidate of object.candidates) {
      const alert = candidate.route.alert
      // Severity is the only per-event part of the source check: an alert that refuses it stops
      // before any source could warn.
      if (!severityAccepted(alert, severity)) continue
      if (candidate.warning !== undefined) warnings.add(candidate.warning)
      if (!candidate.matched) continue
      if (!includedByInclusionList(alert.spec, message)) continue
      if (excludingPattern(alert.spec, message) !== undefined) continue
      matchedAny = true
      routed ??= routedEvent(sourced, object, keys, source)
      decisions.push(notificationParams(routed, candidate, this.options, deliveries, warnings))
    }
    if (!matchedAny)
      decisions.push(eventOnlyDecision(event, object.key, source, 'no alert matches'))
  }
}

/** What routing needs to know about an alert's provider; it depends on the alert only. */
interface AlertRoute {
  alert: Alert
  alertKey: string
  /** `namespace/name`: the provider is always looked up in the Alert's namespace */
  providerKey: string
  /** the resolver's entry: the provider with its secret applied, or why that failed */
  entry: ProviderEntry | undefined
  /** the Provider manifest, for the gates that need only its spec */
  manifest: Provider | undefined
  providerKind: ProviderClass | undefined
  /** `spec.eventMetadata` as entries, in the order `Object.entries` gives them */
  eventMetadata: Array<[string, string]>
}

function alertRoute(
  alert: Alert,
  config: Config,
  providers: Map<string, ProviderEntry>,
): AlertRoute {
  const providerKey = namespacedKey(alert.metadata.namespace, alert.spec.providerRef.name)
  const entry = providers.get(providerKey)
  const manifest = entry && !('error' in entry) ? entry.provider : config.providers.get(providerKey)
  return {
    alert,
    alertKey: alertKeyOf(alert),
    providerKey,
    entry,
    manifest,
    providerKind: manifest ? providerClass(manifest.spec.type) : undefined,
    eventMetadata: Object.entries(alert.spec.eventMetadata),
  }
}

/** An event that passed the rate limiter and matched an alert: what the gates read, once. */
interface RoutedEvent {
  sourced: SourcedEvent
  event: FluxEvent
  /** `Kind/namespace/name` */
  objectKey: string
  /** the row's `source` */
  source: string
  /** the metadata after `cleanupMetadata` and `excludeInternalMetadata` */
  kept: KeptMetadata
  isStatusUpdate: boolean
  hasCommit: boolean
  hasChangeRequest: boolean
}

function routedEvent(
  sourced: SourcedEvent,
  object: ObjectRoute,
  keys: GroupKeys,
  source: string,
): RoutedEvent {
  const event = sourced.event
  // The gates read the cleaned-up metadata; these three keys are never dropped by it.
  const metadata = event.metadata
  return {
    sourced,
    event,
    objectKey: object.key,
    source,
    kept: keptMetadata(event, keys),
    isStatusUpdate:
      metadata !== undefined &&
      Object.hasOwn(metadata, keys.commitStatusKey) &&
      metadata[keys.commitStatusKey] === 'update',
    hasCommit:
      metadata !== undefined && Object.hasOwn(metadata, COMMIT_KEY) && !!metadata[COMMIT_KEY],
    hasChangeRequest:
      metadata !== undefined &&
      Object.hasOwn(metadata, CHANGE_REQUEST_KEY) &&
      !!metadata[CHANGE_REQUEST_KEY],
  }
}

/** The metadata a provider sees (`combineEventMetadata`), and its conflict warning if any. */
function combinedEvent(routed: RoutedEvent, route: AlertRoute, warnings: Set<string>): FluxEvent {
  const { alert } = route
  const metadata = combineKeptMetadata(routed.kept, route.eventMetadata, alert.spec.summary)
  if (metadata !== undefined) return withMetadata(routed.event, metadata)
  // A key written twice: rare, so the full pass names the conflicts.
  const combined = combineEventMetadata(withKeptMetadata(routed.event, routed.kept), alert)
  if (combined.warning !== undefined) {
    warnings.add(`Alert/${route.alertKey}, event from ${routed.objectKey}: ${combined.warning}`)
  }
  return combined.event
}

/** An alert's decision row for a routed event, with its outcome. */
function alertDecision(
  routed: RoutedEvent,
  route: AlertRoute,
  outcome: Decision['outcome'],
  reason: string,
): Decision {
  const { event } = routed
  // Written out rather than spread: this runs once per event × alert and spreads are slow. The
  // keys are in the order of the `results` output, which then encodes the row as it is.
  return route.manifest
    ? {
        event: routed.objectKey,
        eventReason: event.reason,
        severity: event.severity,
        timestamp: event.timestamp,
        source: routed.source,
        alert: route.alertKey,
        provider: route.providerKey,
        type: route.manifest.spec.type,
        outcome,
        reason,
      }
    : {
        event: routed.objectKey,
        eventReason: event.reason,
        severity: event.severity,
        timestamp: event.timestamp,
        source: routed.source,
        alert: route.alertKey,
        provider: route.providerKey,
        outcome,
        reason,
      }
}

/**
 * The controller's `getNotificationParams`, steps 1–10, for one event and one matching alert.
 * Returns the decision row; a notification that survives every step is added to `deliveries`.
 */
function notificationParams(
  routed: RoutedEvent,
  candidate: Candidate,
  options: RoutingOptions,
  deliveries: PlannedDelivery[],
  warnings: Set<string>,
): Decision {
  const { event } = routed
  const route = candidate.route
  const { alert, alertKey, providerKey, entry, manifest, providerKind } = route

  // 1. Cross-namespace sources: matched, but refused here.
  if (
    options.noCrossNamespaceRefs &&
    (event.involvedObject.namespace ?? '') !== alert.metadata.namespace
  ) {
    return alertDecision(
      routed,
      route,
      'failed',
      `discarding event, access denied to cross-namespace sources: alert '${alertKey}' can't process event from '${routed.objectKey}', cross-namespace references have been blocked`,
    )
  }

  // 2. The provider.
  if (!manifest) {
    if (entry && 'error' in entry) return alertDecision(routed, route, 'failed', entry.error)
    return alertDecision(
      routed,
      route,
      'failed',
      `failed to read provider: Provider/${providerKey} not found`,
    )
  }

  // 3. Suspended: skipped silently by the controller.
  if (manifest.spec.suspend) return alertDecision(routed, route, 'skipped', 'provider suspended')

  // 4–6. Gating on the raw (still prefixed) metadata.
  const type = manifest.spec.type
  if (providerKind !== 'commit-status' && providerKind !== 'forwarder' && routed.isStatusUpdate) {
    return alertDecision(routed, route, 'skipped', statusUpdateReason(type))
  }
  if (
    providerKind === 'commit-status' &&
    !routed.hasCommit &&
    !routed.isStatusUpdate &&
    event.severity !== 'error'
  ) {
    return alertDecision(routed, route, 'skipped', NO_COMMIT_REASON)
  }
  if (providerKind === 'change-request' && !routed.hasChangeRequest) {
    return alertDecision(routed, route, 'skipped', NO_CHANGE_REQUEST_REASON)
  }

  // 7. Workload identity needs a feature gate that is off by default (and means nothing in CI).
  if (manifest.spec.serviceAccountName !== '') {
    return alertDecision(
      routed,
      route,
      'failed',
      'to use spec.serviceAccountName for provider authentication please enable the ObjectLevelWorkloadIdentity feature gate in the controller',
    )
  }

  // 8. Metadata as the provider will see it.
  const combined = combinedEvent(routed, route, warnings)

  // 9. A custom commit status id. The controller evaluates it before it builds the notifier, so
  // its errors come before the notifier's.
  let customStatusId: string | undefined
  if (providerKind === 'commit-status' && manifest.spec.commitStatusExpr !== '') {
    const id = evaluateCommitStatusExpr(
      options.commitStatusExprs?.get(providerKey),
      combined,
      alert,
      manifest,
    )
    if (typeof id !== 'string') return alertDecision(routed, route, 'failed', id.error)
    customStatusId = id
  }

  // 10. The notifier's setup: the secret-dependent part was done by the resolver.
  if (!entry) {
    return alertDecision(
      routed,
      route,
      'failed',
      `failed to initialize notifier for provider '${manifest.metadata.name}': provider was not resolved`,
    )
  }
  if ('error' in entry) return alertDecision(routed, route, 'failed', entry.error)
  if (providerKind === undefined) {
    return alertDecision(routed, route, 'failed', `provider ${type} not supported`)
  }

  const decision = alertDecision(routed, route, 'dry-run', 'would send')
  const delivery: PlannedDelivery = {
    decision,
    notification: { event: combined, alert, provider: entry },
    sourced: routed.sourced,
  }
  // 9. The commit status id. Every commit-status constructor refuses an empty one.
  if (providerKind === 'commit-status') {
    // the default id depends on the object's kind and name and the provider: once per candidate
    const id = customStatusId ?? (candidate.statusId ??= defaultCommitStatusId(combined, entry.uid))
    if (id === '') {
      decision.outcome = 'failed'
      decision.reason = `failed to initialize notifier for provider '${manifest.metadata.name}': commit status cannot be empty`
      return decision
    }
    delivery.commitStatusId = id
  }
  deliveries.push(delivery)
  return decision
}

// Reasons built once: every row is kept until the end of the run, and a template literal makes a
// new string each time it runs.
const NO_COMMIT_REASON = `no commit metadata: the event has no ${COMMIT_KEY} key, is not a commit status update and is not an error`
const NO_CHANGE_REQUEST_REASON = `no change request metadata: the event has no ${CHANGE_REQUEST_KEY} key`
const statusUpdateReasons = new Map<string, string>()

function statusUpdateReason(type: string): string {
  let reason = statusUpdateReasons.get(type)
  if (reason === undefined) {
    reason = `commit status update: only commit-status and generic providers receive it, not ${type}`
    statusUpdateReasons.set(type, reason)
  }
  return reason
}

const COMMIT_STATUS_EXPR_FAILED =
  'failed to create commit status: failed to evaluate the spec.commitStatusExpr CEL expression for the event: '

/**
 * The controller's `newCommitStatus`: the expression over the combined event and the Alert and
 * Provider objects, with its errors worded as the controller wraps them. A compile error, found
 * once at load, fails every event this provider gets, as the controller's per-event compile does.
 */
function evaluateCommitStatusExpr(
  compiled: CompiledExpr | { error: string } | undefined,
  event: FluxEvent,
  alert: Alert,
  provider: Provider,
): string | { error: string } {
  if (!compiled) {
    // The pipeline compiles every expression; a caller that did not is a bug, not a user error.
    return { error: `${COMMIT_STATUS_EXPR_FAILED}the expression was not compiled` }
  }
  if ('error' in compiled) {
    return { error: `${COMMIT_STATUS_EXPR_FAILED}failed to compile expression: ${compiled.error}` }
  }
  const result = compiled.evaluate({
    // exactly what the controller unstructures: the event as it marshals to JSON
    event: JSON.parse(eventJson(event)) as unknown,
    provider: provider.raw,
    alert: alert.raw,
  })
  return typeof result === 'string'
    ? result
    : { error: `${COMMIT_STATUS_EXPR_FAILED}${result.error}` }
}

/**
 * The order routing takes events in: by time (stable); events without a time keep their order,
 * at the end. The state store's replaying limiter relies on this very order.
 */
export function inRoutingOrder(events: readonly SourcedEvent[]): SourcedEvent[] {
  const timed = events.filter((e) => Number.isFinite(e.time))
  const untimed = events.filter((e) => !Number.isFinite(e.time))
  timed.sort((a, b) => a.time - b.time)
  return timed.concat(untimed)
}

/** A `skipped` row for an event that reached no alert. */
function eventOnlyDecision(
  event: FluxEvent,
  objectKey: string,
  source: string,
  reason: string,
): Decision {
  return {
    event: objectKey,
    eventReason: event.reason,
    severity: event.severity,
    timestamp: event.timestamp,
    source,
    outcome: 'skipped',
    reason,
  }
}

function alertKeyOf(alert: Alert): string {
  return namespacedKey(alert.metadata.namespace, alert.metadata.name)
}

/** What routing needs to know about one involved object, the same for all its events. */
interface ObjectRoute {
  /** `Kind/namespace/name` */
  key: string
  /** the object's part of the text the rate-limit key hashes */
  rateLimitPrefix: string
  /** the alerts that matter to its events, in config order */
  candidates: Candidate[]
}

/** An alert with a source for the object: its verdict for any event it lets through by severity. */
interface Candidate {
  route: AlertRoute
  /** whether some event source matches the object (kind, namespace, name, matchLabels) */
  matched: boolean
  /** the Warning met on the way (a `matchLabels` object missing from the manifests), as reported */
  warning: string | undefined
  /** the default commit status id, once a delivery needed it (object and provider fixed) */
  statusId?: string
}

/**
 * The `ObjectRoute` of each involved object, memoised by kind, namespace and name: objects are
 * few, events many. Kind and namespace are compared exactly and the name exactly or through `*`,
 * so only the alerts with a source for the object are candidates, and the source loop of
 * `eventMatchesAlert` (which depends on the object only, once severity passes) runs once per object
 * and alert. Suspended alerts, which match nothing, and candidates that can neither match nor warn
 * are left out.
 */
class ObjectRoutes {
  private readonly byKindNamespace = new Map<string, number[]>()
  /** kind → namespace → name → route: nested, so a lookup builds no string */
  private readonly byObject = new Map<string, Map<string, Map<string, ObjectRoute>>>()

  constructor(
    private readonly routes: readonly AlertRoute[],
    private readonly config: Config,
  ) {
    routes.forEach(({ alert }, position) => {
      if (alert.spec.suspend) return
      for (const source of alert.spec.eventSources) {
        const key = `${source.kind}\u0000${source.namespace || alert.metadata.namespace}`
        const list = this.byKindNamespace.get(key)
        if (!list) this.byKindNamespace.set(key, [position])
        else if (list[list.length - 1] !== position) list.push(position)
      }
    })
  }

  for(ref: ObjectReference): ObjectRoute {
    const kind = ref.kind ?? ''
    const namespace = ref.namespace ?? ''
    const name = ref.name ?? ''
    let byNamespace = this.byObject.get(kind)
    if (byNamespace === undefined) {
      byNamespace = new Map()
      this.byObject.set(kind, byNamespace)
    }
    let byName = byNamespace.get(namespace)
    if (byName === undefined) {
      byName = new Map()
      byNamespace.set(namespace, byName)
    }
    let route = byName.get(name)
    if (route === undefined) {
      route = this.objectRoute(ref, kind, namespace, name)
      byName.set(name, route)
    }
    return route
  }

  private objectRoute(
    ref: ObjectReference,
    kind: string,
    namespace: string,
    name: string,
  ): ObjectRoute {
    const candidates: Candidate[] = []
    for (const position of this.byKindNamespace.get(`${kind}\u0000${namespace}`) ?? []) {
      const route = this.routes[position]!
      const { alert } = route
      const hasSource = alert.spec.eventSources.some(
        (source) =>
          source.kind === kind &&
          (source.namespace || alert.metadata.namespace) === namespace &&
          (source.name === '*' || source.name === name),
      )
      if (!hasSource) continue
      const verdict = alertSourcesMatchObject(ref, alert, this.config.objects)
      const warning =
        verdict.warning === undefined
          ? undefined
          : `Alert/${route.alertKey}: ${verdict.warning}: no such object in the manifests (matchLabels needs its labels)`
      if (verdict.matched || warning !== undefined) {
        candidates.push({ route, matched: verdict.matched, warning })
      }
    }
    return { key: objectKey(ref), rateLimitPrefix: rateLimitKeyPrefix(ref), candidates }
  }
}
