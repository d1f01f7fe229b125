/**
 * End to end: no loss and no duplicates with `state: <file>` (design §3 and §6), through the
 * bundle (`node dist/index.js`) against a loopback receiver.
 *
 * The words the assertions use:
 * - a **delivery** is one (event × provider) pair of the plan; the receiver names it
 *   `<path> <event message>`, and every message is unique.
 * - a delivery is **acknowledged** when the receiver answered one of its requests with 2xx (the
 *   answer was handed to the socket). A request the receiver never answered, or answered with
 *   501, is not an acknowledgement: sending that delivery again later is a retry, not a duplicate.
 * - a **duplicate** is a delivery acknowledged more than once over all runs. One exception: an
 *   acknowledgement **in flight** when the process was killed — answered less than `IN_FLIGHT_MS`
 *   before the SIGKILL, in a run killed at a moment the receiver did not choose — may not have
 *   been read by the process yet, and no sender can know of an answer it never read. Such an
 *   acknowledgement may be followed by one more. An answer not yet read holds its delivery slot,
 *   so a killed run has at most `DEFAULT_CONCURRENCY` (8) of them. Kills the receiver chooses (after N answers,
 *   once the journal holds them; or when the final state save begins) leave nothing in flight,
 *   so there a second acknowledgement of anything is a duplicate, without exception.
 * - **loss**: after the final normal run, every delivery of the plan must have been acknowledged.
 *
 * After every killed run the state file is absent or valid (`parseState`), and the journal's
 * records (`parseJournal`, a cut last line ignored) number no more than the acknowledgements.
 */
import { watch, type FSWatcher } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONCURRENCY } from '../../src/delivery/deliver.js'
import { parseJournal, parseState } from '../../src/state/store.js'
import { eventList, k8sEvent, writeRepo } from './fleet.js'
import { runAction, startAction, type ActionResult } from './harness.js'

const STATE_DIR = '.flux-notify'
const STATE = `${STATE_DIR}/state.json`
const JOURNAL = `${STATE}.journal`
const ALREADY = 'already delivered by an earlier run (state)'
// generous: each journal record is fsynced, which on a busy disk holds up reading the next answer
const IN_FLIGHT_MS = 500
// timed kills: answers come this late, so deliveries take up a good part of the run
const ANSWER_DELAY_MS = 20
const START_MS = Date.parse('2026-07-20T10:00:00Z')

// ---- the fleet ------------------------------------------------------------------------------

/** One generic Provider and one Alert (all Kustomizations) per receiver path. */
function manifests(receiver: string, paths: readonly string[]): string {
  return paths
    .map(
      (path) => `
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: hook${path.replace(/\W/g, '-')}
  namespace: flux-system
spec:
  type: generic
  address: ${receiver}${path}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: all${path.replace(/\W/g, '-')}
  namespace: flux-system
spec:
  providerRef:
    name: hook${path.replace(/\W/g, '-')}
  eventSources:
    - kind: Kustomization
      name: '*'
`,
    )
    .join('---\n')
}

/** `count` events a second apart, message `event <i>`, over `objects` Kustomizations. */
function events(count: number, objects: number): string {
  return eventList(
    Array.from({ length: count }, (_, i) =>
      k8sEvent(
        {
          kind: 'Kustomization',
          name: `app-${i % objects}`,
          reason: 'Progressing',
          message: `event ${i}`,
          type: 'Normal',
          time: new Date(START_MS + i * 1000).toISOString().replace('.000Z', 'Z'),
          annotations: {},
        },
        i,
      ),
    ),
  )
}

function expectedDeliveries(count: number, paths: readonly string[]): string[] {
  return paths.flatMap((path) => Array.from({ length: count }, (_, i) => `${path} event ${i}`))
}

// ---- the receiver ---------------------------------------------------------------------------

/** What the receiver does with one request. */
type Answer = { status: number; delayMs?: number } | 'hold'

interface Acknowledgement {
  delivery: string
  run: number
  /** performance.now() when the 2xx answer was handed to the socket */
  at: number
}

