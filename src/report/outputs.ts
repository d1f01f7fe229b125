/**
 * The Action's outputs: counts per outcome and `results`, the decisions as JSON (as many as fit
 * GitHub's output limit; `results-file` names a file with all of them). Workflows parse
 * `results` with `fromJSON`, so its shape is part of the contract: keys always in the order below,
 * absent fields left out (never `null`), whatever order the pipeline built the objects in.
 */
import { once } from 'node:events'
import type { Decision, DecisionSink, DecisionTotals } from '../results.js'
import { totalsOf } from '../results.js'
import { objectsWith, type PollReport } from '../routing/await.js'

/** The `results` keys, in the order they are written. */
export const RESULT_KEYS = [
  'event',
  'eventReason',
  'severity',
  'timestamp',
  'source',
  'alert',
  'provider',
  'type',
  'outcome',
  'reason',
  'repository',
  'sha',
  'context',
  'state',
  'description',
] as const satisfies readonly (keyof Decision)[]

/**
 * Output name → value. A type alias (not an interface) so it is also a `Record<string, string>`,
 * which is what a loop over `core.setOutput` wants.
 */
export type ActionOutputs = {
  sent: string
  unchanged: string
  skipped: string
  failed: string
  /** the decisions as JSON, the first ones that fit GitHub's output limit (`MAX_RESULTS_CHARS`) */
  results: string
  /** `true` when `results` holds only the first decisions (the full list is in `results-file`) */
  'results-truncated': string
  /** set by the Action: a JSON file in RUNNER_TEMP with every decision */
  'results-file'?: string
  /**
   * Poll mode only: the awaited objects (`Kind/namespace/name`, one a line) that reconciled the
   * revision, failed it, or were still waiting at the timeout. Not set when not polling, which a
   * workflow reads as empty. (The failed ones are `failed-objects`: `failed` is already the count
   * of failed deliveries.)
   */
  succeeded?: string
  'failed-objects'?: string
  'timed-out'?: string
}

/**
 * `decisions` are the rows the run kept; `totals` what all its rows add up to, when it kept only
 * the first ones (absent: the rows are all there is).
 */
export function actionOutputs(
  decisions: readonly Decision[],
  poll?: PollReport,
  totals?: DecisionTotals,
): ActionOutputs {
  const { count, counts } = totalsOf(decisions, totals)
  const outputs: ActionOutputs = {
    sent: String(counts.sent),
    unchanged: String(counts.unchanged),
    skipped: String(counts.skipped),
    failed: String(counts.failed),
    results: '',
    'results-truncated': 'false',
  }
  const capped = cappedResultsJson(decisions, MAX_RESULTS_CHARS)
  outputs.results = capped.json
  outputs['results-truncated'] = String(capped.rows < count)
  if (poll) {
    outputs.succeeded = objectsWith(poll, 'succeeded').join('\n')
    outputs['failed-objects'] = objectsWith(poll, 'failed').join('\n')
    outputs['timed-out'] = objectsWith(poll, 'timed-out').join('\n')
  }
  return outputs
}

/**
 * One decision with its keys in `RESULT_KEYS` order; `timestamp: null` is kept (it is data). A
 * field added to `Decision` later and not listed yet still comes out, after the listed ones, sorted.
 */
export function resultEntry(decision: Decision): Record<string, unknown> {
  const entry: Record<string, unknown> = {}
  for (const key of RESULT_KEYS) {
    const value = decision[key]
    if (value !== undefined) entry[key] = value
  }
  const listed = new Set<string>(RESULT_KEYS)
  for (const [key, value] of Object.entries(decision).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  )) {
    if (!listed.has(key) && value !== undefined) entry[key] = value
  }
  return entry
}

/**
 * GitHub keeps at most 1 MB of outputs per job, counted in UTF-16 (two bytes a character): the
 * `results` output stays under that with room for the counts and a few more outputs.
 */
export const MAX_RESULTS_CHARS = 400_000

