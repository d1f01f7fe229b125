/**
 * Properties of the state store (design §3) under arbitrary input: a journal cut at any byte
 * never throws and never yields a record that was not written whole; merging a journal is
 * idempotent and loses nothing; expiry keeps exactly the entries inside the retention; dropping
 * what was delivered keeps exactly the rest, in order. The file journal itself is checked for the
 * case a killed run leaves behind: a cut last line followed by the next run's appends.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import type { SourcedEvent } from '../../src/events/model.js'
import { FixedWindowLimiter } from '../../src/routing/rate-limit.js'
import { planNotifications } from '../../src/routing/plan.js'
import { journalPath, loadStateFile, StateJournal } from '../../src/state/file.js'
import {
  ALREADY_DELIVERED_REASON,
  dropDelivered,
  emptyState,
  expireState,
  journalLine,
  mergeJournal,
  parseJournal,
  plannedDeliveryKey,
  retentionMs,
  type JournalRecord,
  type StateStore,
} from '../../src/state/store.js'
import {
  alert,
  config,
  event,
  providerManifest,
  resolvedMap,
  sourced,
} from '../support/factories.js'

// a fixed seed: a failure reproduces, and CI never turns red by chance (fast-check prints the
// seed and path of a counterexample)
fc.configureGlobal({ seed: 20261125 })

const MINUTE = 60 * 1000
const HOUR = 60 * MINUTE

// Keys as the store makes them (hex SHA-256), and any non-empty string: the journal is only ever
// read back, so it must cope with whatever a key could be.
const hexKey = fc.string({
  unit: fc.constantFrom(...'0123456789abcdef'),
  minLength: 64,
  maxLength: 64,
})
const anyKey = fc.oneof(hexKey, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }))
const time = fc.integer({ min: 0, max: 4_102_444_800_000 })
const record = fc.record({ key: anyKey, time })
const records = fc.array(record, { maxLength: 30 })

const stateOf = (deliveries: Array<[string, number]>): StateStore => ({
  ...emptyState(),
  deliveries: Object.fromEntries(deliveries),
})
const state = fc.array(fc.tuple(hexKey, time), { maxLength: 30 }).map((entries) => stateOf(entries))

/** The records whose whole JSON text lies within the first `cut` bytes of the journal. */
function wholeRecordsWithin(written: readonly JournalRecord[], cut: number): JournalRecord[] {
  const whole: JournalRecord[] = []
  let end = 0
  for (const r of written) {
    const line = Buffer.byteLength(journalLine(r), 'utf8')
    // the JSON ends one byte before the newline
    if (end + line - 1 > cut) break
    whole.push(r)
    end += line
  }
  return whole
}

