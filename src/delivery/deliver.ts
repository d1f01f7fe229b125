/**
 * The delivery stage: sends what routing planned and writes the outcome into each decision row.
 *
 * - Order is kept only where a host could observe it (`schedule.ts` lanes): statuses for the same
 *   (repository, commit, context), comments on the same pull request, and a provider's
 *   notifications about the same involved object go in plan order, each after the previous one
 *   has ended. Everything else runs at the same time, at most `concurrency` deliveries in flight
 *   across all providers. One failing delivery never stops another.
 * - Every delivery gets a fresh timeout of the provider's `timeoutMs` once it holds a slot,
 *   bounding the send and its retries, like the controller's per-send context. Time spent waiting
 *   for a slot does not count against it.
 * - Commit-status providers read the host's statuses once per (repository, commit) per run
 *   (design §3) and compare each desired status with that list, kept up to date with what we wrote.
 *   Deliveries for a commit whose read is under way wait for it without holding a slot.
 * - Change-request (PR/MR comment) providers get one client per provider, made on first need.
 * - A notifier's `prepare` (IO such as fetching a GitHub App token) runs once per provider, on the
 *   first delivery that is really sent; never in a dry run.
 * - A notifier with its own `send` (NATS, Pub/Sub) delivers through it instead of HTTP requests.
 * - A dry run renders everything and does no IO: no client, no read, no `prepare`.
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
  DesiredStatus,
} from '../providers/types.js'
import type {
  HttpRequestSpec,
  NotifierModule,
  ProviderModule,
  ResolvedProvider,
} from '../providers/types.js'
import { loadProvider } from '../providers/registry.js'
import type { Plan, PlannedDelivery } from '../routing/plan.js'
import type { Sleep } from './http.js'
import { SendError, sendRequest } from './http.js'
import { maskSecrets, redactUrlCredentials } from './mask.js'
import { createLanes, createSemaphore } from './schedule.js'
import type { Lanes, Semaphore } from './schedule.js'

export interface DeliveryOptions {
  /** decide and render everything, send nothing (no client creation, no reads) */
  dryRun: boolean
  /** deliveries in flight at the same time, across all providers; default 8 */
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

/** What one run of `deliver` shares between all deliveries. */
interface Run {
  options: DeliveryOptions
  /** the global limit on deliveries in flight */
  slots: Semaphore
  /** plan order where it is observable */
  lanes: Lanes
}

/** The state kept for one provider during a run. */
type Session =
  | NotifierSession
  | CommitStatusSession
  | ChangeRequestSession
  | { kind: 'unloadable'; provider: ResolvedProvider; loadError: unknown }

interface NotifierSession {
  kind: 'notifier'
  provider: ResolvedProvider
  module: NotifierModule
  /** the one `prepare` of the run, started by the first delivery that needs it */
  preparing?: Promise<ResolvedProvider>
  /** errors are masked with what the prepared provider carries (its token), once there is one */
  masking: ResolvedProvider
  /**
   * Dry run: the masked "would send …" reason per list of requests (method and URL as sent), so
   * that each is worded and masked once (most of a provider's rows name the same address).
   */
  dryRunReasons?: Map<string, string>
}

interface CommitStatusSession {
  kind: 'commit-status'
  provider: ResolvedProvider
  module: CommitStatusModule
  /** one client per provider, made on first need; a creation error fails all that need it */
  client: () => Promise<CommitStatusClient>
  /** what the host shows per `repository\0sha`, newest first: read once, then what we wrote */
  known: Map<string, CurrentStatus[]>
  /** reads under way per `repository\0sha`, so that no commit is read twice at the same time */
  reading: Map<string, Promise<CurrentStatus[]>>
}

interface ChangeRequestSession {
  kind: 'change-request'
  provider: ResolvedProvider
  module: ChangeRequestModule
  client: () => Promise<ChangeRequestClient>
}

/**
 * The IO left to do once a delivery's pure part (render, checks, dry run) is done: `send`, in
 * order with every earlier delivery of the same `lane`. Undefined when nothing is left to do.
 */
type Pending = { lane: string; send: () => Promise<void> } | undefined

/** The error text of anything thrown, as one line. */
function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.replace(/\s*\n\s*/gu, ' ')
}

/** Tells `onDelivered` about a delivery that ended `sent` or `unchanged`. */
function reportDelivered(delivery: PlannedDelivery, options: DeliveryOptions): void {
  const { outcome } = delivery.decision
  if (outcome === 'sent' || outcome === 'unchanged') options.onDelivered?.(delivery)
}