interface Receiver {
  url: string
  /** every request received: delivery and run */
  requests: Array<{ delivery: string; run: number }>
  acks: Acknowledgement[]
  /** the run requests are counted against; set before each run */
  run: number
  /** decides each request's answer; `index` counts the requests of the current run from 0 */
  policy: (delivery: string, index: number) => Answer
  /** called after a 2xx answer was handed to the socket */
  onAck: (ack: Acknowledgement) => void
  close(): Promise<void>
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    requests: [],
    acks: [],
    run: 0,
    policy: () => ({ status: 200 }),
    onAck: () => undefined,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const held: ServerResponse[] = []
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const run = receiver.run
      const { message } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message: string }
      const delivery = `${request.url ?? ''} ${message}`
      const index = receiver.requests.filter((r) => r.run === run).length
      receiver.requests.push({ delivery, run })
      const answer = receiver.policy(delivery, index)
      if (answer === 'hold') {
        held.push(response)
        return
      }
      response.on('finish', () => {
        if (answer.status < 200 || answer.status > 299) return
        const ack = { delivery, run, at: performance.now() }
        receiver.acks.push(ack)
        receiver.onAck(ack)
      })
      const send = () =>
        response.writeHead(answer.status, { 'content-type': 'text/plain' }).end('ok')
      if (answer.delayMs) setTimeout(send, answer.delayMs)
      else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return receiver
}

// ---- runs -----------------------------------------------------------------------------------

interface Fleet {
  repo: string
  receiver: Receiver
  expected: string[]
}

async function newFleet(receiver: Receiver, count: number, objects: number, paths: string[]) {
  const repo = await writeRepo({
    'clusters/notifications.yaml': manifests(receiver.url, paths),
    'events.json': events(count, objects),
  })
  return { repo, receiver, expected: expectedDeliveries(count, paths) }
}

const INPUTS = {
  manifests: 'clusters',
  events: 'events.json',
  'github-token': '',
  state: STATE,
}

/** A run every request of which is answered 200 (after `delayMs`). */
async function normalRun(fleet: Fleet, delayMs = 0): Promise<ActionResult> {
  fleet.receiver.run++
  fleet.receiver.policy = () => ({ status: 200, delayMs })
  fleet.receiver.onAck = () => undefined
  const result = await runAction({ cwd: fleet.repo, inputs: INPUTS })
  expect(result.code, result.stdout + result.stderr).toBe(0)
  return result
}

interface KilledRun {
  /** when the SIGKILL was sent (performance.now()), or undefined when the run ended first */
  killedAt: number | undefined
  /** whether the receiver chose the moment (nothing in flight then) */
  chosen: boolean
  /** what the kill left on disk */
  left: string
}

/**
 * A run the receiver's `policy` answers, killed by `arm` (which gets the function that kills and
 * is called once the process is up). Returns when the process has gone.
 */
async function killedRun(
  fleet: Fleet,
  policy: Receiver['policy'],
  arm: (kill: () => void, pid: number) => { chosen: boolean; disarm?: () => void },
): Promise<KilledRun> {
  fleet.receiver.run++
  fleet.receiver.policy = policy
  const { child, result } = startAction({ cwd: fleet.repo, inputs: INPUTS })
  let killedAt: number | undefined
  const kill = () => {
    if (killedAt !== undefined || child.exitCode !== null) return
    killedAt = performance.now()
    child.kill('SIGKILL')
  }
  const armed = arm(kill, child.pid!)
  const ended = await result
  armed.disarm?.()
  fleet.receiver.onAck = () => undefined
  if (killedAt !== undefined) expect(ended.code).toBe(null)
  const left = await checkDisk(fleet, fleet.receiver.run)
  return { killedAt, chosen: armed.chosen, left }
}

/**
 * What a kill may leave: a state file that is absent or valid, and a journal (cut last line
 * ignored) holding no more records than the run's acknowledgements plus those of earlier killed
 * runs still unsaved. Returns a short description of what was there.
 */
