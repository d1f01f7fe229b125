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
