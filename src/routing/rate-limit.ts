/**
 * The controller's duplicate suppression (reference §3): a key per event and go-limiter's
 * fixed-window bucket with one token. Time is whatever the caller passes in — flux-notify passes
 * the events' own timestamps, never the wall clock, so a re-run over the same events decides the
 * same way.
 */
import * as crypto from 'node:crypto'
import type { FluxEvent, ObjectReference } from '../events/model.js'
import { groupKeysOf } from './metadata.js'
import type { GroupKeys } from './metadata.js'

/**
 * Hex SHA-256 of `event/name=…/namespace=…/kind=…/message=…`, followed, only when present in the
 * (cleaned-up, still prefixed) metadata, by `originRevision=…`, `revision=…` and `token=…` of the
 * object's group. Severity, reason, timestamp and every other key are not part of it.
 */
export function rateLimitKey(event: FluxEvent): string {
  const ref = event.involvedObject
  return sha256Hex(rateLimitKeyText(event, rateLimitKeyPrefix(ref), groupKeysOf(ref.apiVersion)))
}

/** The start of the text `rateLimitKey` hashes, which depends on the involved object only. */
export function rateLimitKeyPrefix(ref: ObjectReference): string {
  return `event/name=${ref.name ?? ''}/namespace=${ref.namespace ?? ''}/kind=${ref.kind ?? ''}/message=`
}

/**
 * The text `rateLimitKey` hashes, with the object's part and its group's keys worked out by the
 * caller. The three keys read are never dropped by `cleanupMetadata`, so the event may be the raw
 * one as well.
 */
export function rateLimitKeyText(event: FluxEvent, prefix: string, keys: GroupKeys): string {
  let text = prefix + event.message
  const metadata = event.metadata
  if (metadata !== undefined) {
    if (Object.hasOwn(metadata, keys.originRevisionKey)) {
      text += `/originRevision=${metadata[keys.originRevisionKey]}`
    }
    if (Object.hasOwn(metadata, keys.revisionKey)) text += `/revision=${metadata[keys.revisionKey]}`
    if (Object.hasOwn(metadata, keys.tokenKey)) text += `/token=${metadata[keys.tokenKey]}`
  }
  return text
}

/**
 * `crypto.hash` (Node 20.12+) where there is one: a one-shot digest without a Hash object, which
 * is most of the cost for texts this short. Both hash the UTF-8 encoding of the text.
 */
export const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex')

/** One key's bucket, as plain data. */
export interface BucketState {
  key: string
  /** when the key was first seen (ms since the epoch): windows are anchored here */
  startMs: number
  /** the window (0-based, counted from `startMs`) in which a token was last handed out */
  lastTick: number
  /** tokens left in window `lastTick` (0 or 1) */
  tokens: number
}

/** Everything the limiter knows, as JSON-safe data, so it can be carried from one run to the next. */
export interface LimiterSnapshot {
  intervalMs: number
  /** when the next sweep is due (ms since the epoch); null before the limiter saw any time */
  nextSweepMs: number | null
  /** the latest time the limiter was asked about; null before the first take */
  clockMs: number | null
  buckets: BucketState[]
}

/** The controller's store holds one token per key and window (go-limiter's default). */
const TOKENS = 1

/**
 * go-limiter's memory store as notification-controller configures it: `Interval = SweepInterval = I`,
 * `SweepMinTTL = 2I`, one token.
 *
 * - A key's bucket is created at its first sighting; window k is `[start + k·I, start + (k+1)·I)`,
 *   and the first take in a new window refills the token. So at most one event per key passes per
 *   window — a fixed window, not a sliding one.
 * - Every I (counted from the first time the limiter saw), a sweep deletes the buckets whose last
 *   window began more than 2I ago; a later event for that key starts a new bucket anchored at its
 *   own time.
 */
export class FixedWindowLimiter {
  readonly intervalMs: number
  private readonly buckets = new Map<string, BucketState>()
  private nextSweepMs: number | null = null
  private clockMs: number | null = null