/** The layer the controller's `postMessage` adds for a failure at each stage (reference §5.1). */
const POST_MESSAGE_LAYERS = {
  request: 'failed to create a new request: ',
  execute: 'failed to execute request: ',
  response: 'request failed: ',
} as const

/**
 * A failed request's error text as the controller's notifier words it: the type's prefix, then
 * the shared client's layer when the type sends through `postMessage`, then the client's text,
 * e.g. `postMessage failed: request failed: request failed with status code 400: nope`.
 */
export function notifierErrorText(request: HttpRequestSpec, error: unknown): string {
  const layer =
    request.postMessage && error instanceof SendError && error.stage
      ? POST_MESSAGE_LAYERS[error.stage]
      : ''
  return `${request.errorPrefix ?? ''}${layer}${errorText(error)}`
}

function fail(delivery: PlannedDelivery, provider: ResolvedProvider, error: unknown): void {
  delivery.decision.outcome = 'failed'
  delivery.decision.reason = maskSecrets(errorText(error), provider.secretValues)
}

/** Settles when `promise` does, whichever way. */
function settled(promise: Promise<unknown>): Promise<void> {
  return promise.then(
    () => undefined,
    () => undefined,
  )
}

export async function deliver(plan: Plan, options: DeliveryOptions): Promise<void> {
  const deliverer = await openDeliverer(
    plan.deliveries.map((delivery) => delivery.notification.provider),
    options,
  )
  // Started one after the other in plan order, so each lane queues its deliveries in plan order.
  const started: Promise<void>[] = []
  for (const delivery of plan.deliveries) {
    const done = deliverer.start(delivery)
    if (done) started.push(done)
  }
  await Promise.all(started)
}

/** Delivery for a run that plans as it reads: one delivery at a time, in plan order. */
export interface Deliverer {
  /**
   * Does the delivery's pure part now and queues its IO. Returns a promise that settles (never
   * rejects) once the outcome is in `delivery.decision`, or undefined when it already is (a dry
   * run, a skip, a failure before any IO). Call it in plan order: lanes queue in call order.
   */
  start(delivery: PlannedDelivery): Promise<void> | undefined
}

/**
 * A deliverer for the given providers (each key once; its module loaded now, so `start` never
 * waits for one). A delivery for a provider not given fails with an error saying so.
 */
export async function openDeliverer(
  providers: Iterable<ResolvedProvider>,
  options: DeliveryOptions,
): Promise<Deliverer> {
  const sessions = await openSessions(providers, options.loadModule ?? loadProvider)
  const run: Run = {
    options,
    slots: createSemaphore(options.concurrency ?? DEFAULT_CONCURRENCY),
    lanes: createLanes(),
  }
  return {
    start(delivery) {
      const key = delivery.notification.provider.key
      let session = sessions.get(key)
      if (!session) {
        const loadError = new Error(`provider ${key} was not opened for delivery`)
        session = { kind: 'unloadable', provider: delivery.notification.provider, loadError }
      }
      return startDelivery(delivery, session, run)
    },
  }
}

/** One session per provider key, with its module loaded (or the error loading it gave). */
async function openSessions(
  all: Iterable<ResolvedProvider>,
  loadModule: (type: string) => Promise<ProviderModule>,
): Promise<Map<string, Session>> {
  const providers = new Map<string, ResolvedProvider>()
  for (const provider of all)
    if (!providers.has(provider.key)) providers.set(provider.key, provider)
  const sessions = new Map<string, Session>()
  await Promise.all(
    [...providers].map(async ([key, provider]) => {
      try {
        sessions.set(key, newSession(provider, await loadModule(provider.type)))
      } catch (loadError) {
        sessions.set(key, { kind: 'unloadable', provider, loadError })
      }
    }),
  )
  return sessions
}

function newSession(provider: ResolvedProvider, module: ProviderModule): Session {
  if (module.class === 'commit-status') {
    let client: Promise<CommitStatusClient> | undefined
    return {
      kind: 'commit-status',
      provider,
      module,
      // through a promise so that a synchronous throw is cached like a rejection
      client: () => (client ??= Promise.resolve().then(() => module.createClient(provider))),
      known: new Map(),
      reading: new Map(),
    }
  }
  if (module.class === 'change-request') {
    let client: Promise<ChangeRequestClient> | undefined
    return {
      kind: 'change-request',
      provider,
      module,
      client: () => (client ??= Promise.resolve().then(() => module.createClient(provider))),
    }
  }
  return { kind: 'notifier', provider, module, masking: provider }
}

/**
 * Does a delivery's pure part now and queues its IO in its lane. Nothing before the lane is
 * queued waits, so calling this in plan order queues in plan order.
 */
