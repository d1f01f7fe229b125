/**
 * Small text helpers shared by the reporters. Event messages and error texts are user data: they
 * can hold newlines, tabs and terminal escape sequences, so every cell goes through `oneLine`.
 */
import type { Counts, Decision } from '../results.js'

/** Length in code points, so that an emoji or accented letter counts as one column. */
export function textLength(text: string): number {
  let n = 0
  for (const _ of text) n++
  return n
}

/**
 * Cuts `text` to at most `max` code points, the last being `…` when anything was cut. Code-point
 * aware so a surrogate pair is never split in half.
 */
export function truncate(text: string, max: number): string {
  if (max <= 0) return ''
  if (textLength(text) <= max) return text
  return [...text].slice(0, max - 1).join('') + '…'
}

/**
 * One line of plain text: line breaks become ` ↵ `, tabs a space, and every other control
 * character (ESC in particular, which could recolour or move a terminal's cursor) U+FFFD.
 */
export function oneLine(text: string): string {
  return (
    text
      .replace(/[ \t]*(\r\n|\r|\n)[ \t]*/g, ' ↵ ')
      .replace(/\t/g, ' ')
      // C0 controls, DEL and C1 controls
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD')
  )
}

/** `3 sent, 2 unchanged, 5 skipped, 0 failed` (+ `, 4 dry-run` when there are any). */
export function totalsLine(c: Counts): string {
  const parts = [
    `${c.sent} sent`,
    `${c.unchanged} unchanged`,
    `${c.skipped} skipped`,
    `${c.failed} failed`,
  ]
  if (c.dryRun > 0) parts.push(`${c.dryRun} dry-run`)
  return parts.join(', ')
}

/** Whether a decision is about a commit status (it names the context or the state it wanted). */
export function isCommitStatus(decision: Decision): boolean {
  return decision.context !== undefined || decision.state !== undefined
}

/**
 * The WHY of a decision: for commit statuses `context → state`, then the reason unless it only
 * repeats the outcome (`sent` for a sent row says nothing new).
 */
export function whyText(decision: Decision): string {
  const parts: string[] = []
  if (isCommitStatus(decision)) {
    parts.push(`${decision.context ?? '?'} → ${decision.state ?? '?'}`)
  }
  if (decision.reason && decision.reason !== decision.outcome) parts.push(decision.reason)
  return parts.join(': ')
}

/** `Kind/ns/name Reason`: the event column of both tables. */
export function eventText(decision: Decision): string {
  return decision.eventReason ? `${decision.event} ${decision.eventReason}` : decision.event
}

/** `ns/name (type)`, or the type alone, or `-`. */
export function providerText(decision: Decision): string {
  if (decision.provider && decision.type) return `${decision.provider} (${decision.type})`
  return decision.provider ?? (decision.type ? `(${decision.type})` : '-')
}
