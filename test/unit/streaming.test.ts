/**
 * The pieces a run uses to route events as they are read: the reorder window, the decision log,
 * the streamed JSON results, and the readers handing events on as soon as their values are
 * complete.
 */
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { SourcedEvent } from '../../src/events/model.js'
import { parseEventStream } from '../../src/events/parse.js'
import { ResultsJsonWriter } from '../../src/report/outputs.js'
import { DecisionLog, type Decision } from '../../src/results.js'
import { ReorderWindow } from '../../src/routing/reorder.js'

/** A stand-in event: only `time` and the origin's index matter to the window. */
function at(time: number, index: number): SourcedEvent {
  return {
    event: {
      involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
      severity: 'info',
      timestamp: null,
      message: `m${index}`,
      reason: 'ReconciliationSucceeded',
      reportingController: 'kustomize-controller',
    },
    origin: { source: 'events.json', index },
    time,
  }
}

function order(times: number[], size: number): number[] {
  const out: number[] = []
  const window = new ReorderWindow((s) => out.push(s.origin.index), size)
  times.forEach((time, index) => window.push(at(time, index)))
  window.end()
  return out
}

describe('ReorderWindow', () => {
  it('within its size, routes by time, equal times in arrival order, untimed events last', () => {
    // indexes:   0   1    2   3    4   5   6
    const times = [30, NaN, 10, 30, NaN, 20, 10]
    expect(order(times, 100)).toEqual([2, 6, 5, 0, 3, 1, 4])
  })

  it('past its size, lets go of the oldest held event each time it is full', () => {
    // times 5, 1, 4, 3, 2 (indexes 0–4), two held: the third arrival lets t1 go, the fourth t3,
    // the fifth t2; the end lets t4 and t5 go
    expect(order([5, 1, 4, 3, 2], 2)).toEqual([1, 3, 4, 2, 0])
  })

  it('keeps an in-order stream in order whatever its size', () => {
    const times = Array.from({ length: 1000 }, (_, i) => 1_000 + i)
    expect(order(times, 16)).toEqual(times.map((_, i) => i))
  })

  it('holds at most its size', () => {
    let held = 0
    const window = new ReorderWindow(() => undefined, 50)
    for (let i = 0; i < 500; i++) {
      window.push(at(i % 7 === 0 ? NaN : 1_000 - i, i))
      held = Math.max(held, window.held)
    }
    expect(held).toBe(50)
    window.end()
    expect(window.held).toBe(0)
  })

  it('lets untimed events go, in order, when nothing timed is held', () => {
    // the third untimed arrival lets the first go; then t5, held alone with untimed ones, goes
    // first; the end lets the other two go in their order
    expect(order([NaN, NaN, NaN, 5], 2)).toEqual([0, 3, 1, 2])
  })
})

