/**
 * The name and description of a commit status (reference §6.4, `formatNameAndDescription`):
 * name = `lower(Kind/name)`, description = the event reason split at camel-case boundaries,
 * joined with spaces and lower-cased (`ApplySucceeded` → `apply succeeded`).
 */
import type { FluxEvent } from '../../events/model.js'

/** GitHub rejects a status description longer than this (422 Validation Failed). */
export const GITHUB_DESCRIPTION_LIMIT = 140

const enum RuneClass {
  None,
  Lower,
  Upper,
  Digit,
  Other,
}

// Go's unicode.IsLower / IsUpper / IsDigit are the categories Ll, Lu and Nd.
const LOWER = /^\p{Ll}$/u
const UPPER = /^\p{Lu}$/u
const DIGIT = /^\p{Nd}$/u

function classOf(rune: string): RuneClass {
  if (LOWER.test(rune)) return RuneClass.Lower
  if (UPPER.test(rune)) return RuneClass.Upper
  if (DIGIT.test(rune)) return RuneClass.Digit
  return RuneClass.Other
}

/**
 * Splits a reason into words: runs of lower-case letters, upper-case letters, digits and anything
 * else; the last capital of an upper-case run starts the lower-case run after it
 * (`PDFLoader` → `PDF`, `Loader`). A string that is not valid Unicode comes back whole.
 */
export function splitCamelcase(source: string): string[] {
  if (!source.isWellFormed()) return [source]
  const runs: string[][] = []
  let lastClass = RuneClass.None
  for (const rune of source) {
    const runeClass = classOf(rune)
    if (runeClass === lastClass) runs[runs.length - 1]!.push(rune)
    else runs.push([rune])
    lastClass = runeClass
  }
  for (let i = 0; i < runs.length - 1; i++) {
    const current = runs[i]!
    const next = runs[i + 1]!
    if (UPPER.test(current[0]!) && LOWER.test(next[0]!)) {
      next.unshift(current.pop()!)
    }
  }
  return runs.filter((run) => run.length > 0).map((run) => run.join(''))
}

export function formatNameAndDescription(event: FluxEvent): { name: string; description: string } {
  const name = `${event.involvedObject.kind ?? ''}/${event.involvedObject.name ?? ''}`.toLowerCase()
  const description = splitCamelcase(event.reason).join(' ').toLowerCase()
  return { name, description }
}

/**
 * Cuts a description to GitHub's limit. The controller never cuts (a long reason makes GitHub
 * answer 422 and the status is lost); we keep the first 139 characters and end with `…` so the
 * status still lands. Characters are code points, so an emoji is never split in half.
 */
export function fitDescription(description: string, limit = GITHUB_DESCRIPTION_LIMIT): string {
  const codePoints = [...description]
  if (codePoints.length <= limit) return description
  return codePoints.slice(0, limit - 1).join('') + '…'
}
