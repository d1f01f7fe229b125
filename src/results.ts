/**
 * The decision table: one row per event × alert (or per event, when no alert got to see it).
 * Routing creates the rows, delivery fills in the outcome of the ones it sends, and the reporters
 * print them. The `results` output is this list as JSON.
 */

export type Outcome =
  /** delivered (or, for commit statuses, written) */
  | 'sent'
  /** a commit status already showing this state and description */
  | 'unchanged'
  /** not sent by design: rate-limited, no alert, excluded, gated, no commit SHA, … */
  | 'skipped'
  /** not delivered: a request or setup error (after retries) */
  | 'failed'
  /** dry run: would have been sent */
  | 'dry-run'

export interface Decision {
  /** `Kind/namespace/name` of the involved object */
  event: string
  eventReason: string
  severity: string
  timestamp: string | null
  /** where the event was read: `file:line` or `file#index` */
  source: string
  /** `namespace/name` of the Alert, when one matched */
  alert?: string
  /** `namespace/name` of the Provider */
  provider?: string
  /** the provider's type */
  type?: string
  outcome: Outcome
  /** why: a short, human sentence (`rate limited: duplicate within 5m0s`, `sent`, the error, …) */
  reason: string
  repository?: string
  sha?: string
  context?: string
  state?: string
  description?: string
}

export interface Counts {
  sent: number
  unchanged: number
  skipped: number
  failed: number
  dryRun: number
}

export function countOutcomes(decisions: readonly Decision[]): Counts {
  const counts: Counts = { sent: 0, unchanged: 0, skipped: 0, failed: 0, dryRun: 0 }
  for (const d of decisions) {
    if (d.outcome === 'dry-run') counts.dryRun++
    else counts[d.outcome]++
  }
  return counts
}

/** How many decisions a run made and their outcomes, when its report keeps only the first rows. */
export interface DecisionTotals {
  count: number
  counts: Counts
}

/** `totals` when given, otherwise what `decisions` add up to (a report that kept every row). */
export function totalsOf(decisions: readonly Decision[], totals?: DecisionTotals): DecisionTotals {
  return totals ?? { count: decisions.length, counts: countOutcomes(decisions) }
}

/** Where every decision goes as soon as it is final, in order (the results file, `--json`). */
export interface DecisionSink {
  row(decision: Decision): void
  /** a promise while the sink's buffer is full (wait for it before making more rows) */
  ready(): Promise<void> | undefined
}

/** Rows the report keeps for the summary, the table and the `results` output. */
export const KEPT_DECISIONS = 10_000

/** Failed rows kept apart for the annotations (GitHub shows 10 error annotations per step). */
export const KEPT_FAILURES = 10

interface LogEntry {
  decision: Decision
  final: boolean
}

/**
 * The run's decision table as it is made: rows are added in plan order, some still waiting for
 * their delivery, and each is passed on once it and every row before it is final (`finish` first:
 * the masking of secrets, then the counts, the kept rows, and the sink). So memory holds the rows
 * waiting for a delivery and the first `KEPT_DECISIONS`, never every row of a long stream.
 */
export class DecisionLog {
  readonly counts: Counts = { sent: 0, unchanged: 0, skipped: 0, failed: 0, dryRun: 0 }
  count = 0
  /** the first rows, for the reports */
  readonly kept: Decision[] = []
  /** the first failed rows, for the annotations */
  readonly failures: Decision[] = []
  // a FIFO with a moving head, as the delivery semaphore's
  private queue: LogEntry[] = []
  private head = 0
  private waiters: Array<{ limit: number; resolve: () => void }> = []

  constructor(
    private readonly options: {
      finish?: (decision: Decision) => void
      sink?: DecisionSink
      keep?: number
    } = {},
  ) {}

  /** Adds a row; `delivered` settles once delivery has written its outcome into it. */
  add(decision: Decision, delivered?: Promise<void>): void {
    if (!delivered && this.waiting === 0) {
      this.emit(decision)
      return
    }
    const entry: LogEntry = { decision, final: !delivered }
    this.queue.push(entry)
    if (delivered) {
      // a delivery never rejects (its errors are `failed` rows); a bug must not stall the log
      const settle = () => {
        entry.final = true
        this.flush()
      }
      delivered.then(settle, settle)
    }
  }

  /** Rows added but not passed on yet (waiting for their delivery or an earlier row's). */
  get waiting(): number {
    return this.queue.length - this.head
  }

  /**
   * Undefined when fewer than `limit` rows wait and the sink takes more; otherwise a promise that
   * settles once that is so again (the run's back-pressure on routing and reading).
   */
  ready(limit: number): Promise<void> | undefined {
    const sink = this.options.sink?.ready()
    if (this.waiting < limit) return sink
    const below = new Promise<void>((resolve) => this.waiters.push({ limit, resolve }))
    return sink ? Promise.all([below, sink]).then(() => undefined) : below
  }

  /** Settles once every row added has been passed on. */
  drained(): Promise<void> {
    return this.ready(1) ?? Promise.resolve()
  }

  private flush(): void {
    while (this.head < this.queue.length && this.queue[this.head]!.final) {
      const { decision } = this.queue[this.head]!
      this.queue[this.head++] = undefined as unknown as LogEntry
      this.emit(decision)
    }
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    if (this.waiters.length > 0) {
      const waiting = this.waiting
      this.waiters = this.waiters.filter(({ limit, resolve }) => {
        if (waiting >= limit) return true
        resolve()
        return false
      })
    }
  }

  private emit(decision: Decision): void {
    this.options.finish?.(decision)
    if (decision.outcome === 'dry-run') this.counts.dryRun++
    else this.counts[decision.outcome]++
    this.count++
    if (this.kept.length < (this.options.keep ?? KEPT_DECISIONS)) this.kept.push(decision)
    if (decision.outcome === 'failed' && this.failures.length < KEPT_FAILURES) {
      this.failures.push(decision)
    }
    this.options.sink?.row(decision)
  }
}
