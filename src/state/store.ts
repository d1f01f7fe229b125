/**
 * The duplicate-suppression state carried from one run to the next (design §3), as pure data:
 *
 * - `deliveries`: which (event × alert × provider) deliveries ended `sent` or `unchanged`, so a
 *   re-read event is not delivered twice. A failed delivery is never recorded: the next run
 *   retries it.
 * - `events`: every event an earlier run routed, with the rate limiter's verdict for it. A re-read
 *   event is not a new arrival (the controller receives each event once), so it must neither take
 *   a rate-limit token again (that would rate-limit the retry of a failed delivery) nor get a fresh
 *   one after its bucket was swept (that would send an event the controller dropped).
 * - `rateLimit`: the limiter's windows, so a new event is a duplicate of one from an earlier run
 *   exactly as in the controller.
 *
 * Everything is keyed by event time, never by wall-clock time, like the limiter itself.
 */
import { createHash } from 'node:crypto'
import * as z from 'zod/mini'
import { lazy } from '../util/lazy.js'
import { useEnglishMessages } from '../util/zod-messages.js'

useEnglishMessages()
import type { FluxEvent, SourcedEvent } from '../events/model.js'
import { eventJson } from '../providers/event-json.js'
import { cleanupMetadata } from '../routing/metadata.js'
import type { PlannedDelivery } from '../routing/plan.js'
import { FixedWindowLimiter, rateLimitKey, type LimiterSnapshot } from '../routing/rate-limit.js'

export const STATE_VERSION = 1

export interface EventRecord {
  /** the event's time, ms since the epoch */
  time: number
  /** whether the rate limiter let it through */
  admitted: boolean
}

export interface StateStore {
  version: typeof STATE_VERSION
  /** delivery key (see `deliveryKey`) → the event's time, ms since the epoch */
  deliveries: Record<string, number>
  /** event key (see `eventKey`) → its time and the limiter's verdict */
  events: Record<string, EventRecord>
  rateLimit: LimiterSnapshot | null
}

/** One line of the journal: a delivery that ended `sent` or `unchanged`. */
export interface JournalRecord {
  key: string
  time: number
}

export function emptyState(): StateStore {
  return { version: STATE_VERSION, deliveries: {}, events: {}, rateLimit: null }
}

// Built on first use: most runs keep no state. zod 4 numbers are finite: NaN and Infinity are
// refused.
const stateSchemas = lazy(() => {
  const timeSchema = z.number()

  const limiterSchema = z.object({
    intervalMs: z.number().check(z.positive()),
    nextSweepMs: z.nullable(timeSchema),
    clockMs: z.nullable(timeSchema),
    buckets: z.array(
      z.object({
        key: z.string(),
        startMs: timeSchema,
        lastTick: z.int().check(z.nonnegative()),
        tokens: z.int().check(z.minimum(0), z.maximum(1)),
      }),
    ),
  })

  const state = z.object({
    version: z.literal(STATE_VERSION),
    deliveries: z.record(z.string(), timeSchema),
    events: z.record(z.string(), z.object({ time: timeSchema, admitted: z.boolean() })),
    rateLimit: z.nullable(limiterSchema),
  })

  const journal = z.object({ key: z.string().check(z.minLength(1)), time: timeSchema })

  return { state, journal }
})

/** Parses a state file's text; a one-line reason when it is not a state this version can use. */
export function parseState(text: string): StateStore | { error: string } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { error: 'not valid JSON' }
  }
  const parsed = stateSchemas().state.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''
    return { error: `not a flux-notify state (version ${STATE_VERSION})${where}` }
  }
  return parsed.data as StateStore
}

export function serializeState(state: StateStore): string {
  return `${JSON.stringify(state)}\n`
}

/**
 * The records of a journal's text. A run killed mid-write leaves a truncated last line: it (and
 * any other line that does not parse) is ignored — at worst that one delivery is repeated.
 */
export function parseJournal(text: string): JournalRecord[] {
  const records: JournalRecord[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      continue
    }
    const parsed = stateSchemas().journal.safeParse(value)
    if (parsed.success) records.push(parsed.data)
  }
  return records
}

export function journalLine(record: JournalRecord): string {
  return `${JSON.stringify({ key: record.key, time: record.time })}\n`
}