function startDelivery(
  delivery: PlannedDelivery,
  session: Session,
  run: Run,
): Promise<void> | undefined {
  const masking = () => (session.kind === 'notifier' ? session.masking : session.provider)
  let pending: Pending
  // anything thrown, even by a module's bug, fails this delivery only
  try {
    pending = startWith(delivery, session, run)
  } catch (error) {
    fail(delivery, masking(), error)
  }
  if (!pending) {
    reportDelivered(delivery, run.options)
    return undefined
  }
  return run.lanes
    .run(pending.lane, pending.send)
    .catch((error: unknown) => fail(delivery, masking(), error))
    .then(() => reportDelivered(delivery, run.options))
}

function startWith(delivery: PlannedDelivery, session: Session, run: Run): Pending {
  switch (session.kind) {
    case 'unloadable':
      throw session.loadError
    case 'commit-status':
      return startCommitStatus(delivery, session, run)
    case 'change-request':
      return startComment(delivery, session, run)
    case 'notifier':
      return startNotification(delivery, session, run)
  }
}

// ---- notifications -------------------------------------------------------------------------

function startNotification(delivery: PlannedDelivery, session: NotifierSession, run: Run): Pending {
  if (run.options.dryRun) {
    describeNotification(delivery, session)
    return undefined
  }
  const { kind = '', namespace = '', name = '' } = delivery.notification.event.involvedObject
  return {
    // a chat or incident tool shows one object's events in the order they happened
    lane: `notification\0${session.provider.key}\0${kind}/${namespace}/${name}`,
    send: () => sendNotification(delivery, session, run),
  }
}

/** A dry run: rendered with the provider as configured, since `prepare` is IO. */
function describeNotification(delivery: PlannedDelivery, session: NotifierSession): void {
  const { decision } = delivery
  const { module, provider } = session
  const rendered = module.render(delivery.notification)
  if ('skip' in rendered) {
    decision.outcome = 'skipped'
    decision.reason = rendered.skip
    return
  }
  // the requests as sent (the key), worded with their credentials and secrets hidden only once
  const targets = module.send ? '' : rendered.requests.map((r) => `${r.method} ${r.url}`).join('\n')
  decision.outcome = 'dry-run'
  const reasons = (session.dryRunReasons ??= new Map())
  let reason = reasons.get(targets)
  if (reason === undefined) {
    const intent = module.send
      ? `would publish to ${provider.channel}`
      : `would send ${rendered.requests.map((r) => `${r.method} ${redactUrlCredentials(r.url)}`).join(', ')}`
    // the address itself may be a secret (a Slack webhook URL), hence the masking
    reason = maskSecrets(intent, provider.secretValues)
    if (reasons.size < MAX_SHARED_REASONS) reasons.set(targets, reason)
  }
  decision.reason = reason
}

/** Distinct dry-run reasons kept per provider for sharing. */
const MAX_SHARED_REASONS = 1000

async function sendNotification(
  delivery: PlannedDelivery,
  session: NotifierSession,
  run: Run,
): Promise<void> {
  const { decision } = delivery
  const { module, provider } = session
  // while another delivery prepares, wait for it without taking a slot
  if (session.preparing) await settled(session.preparing)
  await run.slots.run(async () => {
    const signal = AbortSignal.timeout(provider.timeoutMs)
    let ready = provider
    if (module.prepare) {
      const prepare = module.prepare.bind(module)
      // a failure fails every delivery that needs it, like a client that cannot be made
      session.preparing ??= Promise.resolve().then(() => prepare(provider, signal))
      ready = await session.preparing
      session.masking = ready
    }
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
      try {
        // the provider's proxy and TLS settings, as far as its type's client supports them
        await sendRequest(request, { signal, sleep: run.options.sleep, connection: ready })
      } catch (error) {
        // worded as the controller's notifier wraps it; masked by `fail` like any other error
        throw new Error(notifierErrorText(request, error), { cause: error })
      }
    }
    decision.outcome = 'sent'
    decision.reason = requests.length === 1 ? 'sent' : `sent (${requests.length} requests)`
  })
}

// ---- commit statuses -----------------------------------------------------------------------

function startCommitStatus(
  delivery: PlannedDelivery,
  session: CommitStatusSession,
  run: Run,
): Pending {
  const { decision } = delivery
  const context = delivery.commitStatusId
  if (context === undefined) throw new Error('no commit status id was planned for this delivery')
  // pure and cheap: done up front because the lane is only known from the desired status
  const desired = session.module.desiredStatus(delivery.notification, context)
  if ('skip' in desired) {
    decision.outcome = 'skipped'
    decision.reason = desired.skip
    return undefined
  }
  decision.repository = desired.repository
  decision.sha = desired.sha
  decision.context = desired.context
  decision.state = desired.state
  decision.description = desired.description
  if (run.options.dryRun) {
    decision.outcome = 'dry-run'
    decision.reason = dryRunStatusReason(desired.state)
    return undefined
  }
  return {
    // not per provider: two providers writing the same context of a commit keep plan order too
    lane: `commit-status\0${desired.repository}\0${desired.sha}\0${desired.context}`,
    send: () => sendCommitStatus(delivery, desired, session, run),
  }
}

