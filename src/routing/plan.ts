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
import { eventMatchesAlert } from './match.js'
import {
  cleanupMetadata,
  combineEventMetadata,
  excludeInternalMetadata,
  metadataValue,
  objectGroupOf,
} from './metadata.js'
import type { CompiledExpr } from '../cel/commit-status-expr.js'
import { eventJson } from '../providers/event-json.js'
import { FixedWindowLimiter, formatGoDuration, rateLimitKey } from './rate-limit.js'
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
 * depends only on the configuration (each alert's provider, the alerts an object can reach) is
 * worked out once, and the rate limiter and the warnings carry over from event to event.
 */
export class Router {
  /** problems the controller would report as Warning events, each once */
  readonly warnings = new Set<string>()
  private readonly routes: AlertRoute[]
  private readonly candidateAlerts: CandidateAlerts
  private readonly rateLimitedReason: string

  constructor(
    private readonly config: Config,
    providers: Map<string, ProviderEntry>,
    private readonly options: RoutingOptions,
    private readonly limiter: FixedWindowLimiter = new FixedWindowLimiter(
      options.rateLimitIntervalMs,
    ),
  ) {
    this.routes = config.alerts.map((alert) => alertRoute(alert, config, providers))
    this.candidateAlerts = new CandidateAlerts(config.alerts)
    this.rateLimitedReason = `rate limited: duplicate of an event within ${formatGoDuration(limiter.intervalMs)}`
  }

  /** Routes one event: its rows go to `decisions`, what is to be sent to `deliveries`. */
  route(sourced: SourcedEvent, decisions: Decision[], deliveries: PlannedDelivery[]): void {
    const { limiter, warnings } = this
    const row = baseDecision(sourced)
    const cleaned = cleanupMetadata(sourced.event)

    // An event without a time is taken as arriving with the latest event seen so far.
    const now = Number.isFinite(sourced.time) ? sourced.time : (limiter.latestTimeMs ?? 0)
    if (!limiter.take(rateLimitKey(cleaned), now)) {
      decisions.push(eventOnlyDecision(row, this.rateLimitedReason))
      return
    }

    const event = excludeInternalMetadata(cleaned)
    let facts: EventFacts | undefined
    let matchedAny = false
    for (const index of this.candidateAlerts.for(event.involvedObject)) {
      const route = this.routes[index]!
      const match = eventMatchesAlert(event, route.alert, this.config.objects)
      if (match.warning !== undefined) {
        warnings.add(
          `Alert/${route.alertKey}: ${match.warning}: no such object in the manifests (matchLabels needs its labels)`,
        )
      }
      if (!match.matched) continue
      matchedAny = true
      facts ??= eventFacts(event, row, sourced)
      decisions.push(notificationParams(facts, route, this.options, deliveries, warnings))
    }
    if (!matchedAny) decisions.push(eventOnlyDecision(row, 'no alert matches'))
  }
}

type BaseDecision = Pick<Decision, 'event' | 'eventReason' | 'severity' | 'timestamp' | 'source'>

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
  }
}

/** What the gates read from an event's raw (still prefixed) metadata, computed once per event. */
interface EventFacts {
  event: FluxEvent
  sourced: SourcedEvent
  row: BaseDecision
  isStatusUpdate: boolean
  hasCommit: boolean
  hasChangeRequest: boolean
}

function eventFacts(event: FluxEvent, row: BaseDecision, sourced: SourcedEvent): EventFacts {
  return {
    event,
    sourced,
    row,
    isStatusUpdate: metadataValue(event, `${objectGroupOf(event)}/commit_status`) === 'update',
    hasCommit: !!metadataValue(event, COMMIT_KEY),
    hasChangeRequest: !!metadataValue(event, CHANGE_REQUEST_KEY),
  }
}

/**
 * The controller's `getNotificationParams`, steps 1–10, for one event and one matching alert.
 * Returns the decision row; a notification that survives every step is added to `deliveries`.
 */