/** The state with the journal's deliveries added (a new object; `state` is not changed). */
export function mergeJournal(state: StateStore, records: readonly JournalRecord[]): StateStore {
  // fromEntries defines own properties, so even a key such as `__proto__` is kept as data
  const deliveries = Object.fromEntries([
    ...Object.entries(state.deliveries),
    ...records.map((record) => [record.key, record.time] as const),
  ])
  return { ...state, deliveries }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** Hex SHA-256 of the event as read (before routing changes its metadata). */
export function eventKey(event: FluxEvent): string {
  return sha256(eventJson(event))
}

/** Hex SHA-256 of `<provider key>\n<alert key>\n<the event as read, as JSON>`. */
export function deliveryKey(providerKey: string, alertKey: string, event: FluxEvent): string {
  return sha256(`${providerKey}\n${alertKey}\n${eventJson(event)}`)
}

/** The store key of a planned delivery, or undefined when routing did not say which event it is. */
export function plannedDeliveryKey(delivery: PlannedDelivery): string | undefined {
  const sourced = delivery.sourced
  const alertKey = delivery.decision.alert
  if (!sourced || alertKey === undefined) return undefined
  return deliveryKey(delivery.notification.provider.key, alertKey, sourced.event)
}

/** An event's time for the store; an event without one counts as arriving at `fallbackMs`. */
export function eventTime(sourced: SourcedEvent, fallbackMs: number): number {
  return Number.isFinite(sourced.time) ? sourced.time : fallbackMs
}

/** The newest event time in the store and in `events`, or 0 when there is none. */
export function newestTime(state: StateStore, events: readonly SourcedEvent[]): number {
  let newest = state.rateLimit?.clockMs ?? 0
  for (const time of Object.values(state.deliveries)) if (time > newest) newest = time
  for (const record of Object.values(state.events)) if (record.time > newest) newest = record.time
  for (const sourced of events) if (sourced.time > newest) newest = sourced.time
  return newest
}

export const ALREADY_DELIVERED_REASON = 'already delivered by an earlier run (state)'

/**
 * Takes out of `deliveries` those an earlier run already delivered: their decision rows become
 * `skipped` (reason `ALREADY_DELIVERED_REASON`), and the returned list holds the rest, in order.
 */
export function dropDelivered(
  deliveries: readonly PlannedDelivery[],
  state: StateStore,
): PlannedDelivery[] {
  const remaining: PlannedDelivery[] = []
  for (const delivery of deliveries) {
    const key = plannedDeliveryKey(delivery)
    if (key !== undefined && Object.hasOwn(state.deliveries, key)) {
      delivery.decision.outcome = 'skipped'
      delivery.decision.reason = ALREADY_DELIVERED_REASON
    } else {
      remaining.push(delivery)
    }
  }
  return remaining
}

/**
 * A rate limiter that replays the verdicts of events an earlier run already routed and asks the
 * real limiter only about new ones.
 *
 * Routing calls `take(rateLimitKey, time)` once per event, in time order (stable, events without a
 * time last, in input order). `events` must be in that same order: the n-th take for a rate-limit
 * key is then the n-th event with that key, which is how a take is tied to its event. After
 * routing, `verdicts[i]` says whether `events[i]` was let through.
 */
export class ReplayingLimiter extends FixedWindowLimiter {
  readonly verdicts: (boolean | undefined)[]
  /** per rate-limit key, the positions in `events` of its takes still to come */
  private readonly pending = new Map<string, number[]>()
  private readonly known: (EventRecord | undefined)[]

  constructor(
    intervalMs: number,
    snapshot: LimiterSnapshot | undefined,
    events: readonly SourcedEvent[],
    known: StateStore['events'],
  ) {
    super(intervalMs, snapshot)
    this.verdicts = new Array<boolean | undefined>(events.length).fill(undefined)
    this.known = events.map((sourced) => {
      const key = eventKey(sourced.event)
      return Object.hasOwn(known, key) ? known[key] : undefined
    })
    events.forEach((sourced, index) => {
      const key = rateLimitKey(cleanupMetadata(sourced.event))
      const list = this.pending.get(key)
      if (list) list.push(index)
      else this.pending.set(key, [index])
    })
  }

  override take(key: string, nowMs: number): boolean {
    const index = this.pending.get(key)?.shift()
    const record = index === undefined ? undefined : this.known[index]
    // an event an earlier run routed keeps that run's verdict and leaves the windows as they are
    const admitted = record ? record.admitted : super.take(key, nowMs)
    if (index !== undefined) this.verdicts[index] = admitted
    return admitted
  }
}

/**
 * How long entries are kept, counted back from the newest event time seen: 24 hours, and never
 * less than two rate-limit windows (the limiter still needs that much). An older event cannot come
 * back: sources re-read `kubectl get events`, whose events live 1 h by default (the API server's
 * `--event-ttl`), and 24 h covers clusters that keep them longer.
 */
export function retentionMs(rateLimitIntervalMs: number): number {
  return Math.max(24 * 60 * 60 * 1000, 2 * rateLimitIntervalMs)
}

/** The entries whose event time is within the retention of `newestMs` (a new object). */
export function expireState(
  state: StateStore,
  newestMs: number,
  rateLimitIntervalMs: number,
): StateStore {
  const oldest = newestMs - retentionMs(rateLimitIntervalMs)
  const deliveries: Record<string, number> = {}
  for (const [key, time] of Object.entries(state.deliveries)) {
    if (time >= oldest) deliveries[key] = time
  }
  const events: Record<string, EventRecord> = {}
  for (const [key, record] of Object.entries(state.events)) {
    if (record.time >= oldest) events[key] = record
  }
  return { ...state, deliveries, events }
}

/** Entries in the store: recorded deliveries, routed events and rate-limit buckets. */
export function stateEntries(state: StateStore): number {
  return (
    Object.keys(state.deliveries).length +
    Object.keys(state.events).length +
    (state.rateLimit?.buckets.length ?? 0)
  )
}