  /**
   * A snapshot taken with a different interval is ignored: its windows would not be the windows of
   * this interval, so starting afresh is the honest choice.
   */
  constructor(intervalMs: number, snapshot?: LimiterSnapshot) {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
      throw new Error(`rate limit interval must be a positive duration, got ${intervalMs}ms`)
    }
    this.intervalMs = intervalMs
    if (snapshot && snapshot.intervalMs === intervalMs) {
      this.nextSweepMs = snapshot.nextSweepMs
      this.clockMs = snapshot.clockMs
      for (const bucket of snapshot.buckets) this.buckets.set(bucket.key, { ...bucket })
    }
  }

  /** The latest time the limiter was asked about, or undefined before the first take. */
  get latestTimeMs(): number | undefined {
    return this.clockMs ?? undefined
  }

  /**
   * Whether an event with this key, arriving at `nowMs`, passes (true) or is a duplicate (false).
   * Sweeps that fall due at or before `nowMs` run first.
   */
  take(key: string, nowMs: number): boolean {
    this.sweepUntil(nowMs)
    if (this.clockMs === null || nowMs > this.clockMs) this.clockMs = nowMs

    let bucket = this.buckets.get(key)
    if (!bucket) {
      bucket = { key, startMs: nowMs, lastTick: 0, tokens: TOKENS }
      this.buckets.set(key, bucket)
    }
    // An event older than its bucket's anchor (possible across runs, never in the controller whose
    // clock only moves forward) counts in window 0, so it refills nothing.
    const tick = Math.max(0, Math.floor((nowMs - bucket.startMs) / this.intervalMs))
    if (bucket.lastTick < tick) {
      bucket.tokens = TOKENS
      bucket.lastTick = tick
    }
    if (bucket.tokens > 0) {
      bucket.tokens--
      return true
    }
    return false
  }

  snapshot(): LimiterSnapshot {
    return {
      intervalMs: this.intervalMs,
      nextSweepMs: this.nextSweepMs,
      clockMs: this.clockMs,
      buckets: [...this.buckets.values()].map((bucket) => ({ ...bucket })),
    }
  }

  /**
   * Runs the sweeps due at or before `nowMs`. Between takes nothing changes, and a later sweep
   * deletes everything an earlier one would, so only the last due sweep needs to run.
   */
  private sweepUntil(nowMs: number): void {
    const interval = this.intervalMs
    if (this.nextSweepMs === null) {
      // The controller's sweeper starts with the store; ours starts with the first time we see.
      this.nextSweepMs = nowMs + interval
      return
    }
    if (nowMs < this.nextSweepMs) return
    const sweepAt = this.nextSweepMs + Math.floor((nowMs - this.nextSweepMs) / interval) * interval
    this.nextSweepMs = sweepAt + interval
    // (deleting the entry being visited is safe: a Map iterator moves on to the next one)
    for (const bucket of this.buckets.values()) {
      const lastWindowStart = bucket.startMs + bucket.lastTick * interval
      if (sweepAt - lastWindowStart > 2 * interval) this.buckets.delete(bucket.key)
    }
  }
}

/**
 * Go's `time.Duration.String()` for a duration in milliseconds: `5m0s`, `1h0m0s`, `30s`, `1.5s`,
 * `500ms`, `0s`. Used to name the rate-limit window in messages exactly as the flag is written.
 */
export function formatGoDuration(ms: number): string {
  let ns = Math.round(ms * 1e6)
  const negative = ns < 0
  if (negative) ns = -ns
  const sign = negative ? '-' : ''
  if (ns === 0) return '0s'
  if (ns < 1e9) {
    // Below one second Go picks the largest unit that keeps an integer part: ns, µs or ms.
    if (ns < 1e3) return `${sign}${ns}ns`
    if (ns < 1e6) return `${sign}${fraction(ns, 1e3)}µs`
    return `${sign}${fraction(ns, 1e6)}ms`
  }
  const totalSeconds = Math.floor(ns / 1e9)
  const hours = Math.floor(totalSeconds / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = `${fraction((totalSeconds % 60) * 1e9 + (ns % 1e9), 1e9)}s`
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`
  if (minutes > 0) return `${sign}${minutes}m${seconds}`
  return `${sign}${seconds}`
}

/** `value / unit` with the fractional digits Go prints (no trailing zeros). */
function fraction(value: number, unit: number): string {
  const whole = Math.floor(value / unit)
  const rest = value % unit
  if (rest === 0) return String(whole)
  const digits = String(unit).length - 1
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`
}
