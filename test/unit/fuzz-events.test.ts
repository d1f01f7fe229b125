/**
 * Bad event files, fuzzed (issue 7): random and mutated JSON, NDJSON, EventLists and YAML (the
 * fixtures and examples, damaged) through `parseEvents` and the streaming `parseEventStream`, cut
 * into random chunks (as text, and as bytes split anywhere, even inside a character): never a
 * throw, the same result for the same text however it is chunked, and every problem one line
 * naming the source. Fixed seed: a failure prints it and reproduces.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseEvents, parseEventStream, type ParsedEvents } from '../../src/events/parse.js'
import { FUZZ_SEED, isOneLine, mutated, readSeed, seedFiles } from './fuzz-mutations.js'

const SEEDS = seedFiles(
  ['test/fixtures/events', 'examples/events'],
  ['.json', '.ndjson', '.yaml'],
).map(readSeed)

const SOURCE = 'events/flux.json'
const MAX_MS_PER_INPUT = 3_000

function expectGoodResult(parsed: ParsedEvents): void {
  for (const problem of parsed.problems) {
    expect(isOneLine(problem.message), problem.message).toBe(true)
    const named = problem.location?.file === SOURCE || problem.message.startsWith(`${SOURCE}:`)
    expect(named, problem.message).toBe(true)
  }
  // Go decodes invalid UTF-8 and lone surrogate escapes as U+FFFD: so must we
  for (const { event } of parsed.events) {
    expect(JSON.stringify(event).isWellFormed()).toBe(true)
    expect(event.message.isWellFormed()).toBe(true)
    for (const [key, value] of Object.entries(event.metadata ?? {})) {
      expect(key.isWellFormed() && value.isWellFormed()).toBe(true)
    }
  }
}

/** `text` cut at `cuts` (positions modulo its length), in order. */
function pieces<T extends { length: number; slice(a: number, b?: number): T }>(
  text: T,
  cuts: number[],
): T[] {
  const at = [...new Set(cuts.map((c) => (text.length === 0 ? 0 : c % text.length)))].sort(
    (a, b) => a - b,
  )
  const out: T[] = []
  let start = 0
  for (const cut of at) {
    out.push(text.slice(start, cut))
    start = cut
  }
  out.push(text.slice(start))
  return out
}

async function* from<T>(chunks: T[]): AsyncGenerator<T> {
  for (const chunk of chunks) yield chunk
}

const cuts = fc.array(fc.nat({ max: 1_000_000 }), { maxLength: 8 })

async function checkAllWays(text: string, chunkAt: number[]): Promise<void> {
  const started = performance.now()
  const whole = parseEvents(text, SOURCE)
  expect(performance.now() - started).toBeLessThan(MAX_MS_PER_INPUT)
  expectGoodResult(whole)
  // text chunks: the same text, so the same result
  expect(await parseEventStream(from(pieces(text, chunkAt)), SOURCE)).toEqual(whole)
  // byte chunks, split anywhere: the same as the text the bytes decode to
  const bytes = new TextEncoder().encode(text)
  const decoded = parseEvents(new TextDecoder().decode(bytes), SOURCE)
  expect(await parseEventStream(from(pieces(bytes, chunkAt)), SOURCE)).toEqual(decoded)
}

describe('event files, fuzzed', () => {
  it('mutated fixtures: same result whole and in chunks; problems one line naming the source', async () => {
    expect(SEEDS.length).toBeGreaterThan(5)
    await fc.assert(fc.asyncProperty(mutated(SEEDS), cuts, checkAllWays), {
      seed: FUZZ_SEED,
      numRuns: 400,
    })
  })

  it('random JSON values, as JSON, NDJSON and YAML', async () => {
    const hostileKey = fc.oneof(
      fc.constantFrom(
        'kind',
        'items',
        'involvedObject',
        'metadata',
        'message',
        'client_payload',
        'object',
        'type',
        'severity',
        'timestamp',
        'apiVersion',
        'a\nb',
      ),
      fc.string({ maxLength: 4 }),
    )
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 10 }),
          fc.constantFrom('Event', 'Kustomization', 'a\nb', '\ud800', 'v1', 'EventList'),
        ),
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(hostileKey, tie('value'), { maxKeys: 5 }),
      ),
    }))
    const asText = fc
      .tuple(
        fc.array(value, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('json', 'ndjson', 'yaml', 'concat'),
      )
      .map(([values, format]) => {
        switch (format) {
          case 'json':
            return JSON.stringify(values, null, 2)
          case 'ndjson':
            return values.map((v) => JSON.stringify(v)).join('\n')
          case 'concat':
            return values.map((v) => JSON.stringify(v, null, 1)).join('')
          default:
            return values.map((v) => `---\n${JSON.stringify(v)}`).join('\n')
        }
      })
    await fc.assert(fc.asyncProperty(asText, cuts, checkAllWays), { seed: FUZZ_SEED, numRuns: 300 })
  })

  it('invalid UTF-8 bytes in an event file are read as U+FFFD, as Go reads them', async () => {
    const seedBytes = SEEDS.map((s) => new TextEncoder().encode(s))
    const damaged = fc
      .tuple(
        fc.constantFrom(...seedBytes),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x80, 0xbf, 0xc0, 0xc3, 0xed, 0xf5, 0xff)), {
          minLength: 1,
          maxLength: 5,
        }),
      )
      .map(([bytes, inserts]) => {
        const out = [...bytes]
        for (const [at, byte] of inserts) out.splice(at % (out.length + 1), 0, byte)
        return Uint8Array.from(out)
      })
    await fc.assert(
      fc.asyncProperty(damaged, cuts, async (bytes, chunkAt) => {
        const streamed = await parseEventStream(from(pieces(bytes, chunkAt)), SOURCE)
        expectGoodResult(streamed)
        expect(streamed).toEqual(parseEvents(new TextDecoder().decode(bytes), SOURCE))
      }),
      { seed: FUZZ_SEED, numRuns: 200 },
    )
  })

  it('a lone surrogate escape in an event reaches the event as U+FFFD', () => {
    const text = JSON.stringify({
      involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
      severity: 'info',
      message: 'x\ud800y',
      reason: 'R\udc00',
      metadata: { 'kustomize.toolkit.fluxcd.io/k\ud800': 'v\udfff' },
      reportingController: 'kustomize-controller',
    })
    expect(text).toContain('\\ud800') // JSON.stringify writes the escape, as a relay might
    const [sourced] = parseEvents(text, SOURCE).events
    expect(sourced!.event).toMatchObject({
      message: 'x\ufffdy',
      reason: 'R\ufffd',
      metadata: { 'kustomize.toolkit.fluxcd.io/k\ufffd': 'v\ufffd' },
    })
  })

  it('an alias bomb in a streamed YAML event file is refused with a clear message', async () => {
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    ].join('\n')
    const parsed = await parseEventStream(from(pieces(bomb, [7, 100, 200])), SOURCE)
    expect(parsed.events).toEqual([])
    expect(parsed.problems).toEqual([
      {
        severity: 'error',
        message: expect.stringMatching(/^invalid YAML: .*alias/i),
        location: { file: SOURCE, line: 1 },
      },
    ])
  })
})