function row(reason: string, outcome: Decision['outcome'] = 'skipped'): Decision {
  return {
    event: 'Kustomization/flux-system/apps',
    eventReason: 'ReconciliationSucceeded',
    severity: 'info',
    timestamp: null,
    source: 'events.json#0',
    outcome,
    reason,
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

describe('DecisionLog', () => {
  it('passes rows on in the order they were added, each once it and every earlier one is final', async () => {
    const seen: string[] = []
    const log = new DecisionLog({
      sink: { row: (d) => seen.push(d.reason), ready: () => undefined },
    })
    const first = deferred()
    const third = deferred()
    const a = row('a', 'dry-run')
    const c = row('c', 'dry-run')
    log.add(a, first.promise)
    log.add(row('b'))
    log.add(c, third.promise)
    log.add(row('d'))
    expect(seen).toEqual([])
    expect(log.waiting).toBe(4)

    c.outcome = 'sent'
    third.resolve()
    await third.promise
    await Promise.resolve()
    expect(seen).toEqual([]) // 'a' still out

    a.outcome = 'failed'
    first.resolve()
    await log.drained()
    expect(seen).toEqual(['a', 'b', 'c', 'd'])
    expect(log.counts).toEqual({ sent: 1, unchanged: 0, skipped: 2, failed: 1, dryRun: 0 })
    expect(log.count).toBe(4)
    expect(log.failures.map((d) => d.reason)).toEqual(['a'])
  })

  it('finishes each row (the masking) before counting, keeping and handing it on', () => {
    const seen: string[] = []
    const log = new DecisionLog({
      finish: (d) => {
        d.reason = d.reason.replace('s3cret', '*****')
      },
      sink: { row: (d) => seen.push(d.reason), ready: () => undefined },
    })
    log.add(row('token s3cret refused', 'failed'))
    expect(seen).toEqual(['token ***** refused'])
    expect(log.kept[0]!.reason).toBe('token ***** refused')
    expect(log.failures[0]!.reason).toBe('token ***** refused')
  })

  it('keeps only the first rows and the first failures, and counts them all', () => {
    const log = new DecisionLog({ keep: 3 })
    for (let i = 0; i < 50; i++) log.add(row(`r${i}`, i % 2 === 0 ? 'failed' : 'dry-run'))
    expect(log.kept.map((d) => d.reason)).toEqual(['r0', 'r1', 'r2'])
    expect(log.failures).toHaveLength(10)
    expect(log.failures[9]!.reason).toBe('r18')
    expect(log.count).toBe(50)
    expect(log.counts).toEqual({ sent: 0, unchanged: 0, skipped: 0, failed: 25, dryRun: 25 })
  })

  it('ready() holds the caller back while too many rows wait, and lets go once they are passed on', async () => {
    const log = new DecisionLog()
    const held = deferred()
    log.add(row('head', 'sent'), held.promise)
    log.add(row('next'))
    expect(log.ready(3)).toBeUndefined()
    const wait = log.ready(2)
    expect(wait).toBeInstanceOf(Promise)
    let released = false
    void wait!.then(() => (released = true))
    await Promise.resolve()
    expect(released).toBe(false)
    held.resolve()
    await wait
    expect(released).toBe(true)
    expect(log.waiting).toBe(0)
  })

  it("ready() also waits for the sink's own back-pressure", async () => {
    const full = deferred()
    const log = new DecisionLog({ sink: { row: () => undefined, ready: () => full.promise } })
    const wait = log.ready(10)
    expect(wait).toBe(full.promise)
  })

  it('a delivery that rejects (a bug) does not stall the rows after it', async () => {
    const seen: string[] = []
    const log = new DecisionLog({
      sink: { row: (d) => seen.push(d.reason), ready: () => undefined },
    })
    log.add(row('bad', 'failed'), Promise.reject(new Error('bug')))
    log.add(row('after'))
    await log.drained()
    expect(seen).toEqual(['bad', 'after'])
  })
})

describe('ResultsJsonWriter', () => {
  function collect(): { stream: PassThrough; text: () => string } {
    const stream = new PassThrough()
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') }
  }

  it('writes the rows as one JSON array, in pieces, with the keys in the results order', async () => {
    const { stream, text } = collect()
    const writer = new ResultsJsonWriter(() => stream, 2)
    const rows = [row('a'), row('b', 'sent'), row('c', 'failed'), row('d'), row('e')]
    // built in another key order: written in the documented one, undefined fields left out
    rows[2] = {
      reason: 'c',
      outcome: 'failed',
      provider: 'flux-system/slack',
      alert: undefined,
      source: 'events.json#0',
      timestamp: null,
      severity: 'info',
      eventReason: 'ReconciliationSucceeded',
      event: 'Kustomization/flux-system/apps',
    }
    for (const r of rows) writer.row(r)
    await writer.end()
    const expected = [
      ...[row('a'), row('b', 'sent')],
      {
        event: 'Kustomization/flux-system/apps',
        eventReason: 'ReconciliationSucceeded',
        severity: 'info',
        timestamp: null,
        source: 'events.json#0',
        provider: 'flux-system/slack',
        outcome: 'failed',
        reason: 'c',
      },
      row('d'),
      row('e'),
    ]
    expect(text()).toBe(`${JSON.stringify(expected)}\n`)
  })

  it('writes [] for no rows, and opens nothing until the first write', async () => {
    let opened = 0
    const { stream, text } = collect()
    const writer = new ResultsJsonWriter(() => {
      opened++
      return stream
    })
    expect(opened).toBe(0)
    await writer.end()
    expect(opened).toBe(1)
    expect(text()).toBe('[]\n')
  })

  it('end() rejects when the stream failed', async () => {
    const stream = new PassThrough()
    const writer = new ResultsJsonWriter(() => stream, 1)
    writer.row(row('a'))
    stream.destroy(new Error('disk full'))
    await expect(writer.end()).rejects.toThrow('disk full')
  })
})

describe('parseEventStream with onEvents', () => {
  const line = (i: number) =>
    JSON.stringify({
      involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
      severity: 'info',
      timestamp: `2026-11-25T10:00:${String(i).padStart(2, '0')}Z`,
      message: `event ${i}`,
      reason: 'ReconciliationSucceeded',
      reportingController: 'kustomize-controller',
    })

  it('hands NDJSON events on chunk by chunk, before the source ends', async () => {
    const handed: number[][] = []
    async function* chunks() {
      yield `${line(0)}\n${line(1)}\n`
      // both events of the first chunk were handed on before the next chunk is asked for
      expect(handed).toEqual([[0, 1]])
      yield `${line(2)}\n`
    }
    const result = await parseEventStream(chunks(), 'events.ndjson', {
      onEvents: (events) => void handed.push(events.map((e) => e.origin.index)),
    })
    expect(handed).toEqual([[0, 1], [2]])
    expect(result.events).toEqual([])
  })

  it('waits for the promise onEvents returns before reading on', async () => {
    const gate = deferred()
    let pulled = 0
    async function* chunks() {
      pulled++
      yield `${line(0)}\n`
      pulled++
      yield `${line(1)}\n`
    }
    const done = parseEventStream(chunks(), 'events.ndjson', { onEvents: () => gate.promise })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(pulled).toBe(1)
    gate.resolve()
    await done
    expect(pulled).toBe(2)
  })

  it('hands a list on only once it is complete, and nothing of a list cut short', async () => {
    const list = `{"kind":"List","apiVersion":"v1","items":[${line(0)},\n${line(1)},\n`
    const handed: number[] = []
    async function* complete() {
      yield list
      expect(handed).toEqual([])
      yield `${line(2)}]}\n`
    }
    await parseEventStream(complete(), 'list.json', {
      onEvents: (events) => void handed.push(...events.map((e) => e.origin.index)),
    })
    expect(handed).toEqual([0, 1, 2])

    const cut: number[] = []
    async function* truncated() {
      yield list
    }
    const result = await parseEventStream(truncated(), 'cut.json', {
      onEvents: (events) => void cut.push(...events.map((e) => e.origin.index)),
    })
    expect(cut).toEqual([])
    expect(result.problems.length).toBeGreaterThan(0)
  })
})

describe('parseEventStream: bytes decoded as UTF-8 across chunks', () => {
  function lineBytes(message: Uint8Array): Uint8Array {
    const head = Buffer.from(
      '{"involvedObject":{"kind":"Kustomization","namespace":"flux-system","name":"apps"},' +
        '"severity":"info","timestamp":"2026-11-25T10:00:00Z","reason":"Progressing",' +
        '"reportingController":"kustomize-controller","message":"',
    )
    return Buffer.concat([head, message, Buffer.from('"}\n')])
  }

  async function messagesOf(chunks: Uint8Array[]): Promise<string[]> {
    async function* source() {
      for (const chunk of chunks) yield chunk
    }
    const result = await parseEventStream(source(), 'events.ndjson')
    return result.events.map((e) => e.event.message)
  }

  // valid multi-byte text, a sequence cut short before ASCII, a stray continuation byte
  const messages = [
    Buffer.from('héllo € 𝄞 ok'),
    Buffer.from([0x61, 0xe2, 0x82, 0x62, 0x63]),
    Buffer.from([0x61, 0x80, 0x62]),
  ]

  for (const message of messages) {
    it(`any cut of ${JSON.stringify([...message])} reads as the whole bytes decode`, async () => {
      const bytes = lineBytes(message)
      // what the platform's decoder makes of the whole line, replacement characters included
      const expected = JSON.parse(new TextDecoder().decode(bytes)) as { message: string }
      for (let cut = 1; cut < bytes.length; cut++) {
        const chunks = [bytes.subarray(0, cut), bytes.subarray(cut)]
        expect(await messagesOf(chunks), `cut at ${cut}`).toEqual([expected.message])
      }
    })
  }
})