/** One string per state, shared by every dry-run row (rows are kept for the whole run). */
const dryRunStatusReasons = new Map<string, string>()

function dryRunStatusReason(state: string): string {
  let reason = dryRunStatusReasons.get(state)
  if (reason === undefined) {
    reason = `would set ${state} (not compared with the host in a dry run)`
    if (dryRunStatusReasons.size < 100) dryRunStatusReasons.set(state, reason)
  }
  return reason
}

async function sendCommitStatus(
  delivery: PlannedDelivery,
  desired: DesiredStatus,
  session: CommitStatusSession,
  run: Run,
): Promise<void> {
  const { decision } = delivery
  const { module, provider } = session
  const commit = `${desired.repository}\0${desired.sha}`
  for (;;) {
    // another delivery is reading this commit: wait for its answer without holding a slot
    const reading = session.reading.get(commit)
    if (reading) await settled(reading)
    const done = await run.slots.run(async () => {
      let current = session.known.get(commit)
      // a read started while we waited for the slot: give the slot back and wait for it
      if (!current && session.reading.has(commit)) return false
      const signal = AbortSignal.timeout(provider.timeoutMs)
      current ??= await readCommit(session, desired, commit, signal)
      if (module.isUnchanged(desired, current)) {
        decision.outcome = 'unchanged'
        decision.reason = `already ${desired.state}: ${desired.description}`
        return true
      }
      const host = await session.client()
      await host.writeStatus(desired, signal)
      // what a fresh read would now return: our status as the newest entry. Taken from the map
      // again, since deliveries for other contexts of this commit may have written meanwhile.
      const written: CurrentStatus = {
        context: desired.context,
        state: desired.state,
        description: desired.description,
        name: desired.name,
        genre: desired.genre,
      }
      session.known.set(commit, [written, ...(session.known.get(commit) ?? current)])
      decision.outcome = 'sent'
      decision.reason = 'sent'
      return true
    })
    if (done) return
  }
}

/**
 * Reads a commit's statuses, registered as under way before the first `await` so that no other
 * delivery starts the same read. A failed read is not kept: the next delivery for this commit
 * (including those that waited for this one) reads again, as each did before reads were shared.
 */
function readCommit(
  session: CommitStatusSession,
  desired: DesiredStatus,
  commit: string,
  signal: AbortSignal,
): Promise<CurrentStatus[]> {
  const read = session
    .client()
    .then((host) => host.readStatuses(desired.repository, desired.sha, signal))
    .then((statuses) => {
      session.known.set(commit, statuses)
      return statuses
    })
  session.reading.set(commit, read)
  void settled(read).then(() => session.reading.delete(commit))
  return read
}

// ---- change-request comments ---------------------------------------------------------------

/** What each comment outcome reads as in the decision table. */
const COMMENT_OUTCOMES: Record<CommentOutcome, { outcome: 'sent' | 'unchanged'; reason: string }> =
  {
    created: { outcome: 'sent', reason: 'comment created' },
    updated: { outcome: 'sent', reason: 'comment updated' },
    unchanged: { outcome: 'unchanged', reason: 'comment already up to date' },
  }

function startComment(delivery: PlannedDelivery, session: ChangeRequestSession, run: Run): Pending {
  const { decision, notification } = delivery
  // the change request number is checked before any IO, so a dry run reports a bad one too
  const target = changeRequestTarget(notification)
  if ('error' in target) throw new Error(target.error)
  decision.repository = target.repository
  if (run.options.dryRun) {
    decision.outcome = 'dry-run'
    decision.reason = `would create or update the comment on ${target.repository}#${target.number}`
    return undefined
  }
  return {
    // finding our comment and then updating it must not interleave with another upsert there
    lane: `change-request\0${session.provider.key}\0${target.repository}#${target.number}`,
    send: () =>
      run.slots.run(async () => {
        const signal = AbortSignal.timeout(notification.provider.timeoutMs)
        const outcome = await (await session.client()).upsertComment(notification, signal)
        decision.outcome = COMMENT_OUTCOMES[outcome].outcome
        decision.reason = COMMENT_OUTCOMES[outcome].reason
      }),
  }
}
