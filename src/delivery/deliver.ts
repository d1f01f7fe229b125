/**
 * The delivery stage: sends what routing planned and writes the outcome into each decision row.
 *
 * - Deliveries are grouped by provider (`namespace/name`). One provider's deliveries go strictly in
 *   plan order, so a later status for a commit never lands before an earlier one; different
 *   providers run at the same time, a bounded number at once, and one failing never stops another.
 * - Every delivery gets a fresh timeout of the provider's `timeoutMs`, bounding the send and its
 *   retries, like the controller's per-send context.
 * - Commit-status providers read the host's statuses once per (repository, commit) per run
 *   (design §3) and compare each desired status with that list, kept up to date with what we wrote.
 * - Change-request (PR/MR comment) providers get one client per provider, made on first need, and
 *   upsert one comment per delivery, in order.
 * - A notifier's `prepare` (IO such as fetching a GitHub App token) runs once per provider, on the
 *   first delivery that is really sent; never in a dry run.
 * - A notifier with its own `send` (NATS, Pub/Sub) delivers through it instead of HTTP requests.
 * - Nothing here throws for a delivery problem: it becomes a `failed` row with the masked error.
 */
import { changeRequestTarget } from '../providers/git/change-request-comment.js'
import type {
  ChangeRequestClient,
  ChangeRequestModule,
  CommentOutcome,
  CommitStatusClient,
  CommitStatusModule,
  CurrentStatus,
} from '../providers/types.js'
import type { NotifierModule, ProviderModule, ResolvedProvider } from '../providers/types.js'
import { loadProvider } from '../providers/registry.js'
import type { Plan, PlannedDelivery } from '../routing/plan.js'
import type { Sleep } from './http.js'
import { sendRequest } from './http.js'
import { maskSecrets, redactUrlCredentials } from './mask.js'

export interface DeliveryOptions {
  /** decide and render everything, send nothing (no client creation, no reads) */
  dryRun: boolean
  /** providers delivered to at the same time; default 8 */
  concurrency?: number
  /** where provider modules come from; default the registry's `loadProvider` */
  loadModule?: (type: string) => Promise<ProviderModule>
  /** waits between HTTP retries; injectable for tests */
  sleep?: Sleep
  /**
   * Called right after a delivery ends `sent` or `unchanged`, so the state store can record it as
   * it goes (a run killed later keeps that record). It must not throw.
   */
  onDelivered?(delivery: PlannedDelivery): void
}

export const DEFAULT_CONCURRENCY = 8

/** The error text of anything thrown, as one line. */
function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.replace(/\s*\n\s*/gu, ' ')
}

/** Deliveries grouped by provider key, groups in order of first appearance. */
function groupByProvider(deliveries: readonly PlannedDelivery[]): PlannedDelivery[][] {
  const groups = new Map<string, PlannedDelivery[]>()
  for (const delivery of deliveries) {
    const key = delivery.notification.provider.key
    let group = groups.get(key)
    if (!group) {
      group = []
      groups.set(key, group)
    }
    group.push(delivery)
  }
  return [...groups.values()]
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!
      await work(item)
    }
  }
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker)
  await Promise.all(workers)
}

/** Tells `onDelivered` about a delivery that ended `sent` or `unchanged`. */
function reportDelivered(delivery: PlannedDelivery, options: DeliveryOptions): void {
  const { outcome } = delivery.decision
  if (outcome === 'sent' || outcome === 'unchanged') options.onDelivered?.(delivery)
}

function fail(delivery: PlannedDelivery, provider: ResolvedProvider, error: unknown): void {
  delivery.decision.outcome = 'failed'
  delivery.decision.reason = maskSecrets(errorText(error), provider.secretValues)
}

