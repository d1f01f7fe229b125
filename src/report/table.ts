/**
 * The decision table for terminals: what the CLI prints. Plain text sized to its content, narrowed
 * to the terminal width by cutting the longest columns first, colour only when asked.
 */
import type { Decision, DecisionTotals, Outcome } from '../results.js'
import { awaitedId, shortSha, type PollReport } from '../routing/await.js'
import { totalsOf } from '../results.js'
import {
  eventText,
  oneLine,
  providerText,
  textLength,
  totalsLine,
  truncate,
  whyText,
} from './text.js'

export interface TableOptions {
  /** ANSI colours (outcome, header); off unless asked, so piped output stays clean */
  color?: boolean
  /** the width to fit, in columns; 160 unless set */
  width?: number
  /** what all the run's rows add up to, when `decisions` holds only the first ones */
  totals?: DecisionTotals
}

const DEFAULT_WIDTH = 160
const GAP = '  '
const HEADERS = ['EVENT', 'ALERT', 'PROVIDER', 'OUTCOME', 'WHY'] as const
const OUTCOME_COLUMN = 3
/** A column is never cut below this many columns (or its header, or its content if shorter). */
const MIN_COLUMN = 12

const RESET = '\x1b[0m'
const BOLD = '\x1b[1m'
const OUTCOME_COLOURS: Record<Outcome, string> = {
  sent: '\x1b[32m',
  unchanged: '\x1b[2m',
  skipped: '\x1b[33m',
  failed: '\x1b[31m',
  'dry-run': '\x1b[36m',
}

export function renderTable(decisions: Decision[], options: TableOptions = {}): string {
  const color = options.color === true
  const width = options.width ?? DEFAULT_WIDTH
  const { count, counts } = totalsOf(decisions, options.totals)
  const totals = totalsLine(counts)
  const failed = counts.failed > 0
  const totalsOut = color ? `${failed ? OUTCOME_COLOURS.failed : BOLD}${totals}${RESET}` : totals
  if (count === 0) return `No events.\n${totalsOut}\n`

  const rows = decisions.map((d) =>
    [eventText(d), d.alert ?? '-', providerText(d), d.outcome, whyText(d)].map(oneLine),
  )
  // A loop, not Math.max(...rows): a run can have 100 000 rows, more than a call has arguments.
  const natural = HEADERS.map((h) => textLength(h))
  for (const cells of rows) {
    cells.forEach((c, i) => (natural[i] = Math.max(natural[i] ?? 0, textLength(c))))
  }
  const widths = fitWidths(natural, width)

  const lines: string[] = []
  const header = formatRow([...HEADERS], widths)
  lines.push(color ? `${BOLD}${header}${RESET}` : header)
  rows.forEach((cells, r) => {
    const outcome = decisions[r]!.outcome
    const paint = color
      ? (i: number, s: string) =>
          i === OUTCOME_COLUMN ? `${OUTCOME_COLOURS[outcome]}${s}${RESET}` : s
      : undefined
    lines.push(formatRow(cells, widths, paint))
  })
  if (count > decisions.length) {
    lines.push(
      `… ${count - decisions.length} more decisions not shown here (--json, or the Action's results-file, lists them all)`,
    )
  }
  lines.push(totalsOut)
  return lines.join('\n') + '\n'
}

/** Pads every cell but the last to its column; cuts cells that are too long with `…`. */
function formatRow(
  cells: string[],
  widths: number[],
  paint?: (column: number, text: string) => string,
): string {
  const out = cells.map((cell, i) => {
    const w = widths[i] ?? 0
    const cut = truncate(cell, w)
    const padded = i === cells.length - 1 ? cut : cut + ' '.repeat(w - textLength(cut))
    return paint ? paint(i, padded) : padded
  })
  return out.join(GAP).trimEnd()
}

/**
 * Narrows columns until the row fits `width`: every cuttable column is capped at a common level,
 * the highest level that fits, so the widest columns give up space first and short ones keep
 * theirs. OUTCOME is never cut. When even the minimums don't fit, the row runs over.
 */
function fitWidths(natural: number[], width: number): number[] {
  const gaps = GAP.length * (natural.length - 1)
  const sum = (ws: number[]) => ws.reduce((a, b) => a + b, 0) + gaps
  if (sum(natural) <= width) return natural

  const minimum = natural.map((w, i) =>
    i === OUTCOME_COLUMN ? w : Math.min(w, Math.max(MIN_COLUMN, textLength(HEADERS[i] ?? ''))),
  )
  const capped = (level: number) =>
    natural.map((w, i) => (i === OUTCOME_COLUMN ? w : Math.min(w, Math.max(minimum[i]!, level))))

  // The largest level whose capped widths fit; binary search over 0..max natural width.
  let lo = 0
  let hi = Math.max(...natural)
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (sum(capped(mid)) <= width) lo = mid
    else hi = mid - 1
  }
  const widths = capped(lo)
  // Hand out what is left of the width (the level is an integer) to the cut columns, left first.
  let spare = width - sum(widths)
  for (let i = 0; i < widths.length && spare > 0; i++) {
    const room = natural[i]! - widths[i]!
    const give = Math.min(room, spare)
    widths[i]! += give
    spare -= give
  }
  return widths
}

/** Poll mode's outcome for the terminal: one line per awaited object. */
export function pollLines(poll: PollReport): string {
  const lines = [`Waited for ${shortSha(poll.sha)} (${poll.rounds} reads of the events):`]
  for (const state of poll.objects) {
    const why = state.reason ? ` (${state.reason})` : ''
    lines.push(`  ${awaitedId(state.object)}: ${state.outcome.replace('-', ' ')}${why}`)
  }
  return `${lines.map(oneLine).join('\n')}\n`
}