/**
 * The first decisions whose JSON array fits in `maxChars` characters (whole rows only, in order),
 * and how many that is. `resultsJson` when everything fits.
 */
export function cappedResultsJson(
  decisions: readonly Decision[],
  maxChars: number,
): { json: string; rows: number } {
  let json = '['
  let rows = 0
  for (const decision of decisions) {
    const row = JSON.stringify(resultRow(decision))
    // the comma before the row, and the closing bracket
    if (json.length + (rows > 0 ? 1 : 0) + row.length + 1 > maxChars) break
    json += rows > 0 ? `,${row}` : row
    rows++
  }
  return { json: `${json}]`, rows }
}

/** `results`: the decisions as a JSON array, the same text as `JSON.stringify` of the entries. */
export function resultsJson(decisions: readonly Decision[]): string {
  return JSON.stringify(resultRows(decisions))
}

/**
 * Writes decisions as one JSON array (the text of `resultsJson`, then a line break) to a stream
 * as they come, a thousand rows at a time: a run of a million events never holds its results as
 * one string. The stream is opened on the first write, so a run that ends before writing any
 * row (a lint run) leaves no file. A stream error is kept and thrown by `end`, and nothing more is
 * written after it.
 */
export class ResultsJsonWriter implements DecisionSink {
  private stream: NodeJS.WritableStream | undefined
  private rows: unknown[] = []
  private written = 0
  private draining: Promise<void> | undefined
  private failure: unknown

  constructor(
    private readonly open: () => NodeJS.WritableStream,
    private readonly rowsPerPiece = 1000,
  ) {}

  row(decision: Decision): void {
    this.rows.push(resultRow(decision))
    if (this.rows.length >= this.rowsPerPiece) this.writeRows()
  }

  ready(): Promise<void> | undefined {
    return this.draining
  }

  /** Writes what is left and the closing bracket, and waits until the stream has taken it all. */
  async end(): Promise<void> {
    this.writeRows()
    this.write(this.written === 0 ? '[]\n' : ']\n')
    if (this.draining) await this.draining
    if (this.failure !== undefined) throw this.failure
  }

  private writeRows(): void {
    if (this.rows.length === 0) return
    const json = JSON.stringify(this.rows)
    // the piece's own brackets dropped, the rows joined by commas across pieces
    this.write(`${this.written === 0 ? '[' : ','}${json.slice(1, -1)}`)
    this.written += this.rows.length
    this.rows = []
  }

  private write(text: string): void {
    if (this.failure !== undefined) return
    const stream = (this.stream ??= this.openStream())
    if (stream.write(text) || this.draining) return
    this.draining = once(stream, 'drain').then(
      () => {
        this.draining = undefined
      },
      (error: unknown) => {
        this.failure = error
        this.draining = undefined
      },
    )
  }

  private openStream(): NodeJS.WritableStream {
    const stream = this.open()
    stream.on('error', (error: unknown) => {
      this.failure ??= error
    })
    return stream
  }
}

/** `resultRow` of each decision. */
function resultRows(decisions: readonly Decision[]): unknown[] {
  return decisions.map(resultRow)
}

/**
 * What to hand JSON.stringify for a decision: the decision itself when its keys already are in
 * `RESULT_KEYS` order with none undefined (what routing builds; no copy, and one native call
 * encodes many), otherwise its `resultEntry`.
 */
function resultRow(decision: Decision): unknown {
  return inResultOrder(decision) ? decision : resultEntry(decision)
}

const RESULT_KEY_RANK = new Map<string, number>(RESULT_KEYS.map((key, rank) => [key, rank]))

function inResultOrder(decision: Decision): boolean {
  let previous = -1
  for (const key in decision) {
    const rank = RESULT_KEY_RANK.get(key)
    if (rank === undefined || rank < previous) return false
    if ((decision as unknown as Record<string, unknown>)[key] === undefined) return false
    previous = rank
  }
  return true
}