export async function deliver(plan: Plan, options: DeliveryOptions): Promise<void> {
  const loadModule = options.loadModule ?? loadProvider
  const groups = groupByProvider(plan.deliveries)
  await forEachConcurrently(groups, options.concurrency ?? DEFAULT_CONCURRENCY, async (group) => {
    const provider = group[0]!.notification.provider
    let module: ProviderModule
    try {
      module = await loadModule(provider.type)
    } catch (error) {
      for (const delivery of group) fail(delivery, provider, error)
      return
    }
    if (module.class === 'commit-status') {
      await deliverCommitStatuses(group, provider, module, options)
    } else if (module.class === 'change-request') {
      await deliverComments(group, provider, module, options)
    } else {
      await deliverNotifications(group, provider, module, options)
    }
  })
}

async function deliverNotifications(
  group: readonly PlannedDelivery[],
  provider: ResolvedProvider,
  module: NotifierModule,
  options: DeliveryOptions,
): Promise<void> {
  // The module's one-off IO (a GitHub App token), done on first need and shared by the group;
  // a failure fails every delivery that needs it, like a commit-status client that cannot be made.
  let prepared: Promise<ResolvedProvider> | undefined
  const prepare = (signal: AbortSignal) =>
    (prepared ??= Promise.resolve().then(() =>
      module.prepare ? module.prepare(provider, signal) : provider,
    ))
  // errors are masked with what the prepared provider carries (its token), once there is one
  let masking = provider
  for (const delivery of group) {
    // anything thrown, even by a module's bug, fails this delivery only
    try {
      await deliverNotification(delivery, provider, module, options, async (signal) => {
        masking = await prepare(signal)
        return masking
      })
    } catch (error) {
      fail(delivery, masking, error)
    }
    reportDelivered(delivery, options)
  }
}

async function deliverNotification(
  delivery: PlannedDelivery,
  provider: ResolvedProvider,
  module: NotifierModule,
  options: DeliveryOptions,
  prepare: (signal: AbortSignal) => Promise<ResolvedProvider>,
): Promise<void> {
  const { decision } = delivery
  if (options.dryRun) {
    // no IO in a dry run: rendered with the provider as configured
    const rendered = module.render(delivery.notification)
    if ('skip' in rendered) {
      decision.outcome = 'skipped'
      decision.reason = rendered.skip
      return
    }
    const targets = rendered.requests.map((r) => `${r.method} ${redactUrlCredentials(r.url)}`)
    const intent = module.send
      ? `would publish to ${provider.channel}`
      : `would send ${targets.join(', ')}`
    decision.outcome = 'dry-run'
    // the address itself may be a secret (a Slack webhook URL), hence the masking
    decision.reason = maskSecrets(intent, provider.secretValues)
    return
  }
  const signal = AbortSignal.timeout(provider.timeoutMs)
  const ready = module.prepare ? await prepare(signal) : provider
  const notification =
    ready === provider ? delivery.notification : { ...delivery.notification, provider: ready }
  const rendered = module.render(notification)
  if ('skip' in rendered) {
    decision.outcome = 'skipped'
    decision.reason = rendered.skip
    return
  }
  if (module.send) {
    // a transport of its own (NATS, Pub/Sub): the module sends, bounded by the same timeout
    await module.send(notification, signal)
    decision.outcome = 'sent'
    decision.reason = 'sent'
    return
  }
  const { requests } = rendered
  for (const request of requests) {
    // the provider's proxy and TLS settings, as far as its type's client supports them
    await sendRequest(request, { signal, sleep: options.sleep, connection: ready })
  }
  decision.outcome = 'sent'
  decision.reason = requests.length === 1 ? 'sent' : `sent (${requests.length} requests)`
}

/** The state kept for one commit-status provider during a run. */
interface CommitStatusSession {
  provider: ResolvedProvider
  module: CommitStatusModule
  /** one client per provider, made on first need; a creation error fails all that need it */
  client: () => Promise<CommitStatusClient>
  /** what the host shows per `repository\0sha`, newest first: read once, then what we wrote */
  known: Map<string, CurrentStatus[]>
}