async function checkDisk(fleet: Fleet, run: number): Promise<string> {
  const names = await readdir(join(fleet.repo, STATE_DIR)).catch(() => [] as string[])
  let left = ''
  if (names.includes('state.json')) {
    const parsed = parseState(await readFile(join(fleet.repo, STATE), 'utf8'))
    expect(parsed, 'state file after a kill').not.toHaveProperty('error')
    left += 'state '
  }
  if (names.includes('state.json.journal')) {
    const text = await readFile(join(fleet.repo, JOURNAL), 'utf8')
    const records = parseJournal(text)
    const acked = fleet.receiver.acks.filter((a) => a.run <= run).length
    expect(records.length).toBeLessThanOrEqual(acked)
    left += `journal(${records.length}) `
  }
  if (names.some((n) => n.startsWith('state.json.tmp-'))) left += 'tmp '
  return left.trim() || 'nothing'
}

async function journalRecords(fleet: Fleet): Promise<number> {
  try {
    return parseJournal(await readFile(join(fleet.repo, JOURNAL), 'utf8')).length
  } catch {
    return 0
  }
}

/**
 * Kills once `count` requests of this run were acknowledged and the journal holds them (waiting
 * at most 5 s: a journal that never gets there is a loss the final check then shows as a
 * duplicate). Requests after the `count`-th are held unanswered, so nothing is in flight.
 */
function killAfterAcks(fleet: Fleet, count: number) {
  // records of earlier killed runs are still in the journal
  let journalBefore = 0
  const policy: Receiver['policy'] = (_, index) => (index < count ? { status: 200 } : 'hold')
  const arm = (kill: () => void) => {
    let acked = 0
    fleet.receiver.onAck = () => {
      if (++acked !== count) return
      void (async () => {
        const deadline = performance.now() + 5000
        while (
          (await journalRecords(fleet)) < acked + journalBefore &&
          performance.now() < deadline
        ) {
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
        kill()
      })()
    }
    return { chosen: true }
  }
  return {
    policy,
    arm,
    async prepare() {
      journalBefore = await journalRecords(fleet)
    },
  }
}

/** Kills when a file whose name passes `test` appears or changes in the state directory. */
function killOnFile(fleet: Fleet, test: (name: string) => boolean) {
  return (kill: () => void) => {
    const watcher: FSWatcher = watch(join(fleet.repo, STATE_DIR), (_, name) => {
      if (name !== null && test(name)) kill()
    })
    // every delivery was journalled before the save begins: nothing is in flight
    return { chosen: true, disarm: () => watcher.close() }
  }
}

/** Kills `ms` after the process started, whatever it is doing then. */
function killAfter(ms: number) {
  return (kill: () => void) => {
    const timer = setTimeout(kill, ms)
    return { chosen: false, disarm: () => clearTimeout(timer) }
  }
}

/**
 * The totals over all runs: nothing lost, nothing acknowledged twice but what the rule in the
 * header allows. Returns, per second acknowledgement the in-flight rule excused, how long before
 * the kill the first one was answered (ms).
 */
function expectExactlyOnce(fleet: Fleet, kills: readonly KilledRun[]): number[] {
  const byDelivery = new Map<string, Acknowledgement[]>()
  for (const ack of fleet.receiver.acks) {
    byDelivery.set(ack.delivery, [...(byDelivery.get(ack.delivery) ?? []), ack])
  }
  const missing = fleet.expected.filter((d) => !byDelivery.has(d))
  expect(missing, 'deliveries never acknowledged (lost)').toEqual([])
  expect([...byDelivery.keys()].sort()).toEqual([...fleet.expected].sort())

  const excused: number[] = []
  const duplicates: string[] = []
  for (const [delivery, acks] of byDelivery) {
    for (const [i, ack] of acks.entries()) {
      if (i === 0) continue
      const previous = acks[i - 1]!
      // runs are numbered from 1; kills[run - 1] is how that run ended
      const kill = kills[previous.run - 1]
      const inFlight =
        kill !== undefined &&
        !kill.chosen &&
        kill.killedAt !== undefined &&
        kill.killedAt - previous.at < IN_FLIGHT_MS
      if (inFlight) excused.push(Math.round(kill.killedAt! - previous.at))
      else duplicates.push(`${delivery} (runs ${previous.run} and ${ack.run})`)
    }
  }
  expect(duplicates, 'acknowledged more than once').toEqual([])
  // with one killed run per call (as here), at most one unread answer per delivery slot
  expect(excused.length).toBeLessThanOrEqual(DEFAULT_CONCURRENCY * kills.length)
  return excused
}

/** After the final normal run: a valid state file alone, no journal, no temporary file. */
async function expectCleanState(fleet: Fleet): Promise<void> {
  expect(await readdir(join(fleet.repo, STATE_DIR))).toEqual(['state.json'])
  expect(parseState(await readFile(join(fleet.repo, STATE), 'utf8'))).not.toHaveProperty('error')
}

let receiver: Receiver
const repos: string[] = []

beforeAll(async () => {
  receiver = await startReceiver()
})

afterAll(async () => {
  await receiver.close()
  for (const repo of repos) await rm(repo, { recursive: true, force: true })
})

async function fleetOf(count: number, objects: number, paths: string[]): Promise<Fleet> {
  // a fresh receiver log per fleet; the server (and its URL) is shared
  receiver.requests.length = 0
  receiver.acks.length = 0
  receiver.run = 0
  const fleet = await newFleet(receiver, count, objects, paths)
  repos.push(fleet.repo)
  return fleet
}

/**
 * A state file holding `count` entries of earlier deliveries at the newest event's time (kept by
 * expiry), so the final save takes long enough for a kill to land inside it, and so a kill that
 * lost earlier state would show.
 */
async function seedState(fleet: Fleet, count: number, newestMs: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => i.toString(16).padStart(64, 'f'))
  await mkdir(join(fleet.repo, STATE_DIR), { recursive: true })
  await writeFile(
    join(fleet.repo, STATE),
    JSON.stringify({
      version: 1,
      deliveries: Object.fromEntries(keys.map((k) => [k, newestMs])),
      events: {},
      rateLimit: null,
    }),
  )
  return keys
}

