/**
 * Shared by the fuzz tests (`fuzz-*.test.ts`): seed texts from the repository's fixtures and
 * examples, and a fast-check arbitrary that damages a text the way people and tools do: a
 * character flipped, deleted or inserted, lines swapped or repeated, the text cut short, a value
 * turned into another type.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import fc from 'fast-check'

/** One fixed seed for every fuzz property, so that a failure reproduces (fast-check prints it). */
export const FUZZ_SEED = 7_2024

const ROOT = join(import.meta.dirname, '..', '..')

/** The files under `dirs` (relative to the repository) whose name ends in one of `extensions`. */
export function seedFiles(dirs: string[], extensions: string[], maxBytes = 16_000): string[] {
  const found: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry)
      const stat = statSync(path)
      if (stat.isDirectory()) walk(path)
      else if (extensions.some((e) => entry.endsWith(e)) && stat.size <= maxBytes) found.push(path)
    }
  }
  for (const dir of dirs) walk(join(ROOT, dir))
  return found.map((path) => relative(ROOT, path))
}

export function readSeed(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8')
}

/** Characters that mean something to YAML or JSON, or that no parser expects. */
const SPECIAL = [
  ...':-[]{},"\'&*!|>#%@`?\\\t \n\r',
  '\u0000',
  '\u0085',
  '\u2028',
  '\ufeff',
  '\ud800',
  '\udc00',
  '😀',
]

/** What a scalar is turned into ("change types"). */
const REPLACEMENTS = [
  '[]',
  '{}',
  '123',
  '-1.5e400',
  '0x1F',
  'null',
  '~',
  'true',
  'yes',
  '""',
  '"\\ud800"',
  '&anchor x',
  '*anchor',
  '*missing',
  '!!binary aGk=',
  '!!map',
  '|',
  '>-',
  '- a\n- b',
  '{a: [b, {c: d}]}',
  '<<: {k: v}',
  '? complex\n: key',
  '"unterminated',
  '${VAR}',
  '\n  nested: {',
  ']',
]

type Mutation =
  | { op: 'flip'; at: number; text: string }
  | { op: 'delete'; at: number; length: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'swapLines'; a: number; b: number }
  | { op: 'repeatLine'; a: number }
  | { op: 'truncate'; at: number }
  | { op: 'retype'; at: number; text: string }

const position = fc.nat({ max: 1_000_000 })
const special = fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ unit: 'binary', maxLength: 3 }))

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, text: special }),
  fc.record({
    op: fc.constant('delete' as const),
    at: position,
    length: fc.integer({ min: 1, max: 20 }),
  }),
  fc.record({
    op: fc.constant('insert' as const),
    at: position,
    text: fc.oneof(special, fc.constantFrom(...REPLACEMENTS)),
  }),
  fc.record({ op: fc.constant('swapLines' as const), a: position, b: position }),
  fc.record({ op: fc.constant('repeatLine' as const), a: position }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({
    op: fc.constant('retype' as const),
    at: position,
    text: fc.constantFrom(...REPLACEMENTS),
  }),
)

function apply(text: string, m: Mutation): string {
  const at = (n: number) => (text.length === 0 ? 0 : n % (text.length + 1))
  switch (m.op) {
    case 'flip': {
      const i = at(m.at)
      return text.slice(0, i) + m.text + text.slice(i + 1)
    }
    case 'delete': {
      const i = at(m.at)
      return text.slice(0, i) + text.slice(i + m.length)
    }
    case 'insert': {
      const i = at(m.at)
      return text.slice(0, i) + m.text + text.slice(i)
    }
    case 'truncate':
      return text.slice(0, at(m.at))
    case 'swapLines': {
      const lines = text.split('\n')
      const a = m.a % lines.length
      const b = m.b % lines.length
      ;[lines[a], lines[b]] = [lines[b]!, lines[a]!]
      return lines.join('\n')
    }
    case 'repeatLine': {
      const lines = text.split('\n')
      const a = m.a % lines.length
      lines.splice(a, 0, lines[a]!)
      return lines.join('\n')
    }
    case 'retype': {
      // the value after the n-th `: ` (a YAML or JSON scalar up to the end of its line or `,`)
      const colons = [...text.matchAll(/: ?/g)]
      if (colons.length === 0) return text
      const colon = colons[m.at % colons.length]!
      const start = colon.index + colon[0].length
      const rest = text.slice(start)
      const end = start + (/[,\n}]/.exec(rest)?.index ?? rest.length)
      return text.slice(0, start) + m.text + text.slice(end)
    }
  }
}

/** A seed text damaged by one to six mutations. */
export function mutated(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }))
    .map(([seed, mutations]) => mutations.reduce(apply, seed))
}

/** A problem message that is one line: no line break of any kind. */
export function isOneLine(message: string): boolean {
  return !/[\n\r\u2028\u2029\u0085]/.test(message)
}