async function deliverCommitStatuses(
  group: readonly PlannedDelivery[],
  provider: ResolvedProvider,
  module: CommitStatusModule,
  options: DeliveryOptions,
): Promise<void> {
  let client: Promise<CommitStatusClient> | undefined
  const session: CommitStatusSession = {
    provider,
    module,
    // through a promise so that a synchronous throw is cached like a rejection
    client: () => (client ??= Promise.resolve().then(() => module.createClient(provider))),
    known: new Map(),
  }
  for (const delivery of group) {
    try {
      await deliverCommitStatus(delivery, session, options)
    } catch (error) {
      fail(delivery, provider, error)
    }
    reportDelivered(delivery, options)
  }
}

async function deliverCommitStatus(
  delivery: PlannedDelivery,
  session: CommitStatusSession,
  options: DeliveryOptions,
): Promise<void> {
  const { decision } = delivery
  const { module, provider } = session
  const context = delivery.commitStatusId
  if (context === undefined) throw new Error('no commit status id was planned for this delivery')
  const desired = module.desiredStatus(delivery.notification, context)
  if ('skip' in desired) {
    decision.outcome = 'skipped'
    decision.reason = desired.skip
    return
  }
  decision.repository = desired.repository
  decision.sha = desired.sha
  decision.context = desired.context
  decision.state = desired.state
  decision.description = desired.description
  if (options.dryRun) {
    decision.outcome = 'dry-run'
    decision.reason = `would set ${desired.state} (not compared with the host in a dry run)`
    return
  }

  const signal = AbortSignal.timeout(provider.timeoutMs)
  const host = await session.client()
  const key = `${desired.repository}\0${desired.sha}`
  let current = session.known.get(key)
  if (!current) {
    // a failed read is not cached: the next event for this commit tries again
    current = await host.readStatuses(desired.repository, desired.sha, signal)
    session.known.set(key, current)
  }
  if (module.isUnchanged(desired, current)) {
    decision.outcome = 'unchanged'
    decision.reason = `already ${desired.state}: ${desired.description}`
    return
  }
  await host.writeStatus(desired, signal)
  // what a fresh read would now return: our status as the newest entry
  const written: CurrentStatus = {
    context: desired.context,
    state: desired.state,
    description: desired.description,
    name: desired.name,
    genre: desired.genre,
  }
  session.known.set(key, [written, ...current])
  decision.outcome = 'sent'
  decision.reason = 'sent'
}

/** What each comment outcome reads as in the decision table. */
const COMMENT_OUTCOMES: Record<CommentOutcome, { outcome: 'sent' | 'unchanged'; reason: string }> =
  {
    created: { outcome: 'sent', reason: 'comment created' },
    updated: { outcome: 'sent', reason: 'comment updated' },
    unchanged: { outcome: 'unchanged', reason: 'comment already up to date' },
  }

async function deliverComments(
  group: readonly PlannedDelivery[],
  provider: ResolvedProvider,
  module: ChangeRequestModule,
  options: DeliveryOptions,
): Promise<void> {
  let client: Promise<ChangeRequestClient> | undefined
  // through a promise so that a synchronous throw is cached like a rejection
  const clientOnce = () => (client ??= Promise.resolve().then(() => module.createClient(provider)))
  for (const delivery of group) {
    try {
      await deliverComment(delivery, clientOnce, options)
    } catch (error) {
      fail(delivery, provider, error)
    }
    reportDelivered(delivery, options)
  }
}

async function deliverComment(
  delivery: PlannedDelivery,
  client: () => Promise<ChangeRequestClient>,
  options: DeliveryOptions,
): Promise<void> {
  const { decision, notification } = delivery
  // the change request number is checked before any IO, so a dry run reports a bad one too
  const target = changeRequestTarget(notification)
  if ('error' in target) throw new Error(target.error)
  decision.repository = target.repository
  if (options.dryRun) {
    decision.outcome = 'dry-run'
    decision.reason = `would create or update the comment on ${target.repository}#${target.number}`
    return
  }
  const signal = AbortSignal.timeout(notification.provider.timeoutMs)
  const outcome = await (await client()).upsertComment(notification, signal)
  decision.outcome = COMMENT_OUTCOMES[outcome].outcome
  decision.reason = COMMENT_OUTCOMES[outcome].reason
}
