/**
 * The job summary: GitHub-flavoured Markdown for `core.summary.addRaw(…)`. Event messages and
 * error texts are user data, so every cell is escaped: they must not break the table, start a code
 * span or inject HTML. A step's summary is limited to 1 MiB, so the table is capped by rows and by
 * bytes; the `results` output always has every decision.
 */
import type { Problem } from '../manifests/model.js'
import type { RunMode } from '../options.js'
import type { StateSize } from '../pipeline.js'
import {
  awaitedId,
  formatTimeout,
  shortSha,
  type AwaitState,
  type PollReport,
} from '../routing/await.js'
import type { Decision, DecisionTotals, Outcome } from '../results.js'
import { totalsOf } from '../results.js'
import { problemLocation } from './annotate.js'
import { isCommitStatus, totalsLine, truncate } from './text.js'

export interface SummaryInput {
  /** `lint`: a configuration check, no events and no decisions; absent = a normal run */
  mode?: RunMode
  /** the rows the run kept (all of them, unless `totals` says there were more) */
  decisions: Decision[]
  /** what all the run's rows add up to, when `decisions` holds only the first ones */
  totals?: DecisionTotals
  problems: Problem[]
  dryRun: boolean
  warnings: string[]
  /** the state store's size, when the run keeps state */
  state?: StateSize
  /** poll mode's outcome per awaited object, when the run waited (`wait-for-revision`) */
  poll?: PollReport
}

export interface SummaryOptions {
  /** table rows at most; 500 unless set */
  maxRows?: number
  /** UTF-8 bytes for the whole summary; a little under GitHub's 1 MiB unless set */
  maxBytes?: number
}

const DEFAULT_MAX_ROWS = 500
/** GitHub refuses a step summary over 1 MiB; keep headroom for whatever the entry point adds. */
const DEFAULT_MAX_BYTES = 1_000_000
/** Per cell, in code points: one 39 000-character event message must not eat the budget. */
const MAX_CELL = 500
/** Problems and warnings listed at most; the rest are counted. */
const MAX_LIST = 100

const OUTCOME_LABELS: Record<Outcome, string> = {
  sent: '✅ sent',
  unchanged: '➖ unchanged',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
  'dry-run': '🧪 dry-run',
}

export function renderSummary(input: SummaryInput, options: SummaryOptions = {}): string {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  const { decisions, problems, warnings, dryRun } = input
  if (input.mode === 'lint') return renderLintSummary(problems)

  const head = [
    `## flux-notify${dryRun ? ' (dry run)' : ''}`,
    '',
    verdict(input),
    '',
    ...(input.state ? [stateLine(input.state), ''] : []),
    ...pollSection(input.poll),
    ...problemsSection(problems),
    ...noticesSection(problems),
    '### Decisions',
    '',
    '',
  ].join('\n')
  const tail = warningsSection(warnings).join('\n')

  if (decisions.length === 0) {
    return joinSections([head + 'No events were read.\n', tail])
  }

  const withCommitStatus = decisions.some(isCommitStatus)
  const columns = ['Event', 'Alert', 'Provider', 'Outcome', 'Why']
  if (withCommitStatus) columns.push('Commit status')
  const tableHead = `| ${columns.join(' | ')} |\n|${columns.map(() => '---').join('|')}|\n`

  // Rows go in while they fit; the note about the rest is counted in before it is known.
  const { count } = totalsOf(decisions, input.totals)
  const noteRoom = bytes(omittedNote(count)) + 2
  let used = bytes(head) + bytes(tableHead) + bytes(tail) + noteRoom + 2
  const rows: string[] = []
  for (const d of decisions) {
    if (rows.length >= maxRows) break
    const row = tableRow(d, withCommitStatus)
    const size = bytes(row)
    if (used + size > maxBytes) break
    rows.push(row)
    used += size
  }
  const omitted = count - rows.length
  const table = tableHead + rows.join('') + (omitted > 0 ? `\n${omittedNote(omitted)}\n` : '')
  return joinSections([head + table, tail])
}