async function expectSeedKept(fleet: Fleet, keys: readonly string[]): Promise<void> {
  const state = parseState(await readFile(join(fleet.repo, STATE), 'utf8'))
  if ('error' in state) throw new Error(state.error)
  expect(
    keys.filter((k) => !Object.hasOwn(state.deliveries, k)),
    'earlier state lost',
  ).toEqual([])
}

describe('SIGKILL with state: <file>', () => {
  it('killed when request #2 of one lane arrives, then a normal run: each event once', async () => {
    // one object, one provider: a single lane, so request #2 is sent only after #1 was answered
    const fleet = await fleetOf(4, 1, ['/one'])
    const kill = await killedRun(
      fleet,
      (_, index) => (index === 0 ? { status: 200 } : 'hold'),
      (killNow) => {
        const policy = fleet.receiver.policy
        // the kill comes before any answer to request #2
        fleet.receiver.policy = (delivery, index) => {
          if (index === 1) killNow()
          return policy(delivery, index)
        }
        return { chosen: true }
      },
    )
    expect(kill.killedAt).toBeDefined()
    expect(receiver.acks.map((a) => a.delivery)).toEqual(['/one event 0'])
    // the one acknowledged delivery was journalled before request #2 left
    expect(await journalRecords(fleet)).toBe(1)

    const second = await normalRun(fleet)
    expect(receiver.requests.filter((r) => r.run === 2).map((r) => r.delivery)).toEqual([
      '/one event 1',
      '/one event 2',
      '/one event 3',
    ])
    const rows = JSON.parse(second.outputs.results ?? '[]') as Array<Record<string, string>>
    expect(rows.filter((r) => r.reason === ALREADY)).toHaveLength(1)
    expect(second.outputs.sent).toBe('3')
    expectExactlyOnce(fleet, [kill])
    await expectCleanState(fleet)
  }, 60_000)

  it('killed after N acknowledgements under concurrency, for several N', async () => {
    const paths = ['/a', '/b', '/c']
    const log: string[] = []
    for (const count of [1, 7, 30, 89]) {
      const fleet = await fleetOf(30, 5, paths)
      const plan = killAfterAcks(fleet, count)
      await plan.prepare()
      const kill = await killedRun(fleet, plan.policy, plan.arm)
      expect(kill.killedAt, `killed after ${count}`).toBeDefined()
      expect(receiver.acks).toHaveLength(count)
      expect(await journalRecords(fleet)).toBe(count)
      await normalRun(fleet)
      expectExactlyOnce(fleet, [kill])
      await expectCleanState(fleet)
      log.push(`N=${count}: ${kill.left}`)
    }
    expect(log).toHaveLength(4)
  }, 120_000)

  it('killed three times in a row (journal appended to by each), then a normal run', async () => {
    const fleet = await fleetOf(30, 5, ['/a', '/b', '/c'])
    const kills: KilledRun[] = []
    for (const count of [5, 11, 17]) {
      const plan = killAfterAcks(fleet, count)
      await plan.prepare()
      kills.push(await killedRun(fleet, plan.policy, plan.arm))
    }
    // no save happened in between: the journal holds every acknowledgement of the three runs
    expect(await journalRecords(fleet)).toBe(5 + 11 + 17)
    await normalRun(fleet)
    expect(expectExactlyOnce(fleet, kills)).toEqual([])
    await expectCleanState(fleet)
  }, 120_000)

  it('a journal whose last line was cut, then a killed run, then a normal run', async () => {
    const fleet = await fleetOf(20, 4, ['/a', '/b'])
    await mkdir(join(fleet.repo, STATE_DIR), { recursive: true })
    // what a write cut short leaves (no newline): the next run's records must not be glued to it
    await writeFile(join(fleet.repo, JOURNAL), '{"key":"0123abc","ti')
    const plan = killAfterAcks(fleet, 6)
    await plan.prepare()
    const kill = await killedRun(fleet, plan.policy, plan.arm)
    expect(await journalRecords(fleet)).toBe(6)
    await normalRun(fleet)
    expect(expectExactlyOnce(fleet, [kill])).toEqual([])
    await expectCleanState(fleet)
  }, 60_000)

  it('killed during the final state save, and at timed points through a run', async () => {
    const paths = ['/a', '/b', '/c']
    const newest = START_MS + 29 * 1000
    const left: string[] = []
    const excused: number[] = []

    // the save: when the temporary file appears (before the rename), and when the state file is
    // replaced (between the rename and the journal's removal, or just after)
    for (const point of ['tmp', 'renamed'] as const) {
      const fleet = await fleetOf(30, 5, paths)
      const seed = await seedState(fleet, 40_000, newest)
      const test =
        point === 'tmp'
          ? (name: string) => name.startsWith('state.json.tmp-')
          : (name: string) => name === 'state.json'
      const kill = await killedRun(fleet, () => ({ status: 200 }), killOnFile(fleet, test))
      left.push(`${point}: ${kill.killedAt === undefined ? 'ran to the end' : kill.left}`)
      // every delivery was acknowledged before the save began
      expect(new Set(receiver.acks.map((a) => a.delivery)).size).toBe(fleet.expected.length)
      await normalRun(fleet)
      expect(receiver.requests.filter((r) => r.run === 2)).toEqual([])
      excused.push(...expectExactlyOnce(fleet, [kill]))
      await expectSeedKept(fleet, seed)
      await expectCleanState(fleet)
    }

    // timed: a full run's length measured first, then kills spread over it and a little past it
    const probe = await fleetOf(30, 5, paths)
    await seedState(probe, 40_000, newest)
    const started = performance.now()
    await normalRun(probe, ANSWER_DELAY_MS)
    const fullMs = performance.now() - started
    for (const fraction of [0.15, 0.3, 0.45, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0]) {
      const fleet = await fleetOf(30, 5, paths)
      const seed = await seedState(fleet, 40_000, newest)
      const kill = await killedRun(
        fleet,
        () => ({ status: 200, delayMs: ANSWER_DELAY_MS }),
        killAfter(Math.round(fullMs * fraction)),
      )
      left.push(
        `${fraction}: ${kill.killedAt === undefined ? 'ran to the end' : kill.left}, ${receiver.acks.length} acks`,
      )
      await normalRun(fleet)
      excused.push(...expectExactlyOnce(fleet, [kill]))
      await expectSeedKept(fleet, seed)
      await expectCleanState(fleet)
    }
    console.info(
      `kill points (run ${Math.round(fullMs)} ms): ${left.join('; ')}; excused ${excused.length} in flight (answered ${Math.max(0, ...excused)} ms before the kill at most)`,
    )
  }, 240_000)
})