describe('parseJournal', () => {
  it('reads a journal cut at any byte: the records written whole, nothing else', () => {
    fc.assert(
      fc.property(records, fc.nat(), (written, at) => {
        const bytes = Buffer.from(written.map(journalLine).join(''), 'utf8')
        const cut = bytes.byteLength === 0 ? 0 : at % (bytes.byteLength + 1)
        // read back as the file store does: bytes decoded as UTF-8, a cut character and all
        const text = bytes.subarray(0, cut).toString('utf8')
        expect(parseJournal(text)).toEqual(
          wholeRecordsWithin(written, cut).map((r) => ({ key: r.key, time: r.time })),
        )
      }),
      { numRuns: 500 },
    )
  })

  it('never throws on any text, and returns only well-formed records', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        for (const r of parseJournal(text)) {
          expect(typeof r.key).toBe('string')
          expect(r.key.length).toBeGreaterThan(0)
          expect(Number.isFinite(r.time)).toBe(true)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('skips garbage lines between records without losing the records around them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(record, fc.string({ maxLength: 40 })), { maxLength: 20 }),
        (lines) => {
          const text = lines
            .map((l) => (typeof l === 'string' ? `${l.replace(/\n/g, '')}\n` : journalLine(l)))
            .join('')
          const parsed = parseJournal(text)
          const written = lines.filter((l): l is JournalRecord => typeof l !== 'string')
          // a garbage line may itself be a record by chance ('{"key":"a","time":1}'): the
          // records written must come back in order, among whatever else parses
          let next = 0
          for (const r of parsed) if (next < written.length && r.key === written[next]!.key) next++
          expect(next).toBe(written.length)
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('mergeJournal', () => {
  it('keeps a key that is an Object.prototype name as data', () => {
    const merged = mergeJournal(stateOf([]), [{ key: '__proto__', time: 1 }])
    expect(Object.hasOwn(merged.deliveries, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(merged.deliveries)).toBe(Object.prototype)
  })

  it('is idempotent, changes nothing it is given, and loses no entry', () => {
    fc.assert(
      fc.property(state, records, (before, journal) => {
        const copy = structuredClone(before)
        const once = mergeJournal(before, journal)
        expect(before).toEqual(copy)
        expect(mergeJournal(once, journal)).toEqual(once)
        for (const key of Object.keys(before.deliveries))
          expect(Object.hasOwn(once.deliveries, key)).toBe(true)
        for (const r of journal) expect(Object.hasOwn(once.deliveries, r.key)).toBe(true)
        // merging in two parts is merging at once: a journal appended to by two runs
        const split = Math.floor(journal.length / 2)
        expect(
          mergeJournal(mergeJournal(before, journal.slice(0, split)), journal.slice(split)),
        ).toEqual(once)
      }),
      { numRuns: 300 },
    )
  })
})

describe('expireState', () => {
  it('keeps exactly the entries within the retention of the newest time, and is idempotent', () => {
    fc.assert(
      fc.property(
        state,
        time,
        fc.integer({ min: 1, max: 48 * HOUR }),
        (before, newest, interval) => {
          const copy = structuredClone(before)
          const kept = expireState(before, newest, interval)
          expect(before).toEqual(copy)
          const oldest = newest - retentionMs(interval)
          expect(kept.deliveries).toEqual(
            Object.fromEntries(Object.entries(before.deliveries).filter(([, t]) => t >= oldest)),
          )
          expect(expireState(kept, newest, interval)).toEqual(kept)
        },
      ),
      { numRuns: 300 },
    )
  })
})

// A Slack alert on Bucket foo-ns/hyacinth, as in the routing tests.
const slack = providerManifest('slack', { address: 'http://127.0.0.1:1/slack' })
const cfg = config([alert({ provider: 'test-provider' })], [slack])
const providers = resolvedMap([slack])
const OPTIONS = { rateLimitIntervalMs: 5 * MINUTE, noCrossNamespaceRefs: false }

function plannedEvents(count: number): SourcedEvent[] {
  const start = Date.parse('2024-05-01T10:00:00Z')
  return Array.from({ length: count }, (_, i) =>
    sourced(
      event({ message: `event ${i}`, timestamp: new Date(start + i * 1000).toISOString() }),
      i,
    ),
  )
}

describe('dropDelivered', () => {
  it('skips exactly the deliveries the state holds and keeps the rest in order', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 25 }), (delivered) => {
        const plan = planNotifications(
          plannedEvents(delivered.length),
          cfg,
          providers,
          OPTIONS,
          new FixedWindowLimiter(5 * MINUTE),
        )
        expect(plan.deliveries).toHaveLength(delivered.length)
        const store = emptyState()
        plan.deliveries.forEach((d, i) => {
          if (delivered[i]) store.deliveries[plannedDeliveryKey(d)!] = i
        })
        const remaining = dropDelivered(plan.deliveries, store)
        expect(remaining).toEqual(plan.deliveries.filter((_, i) => !delivered[i]))
        plan.deliveries.forEach((d, i) => {
          if (delivered[i]) {
            expect(d.decision).toMatchObject({
              outcome: 'skipped',
              reason: ALREADY_DELIVERED_REASON,
            })
          } else {
            expect(d.decision.outcome).toBe('dry-run')
          }
        })
        // what is left has nothing more to drop
        expect(dropDelivered(remaining, store)).toEqual(remaining)
      }),
      { numRuns: 100 },
    )
  })
})

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('the file journal after a killed run', () => {
  it("keeps every record a run appends after a cut last line, and the old run's whole ones", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: hexKey, time }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.array(fc.record({ key: hexKey, time }), { minLength: 1, maxLength: 8 }),
        (killedRun, at, nextRun) => {
          const dir = mkdtempSync(join(tmpdir(), 'flux-notify-journal-'))
          dirs.push(dir)
          const path = join(dir, 'state.json')
          const old = Buffer.from(killedRun.map(journalLine).join(''), 'utf8')
          const cut = at % (old.byteLength + 1)
          writeFileSync(journalPath(path), old.subarray(0, cut))

          const problems: unknown[] = []
          const journal = new StateJournal(path, (p) => problems.push(p))
          for (const r of nextRun) journal.append(r)
          journal.close()
          expect(problems).toEqual([])

          const read = parseJournal(readFileSync(journalPath(path), 'utf8'))
          expect(read).toEqual([...wholeRecordsWithin(killedRun, cut), ...nextRun])
          const { state: loaded } = loadStateFile(path)
          expect(loaded.deliveries).toEqual(
            mergeJournal(emptyState(), [...wholeRecordsWithin(killedRun, cut), ...nextRun])
              .deliveries,
          )
        },
      ),
      { numRuns: 60 },
    )
  })
})