/**
 * Escapes text for a Markdown table cell (or list item): HTML specials become entities so no tag
 * can be injected, `|` cannot end the cell, backticks cannot open a code span, Markdown emphasis
 * and link characters render as themselves, and line breaks become `<br>`, the only line break a
 * table cell has. Other control characters are replaced.
 */
export function escapeCell(text: string): string {
  return (
    text
      .replace(/[&<>|`\\*_~[\]]/g, (c) => `&#${c.charCodeAt(0)};`)
      .replace(/\r\n|\r|\n/g, '<br>')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\uFFFD')
      .replace(/\t/g, ' ')
  )
}

function cell(text: string): string {
  return escapeCell(truncate(text, MAX_CELL))
}

function tableRow(d: Decision, withCommitStatus: boolean): string {
  const event = `${cell(d.event)}<br>${cell(d.eventReason)} (${cell(d.severity)})`
  const provider = d.provider
    ? `${cell(d.provider)}${d.type ? ` (${cell(d.type)})` : ''}`
    : d.type
      ? `(${cell(d.type)})`
      : '—'
  const cells = [
    event,
    d.alert ? cell(d.alert) : '—',
    provider,
    OUTCOME_LABELS[d.outcome],
    cell(d.reason),
  ]
  if (withCommitStatus) cells.push(isCommitStatus(d) ? commitStatusCell(d) : '')
  return `| ${cells.join(' | ')} |\n`
}

/** `owner/repo@abc1234<br>context → state` */
function commitStatusCell(d: Decision): string {
  const target = d.repository
    ? `${cell(d.repository)}${d.sha ? `@${cell(d.sha.slice(0, 7))}` : ''}`
    : d.sha
      ? cell(d.sha.slice(0, 7))
      : ''
  const status = `${cell(d.context ?? '?')} → ${cell(d.state ?? '?')}`
  return target ? `${target}<br>${status}` : status
}

/**
 * A lint run's summary: what was checked and each problem; no decision table, since no event was
 * read and nothing was sent.
 */
function renderLintSummary(problems: Problem[]): string {
  const errors = problems.filter((p) => p.severity === 'error').length
  const warnings = problems.filter((p) => p.severity === 'warning').length
  const notices = problems.length - errors - warnings
  const found: string[] = []
  if (errors > 0) found.push(plural(errors, 'error'))
  if (warnings > 0) found.push(plural(warnings, 'warning'))
  if (notices > 0) found.push(plural(notices, 'notice'))
  const icon = errors > 0 ? '❌' : warnings > 0 ? '⚠️' : '✅'
  const line =
    errors + warnings === 0
      ? `${icon} The alerting configuration passed every check${notices > 0 ? ` (${found.join(', ')})` : ''}.`
      : `${icon} ${found.join(', ')} in the alerting configuration.`
  return joinSections([
    [
      '## flux-notify lint',
      '',
      line,
      '',
      'A lint run loads the manifests and checks schemas, regular expressions, CEL expressions, secret references, unresolved `${…}` placeholders and unused Providers. It reads no events and sends nothing.',
      '',
      ...problemsSection(problems),
      ...noticesSection(problems),
    ].join('\n'),
  ])
}

function verdict({ decisions, totals, problems: all, warnings, dryRun }: SummaryInput): string {
  const { counts } = totalsOf(decisions, totals)
  // notices are worth knowing, not something wrong: they do not count as problems
  const problems = all.filter((p) => p.severity !== 'notice')
  const notices = all.length - problems.length
  const errors = problems.filter((p) => p.severity === 'error').length
  const icon =
    counts.failed > 0 || errors > 0 ? '❌' : problems.length + warnings.length > 0 ? '⚠️' : '✅'
  const extra: string[] = []
  if (problems.length > 0) extra.push(plural(problems.length, 'problem'))
  if (warnings.length > 0) extra.push(plural(warnings.length, 'warning'))
  if (notices > 0) extra.push(plural(notices, 'notice'))
  const line = [totalsLine(counts), ...extra].join(', ')
  return `${icon} ${dryRun ? `Dry run, nothing was sent: ${line}` : line}`
}

function stateLine(state: StateSize): string {
  const what = state.written ? 'saved' : 'not written'
  const entries = `${state.entries} ${state.entries === 1 ? 'entry' : 'entries'}`
  const where =
    state.cacheKey !== undefined
      ? `the Actions cache (key ${cell(state.cacheKey)})`
      : cell(state.path)
  return `State ${what}: ${entries}, ${state.bytes} bytes in ${where}`
}

const POLL_OUTCOME_LABELS: Record<AwaitState['outcome'], string> = {
  succeeded: '✅ succeeded',
  failed: '❌ failed',
  'timed-out': '⏱️ timed out',
  waiting: '⏳ still waiting',
}

/** `### Waited for abc1234`: each awaited object's outcome, and the event that settled it. */
function pollSection(poll: PollReport | undefined): string[] {
  if (!poll) return []
  const rounds = `${plural(poll.rounds, 'read')} of the events`
  const limit = poll.dryRun
    ? 'dry run: one read, no waiting'
    : `timeout ${formatTimeout(poll.timeoutMs)}`
  const lines = [`### Waited for ${cell(shortSha(poll.sha))}`, '', `${rounds}, ${limit}.`, '']
  for (const state of poll.objects.slice(0, MAX_LIST)) {
    const why = state.reason ? ` (${cell(state.reason)})` : ''
    lines.push(`- ${POLL_OUTCOME_LABELS[state.outcome]}: ${cell(awaitedId(state.object))}${why}`)
  }
  if (poll.objects.length > MAX_LIST) lines.push(`- … and ${poll.objects.length - MAX_LIST} more`)
  lines.push('')
  return lines
}

/** Errors and warnings, in the order found. */
function problemsSection(all: Problem[]): string[] {
  const problems = all.filter((p) => p.severity !== 'notice')
  return problemList(`Problems (${problems.length})`, problems)
}

/** Notices (a skipped Helm template, an unused Provider): shown, never counted as problems. */
function noticesSection(all: Problem[]): string[] {
  const notices = all.filter((p) => p.severity === 'notice')
  return problemList(`Notices (${notices.length})`, notices)
}

const PROBLEM_ICONS: Record<Problem['severity'], string> = {
  error: '❌',
  warning: '⚠️',
  notice: 'ℹ️',
}

function problemList(title: string, problems: Problem[]): string[] {
  if (problems.length === 0) return []
  const lines = [`### ${title}`, '']
  for (const p of problems.slice(0, MAX_LIST)) {
    const where = problemLocation(p)
    lines.push(
      `- ${PROBLEM_ICONS[p.severity]} ${where ? `${cell(where)}: ` : ''}${cell(p.message)}`,
    )
  }
  if (problems.length > MAX_LIST) lines.push(`- … and ${problems.length - MAX_LIST} more`)
  lines.push('')
  return lines
}

function warningsSection(warnings: string[]): string[] {
  if (warnings.length === 0) return []
  const lines = [`### Warnings (${warnings.length})`, '']
  for (const w of warnings.slice(0, MAX_LIST)) lines.push(`- ⚠️ ${cell(w)}`)
  if (warnings.length > MAX_LIST) lines.push(`- … and ${warnings.length - MAX_LIST} more`)
  lines.push('')
  return lines
}

function omittedNote(omitted: number): string {
  return `_… and ${plural(omitted, 'more decision')} not shown (a job summary is limited to 1 MiB); the file the \`results-file\` output names has all of them._`
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

function joinSections(sections: string[]): string {
  return sections
    .filter((s) => s !== '')
    .join('\n')
    .replace(/\n*$/, '\n')
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}
