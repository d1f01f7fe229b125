/**
 * The fast acceptance checks must never accept what the zod schemas refuse, and must accept the
 * ordinary shapes (or they would be useless). Inputs: the §5 samples, then every field of them
 * replaced by values of every JSON type.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  coreEventSchema,
  decodeFluxEventFields,
  fluxEventSchema,
  goFoldKey,
  isSimpleCoreEvent,
  isSimpleFluxEvent,
} from '../../src/events/schema.js'

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8'))

const coreSamples = (fixture('kubectl-get-events.json') as { items: Record<string, unknown>[] })
  .items
const fluxSamples = fixture('controller-events.json') as Record<string, unknown>[]

const REPLACEMENTS: unknown[] = [
  undefined,
  null,
  'x',
  '',
  0,
  1.5,
  true,
  [],
  ['x'],
  {},
  { a: 1 },
  { a: 'b' },
  { a: null },
]

/** Every sample with one field (top-level or one level down) replaced by every replacement. */
function mutations(
  samples: Record<string, unknown>[],
  extraKeys: string[],
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  for (const sample of samples) {
    const keys = new Set([...Object.keys(sample), ...extraKeys])
    for (const key of keys) {
      for (const value of REPLACEMENTS) out.push({ ...sample, [key]: value })
      const nested = sample[key]
      if (typeof nested === 'object' && nested !== null && !Array.isArray(nested)) {
        for (const inner of [...Object.keys(nested), 'annotations', 'kind']) {
          for (const value of REPLACEMENTS) {
            out.push({ ...sample, [key]: { ...(nested as object), [inner]: value } })
          }
        }
      }
    }
  }
  return out
}

const withoutNulls = (value: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined))

describe('isSimpleCoreEvent agrees with coreEventSchema', () => {
  it('accepts every kubectl sample', () => {
    for (const sample of coreSamples) expect(isSimpleCoreEvent(sample)).toBe(true)
  })

  it('accepts nothing zod refuses', () => {
    const inputs = mutations(coreSamples, ['series', 'source', 'eventTime'])
    let accepted = 0
    for (const input of inputs) {
      if (!isSimpleCoreEvent(input)) continue
      accepted++
      expect(coreEventSchema.safeParse(input).success, JSON.stringify(input)).toBe(true)
    }
    // the check is not vacuous: many mutations keep the event valid
    expect(accepted).toBeGreaterThan(100)
    expect(accepted).toBeLessThan(inputs.length)
  })
})

describe('isSimpleFluxEvent agrees with Go decoding + fluxEventSchema', () => {
  it('accepts every controller sample', () => {
    for (const sample of fluxSamples) expect(isSimpleFluxEvent(sample)).toBe(true)
  })

  it('accepts nothing zod refuses, and only what Go decoding leaves as it is', () => {
    const inputs = mutations(fluxSamples, ['Severity', 'INVOLVEDOBJECT', 'extra'])
    let accepted = 0
    for (const input of inputs) {
      if (!isSimpleFluxEvent(input)) continue
      accepted++
      const decoded = fluxEventSchema.safeParse(decodeFluxEventFields(input))
      expect(decoded.success, JSON.stringify(input)).toBe(true)
      const direct = fluxEventSchema.parse(input)
      expect(withoutNulls(direct)).toEqual(withoutNulls(decoded.data!))
    }
    expect(accepted).toBeGreaterThan(100)
    expect(accepted).toBeLessThan(inputs.length)
  })

  it('sends differently spelled keys to Go decoding', () => {
    const [sample] = fluxSamples
    expect(isSimpleFluxEvent({ ...sample, Severity: 'error' })).toBe(false)
  })
})

describe('goFoldKey', () => {
  it.each([
    ['severity', 'SEVERITY'],
    ['InvolvedObject', 'INVOLVEDOBJECT'],
    ['\u017Feverity', 'SEVERITY'],
    ['\u212Aind', 'KIND'],
    ['reportingcontroller', 'REPORTINGCONTROLLER'],
  ])('%s → %s', (key, folded) => {
    expect(goFoldKey(key)).toBe(folded)
  })

  it('leaves other non-ASCII letters alone (they fold onto no ASCII field name)', () => {
    expect(goFoldKey('ßeverity')).toBe('ßEVERITY')
    expect(goFoldKey('İnvolvedObject')).toBe('İNVOLVEDOBJECT')
  })
})