describe('concurrent deliveries with random failures', () => {
  it('run 1: each delivery acknowledged or failed, never both; run 2 retries exactly the failed', async () => {
    const paths = ['/a', '/b', '/c']
    const count = 20
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 9 }), {
          minLength: count * paths.length,
          maxLength: count * paths.length,
        }),
        async (dice) => {
          const fleet = await fleetOf(count, 4, paths)
          // about 30% fail, each for every attempt: 501 is not retried, so a failure is fast
          const failing = new Set(fleet.expected.filter((_, i) => dice[i]! < 3))
          fleet.receiver.run = 1
          fleet.receiver.policy = (delivery) => ({ status: failing.has(delivery) ? 501 : 200 })
          const first = await runAction({ cwd: fleet.repo, inputs: INPUTS })
          expect(first.code, first.stdout + first.stderr).toBe(failing.size > 0 ? 1 : 0)

          const run1 = receiver.requests.filter((r) => r.run === 1).map((r) => r.delivery)
          expect([...run1].sort(), 'each delivery tried once').toEqual([...fleet.expected].sort())
          const rows = JSON.parse(first.outputs.results ?? '[]') as Array<Record<string, string>>
          expect(rows).toHaveLength(fleet.expected.length)
          const sent = rows.filter((r) => r.outcome === 'sent').map(rowDelivery)
          const failed = rows.filter((r) => r.outcome === 'failed').map(rowDelivery)
          expect(sent.length + failed.length).toBe(rows.length)
          expect(failed.sort()).toEqual([...failing].sort())
          expect(sent.sort()).toEqual(receiver.acks.map((a) => a.delivery).sort())
          expect(first.outputs.failed).toBe(String(failing.size))

          fleet.receiver.run = 2
          fleet.receiver.policy = () => ({ status: 200 })
          const second = await runAction({ cwd: fleet.repo, inputs: INPUTS })
          expect(second.code, second.stdout + second.stderr).toBe(0)
          const run2 = receiver.requests.filter((r) => r.run === 2).map((r) => r.delivery)
          expect(run2.sort(), 'exactly the failed ones again').toEqual([...failing].sort())
          const rows2 = JSON.parse(second.outputs.results ?? '[]') as Array<Record<string, string>>
          expect(
            rows2
              .filter((r) => r.outcome === 'sent')
              .map(rowDelivery)
              .sort(),
          ).toEqual([...failing].sort())
          expect(rows2.filter((r) => r.reason === ALREADY)).toHaveLength(
            fleet.expected.length - failing.size,
          )
          expectExactlyOnce(fleet, [])
          await expectCleanState(fleet)
        },
      ),
      // the edge cases first: everything fails, nothing fails
      {
        numRuns: 6,
        examples: [[Array.from({ length: 60 }, () => 0)], [Array.from({ length: 60 }, () => 9)]],
      },
    )
  }, 240_000)
})

/** `<path> event <i>` of a results row: the provider's path and the event's time. */
function rowDelivery(row: Record<string, string>): string {
  const path = `/${(row.provider ?? '').replace('flux-system/hook-', '')}`
  const index = (Date.parse(row.timestamp ?? '') - START_MS) / 1000
  return `${path} event ${index}`
}