function notificationParams(
  facts: EventFacts,
  route: AlertRoute,
  options: RoutingOptions,
  deliveries: PlannedDelivery[],
  warnings: Set<string>,
): Decision {
  const { event, row } = facts
  const { alert, alertKey, providerKey, entry, manifest, providerKind } = route
  // Written out rather than spread: this runs once per event × alert and spreads are slow. The
  // keys are in the order of the `results` output, which then encodes the row as it is.
  const decision: Decision = manifest
    ? {
        event: row.event,
        eventReason: row.eventReason,
        severity: row.severity,
        timestamp: row.timestamp,
        source: row.source,
        alert: alertKey,
        provider: providerKey,
        type: manifest.spec.type,
        outcome: 'skipped',
        reason: '',
      }
    : {
        event: row.event,
        eventReason: row.eventReason,
        severity: row.severity,
        timestamp: row.timestamp,
        source: row.source,
        alert: alertKey,
        provider: providerKey,
        outcome: 'skipped',
        reason: '',
      }
  const finish = (outcome: 'skipped' | 'failed', reason: string): Decision => {
    decision.outcome = outcome
    decision.reason = reason
    return decision
  }

  // 1. Cross-namespace sources: matched, but refused here.
  if (
    options.noCrossNamespaceRefs &&
    (event.involvedObject.namespace ?? '') !== alert.metadata.namespace
  ) {
    return finish(
      'failed',
      `discarding event, access denied to cross-namespace sources: alert '${alertKey}' can't process event from '${objectKey(event.involvedObject)}', cross-namespace references have been blocked`,
    )
  }

  // 2. The provider.
  if (!manifest) {
    if (entry && 'error' in entry) return finish('failed', entry.error)
    return finish('failed', `failed to read provider: Provider/${providerKey} not found`)
  }

  // 3. Suspended: skipped silently by the controller.
  if (manifest.spec.suspend) return finish('skipped', 'provider suspended')

  // 4–6. Gating on the raw (still prefixed) metadata.
  const type = manifest.spec.type
  if (providerKind !== 'commit-status' && providerKind !== 'forwarder' && facts.isStatusUpdate) {
    return finish('skipped', statusUpdateReason(type))
  }
  if (
    providerKind === 'commit-status' &&
    !facts.hasCommit &&
    !facts.isStatusUpdate &&
    event.severity !== 'error'
  ) {
    return finish('skipped', NO_COMMIT_REASON)
  }
  if (providerKind === 'change-request' && !facts.hasChangeRequest) {
    return finish('skipped', NO_CHANGE_REQUEST_REASON)
  }

  // 7. Workload identity needs a feature gate that is off by default (and means nothing in CI).
  if (manifest.spec.serviceAccountName !== '') {
    return finish(
      'failed',
      'to use spec.serviceAccountName for provider authentication please enable the ObjectLevelWorkloadIdentity feature gate in the controller',
    )
  }

  // 8. Metadata as the provider will see it.
  const combined = combineEventMetadata(event, alert)
  if (combined.warning !== undefined) {
    warnings.add(
      `Alert/${alertKey}, event from ${objectKey(event.involvedObject)}: ${combined.warning}`,
    )
  }

  // 9. A custom commit status id. The controller evaluates it before it builds the notifier, so
  // its errors come before the notifier's.
  let customStatusId: string | undefined
  if (providerKind === 'commit-status' && manifest.spec.commitStatusExpr !== '') {
    const id = evaluateCommitStatusExpr(
      options.commitStatusExprs?.get(providerKey),
      combined.event,
      alert,
      manifest,
    )
    if (typeof id !== 'string') return finish('failed', id.error)
    customStatusId = id
  }

  // 10. The notifier's setup: the secret-dependent part was done by the resolver.
  if (!entry) {
    return finish(
      'failed',
      `failed to initialize notifier for provider '${manifest.metadata.name}': provider was not resolved`,
    )
  }
  if ('error' in entry) return finish('failed', entry.error)
  if (providerKind === undefined) return finish('failed', `provider ${type} not supported`)

  decision.outcome = 'dry-run'
  decision.reason = 'would send'
  const delivery: PlannedDelivery = {
    decision,
    notification: { event: combined.event, alert, provider: entry },
    sourced: facts.sourced,
  }
  // 9. The commit status id. Every commit-status constructor refuses an empty one.
  if (providerKind === 'commit-status') {
    const id = customStatusId ?? defaultCommitStatusId(combined.event, entry.uid)
    if (id === '') {
      return finish(
        'failed',
        `failed to initialize notifier for provider '${manifest.metadata.name}': commit status cannot be empty`,
      )
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

function baseDecision(sourced: SourcedEvent): BaseDecision {
  const { event, origin } = sourced
  return {
    event: objectKey(event.involvedObject),
    eventReason: event.reason,
    severity: event.severity,
    timestamp: event.timestamp,
    source:
      origin.line !== undefined
        ? `${origin.source}:${origin.line}`
        : `${origin.source}#${origin.index}`,
  }
}

/** A `skipped` row for an event that reached no alert. */
function eventOnlyDecision(row: BaseDecision, reason: string): Decision {
  return {
    event: row.event,
    eventReason: row.eventReason,
    severity: row.severity,
    timestamp: row.timestamp,
    source: row.source,
    outcome: 'skipped',
    reason,
  }
}

function alertKeyOf(alert: Alert): string {
  return namespacedKey(alert.metadata.namespace, alert.metadata.name)
}

/**
 * Which alerts could match an event from a given object, in config order. Kind and namespace are
 * compared exactly and the name exactly or through `*`, so only alerts with a source for that
 * object need the full check of `eventMatchesAlert`; with hundreds of alerts and many events this
 * keeps matching cheap. Suspended alerts, which match nothing, are left out.
 */
class CandidateAlerts {
  private readonly byKindNamespace = new Map<string, number[]>()
  /** memoised per object (`Kind\0namespace\0name`): objects are few, events many */
  private readonly byObject = new Map<string, readonly number[]>()

  constructor(private readonly alerts: readonly Alert[]) {
    alerts.forEach((alert, position) => {
      if (alert.spec.suspend) return
      for (const source of alert.spec.eventSources) {
        const key = `${source.kind}\u0000${source.namespace || alert.metadata.namespace}`
        const list = this.byKindNamespace.get(key)
        if (!list) this.byKindNamespace.set(key, [position])
        else if (list[list.length - 1] !== position) list.push(position)
      }
    })
  }

  for(ref: ObjectReference): readonly number[] {
    const kind = ref.kind ?? ''
    const namespace = ref.namespace ?? ''
    const name = ref.name ?? ''
    const objectKey = `${kind}\u0000${namespace}\u0000${name}`
    let candidates = this.byObject.get(objectKey)
    if (!candidates) {
      const sameKindNamespace = this.byKindNamespace.get(`${kind}\u0000${namespace}`) ?? []
      candidates = sameKindNamespace.filter((position) => {
        const alert = this.alerts[position]!
        return alert.spec.eventSources.some(
          (source) =>
            source.kind === kind &&
            (source.namespace || alert.metadata.namespace) === namespace &&
            (source.name === '*' || source.name === name),
        )
      })
      this.byObject.set(objectKey, candidates)
    }
    return candidates
  }
}
