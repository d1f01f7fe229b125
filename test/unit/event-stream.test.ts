/**
 * Event sources read as streams (`parseEventStream`): the same events, origins and problems
 * whatever the chunking; one value over 16 MiB refused with a one-line Problem naming the source
 * and line, the source left unread after it (even an endless one); long NDJSON streams.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parseEvents, parseEventStream } from '../../src/events/parse.js'
import { readEventsCommand } from '../../src/sources/command.js'
import { readEventFiles } from '../../src/sources/event-files.js'
import { readEventUrl } from '../../src/sources/url.js'
import { listenLoopback } from '../servers/http-fake.js'

const fixtures = fileURLToPath(new URL('../fixtures/events/', import.meta.url))
const fixture = (name: string) => readFile(path.join(fixtures, name))

const MiB = 1024 * 1024
const REFUSED = 'a single value larger than 16 MiB; refusing it'

function fluxEvent(name: string, message = 'Reconciliation finished'): Record<string, unknown> {
  return {
    involvedObject: {
      kind: 'Kustomization',
      namespace: 'flux-system',
      name,
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    },
    severity: 'info',
    timestamp: '2026-07-20T10:15:42Z',
    message,
    reason: 'ReconciliationSucceeded',
    reportingController: 'kustomize-controller',
  }
}

function coreEvent(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    involvedObject: {
      kind: 'Kustomization',
      namespace: 'flux-system',
      name,
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    },
    type: 'Normal',
    reason: 'ReconciliationSucceeded',
    message: 'Reconciliation finished',
    metadata: { name: `${name}.18c3f7fcb5d75915`, namespace: 'flux-system' },
    lastTimestamp: '2026-07-20T10:15:42Z',
    reportingComponent: 'kustomize-controller',
  }
}

/** The bytes in chunks of `size` (whole when undefined), as a stream would deliver them. */
async function* chunked(bytes: Uint8Array, size?: number): AsyncGenerator<Uint8Array> {
  if (size === undefined) {
    yield bytes
    return
  }
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

/** An endless or long source that counts what was pulled from it. */
function counted(chunks: Iterable<string>): {
  stream: AsyncGenerator<Uint8Array>
  pulled: () => number
  closed: () => boolean
} {
  let bytes = 0
  let closed = false
  const stream = (async function* () {
    try {
      for (const chunk of chunks) {
        const encoded = Buffer.from(chunk)
        bytes += encoded.length
        yield encoded
      }
    } finally {
      closed = true
    }
  })()
  return { stream, pulled: () => bytes, closed: () => closed }
}

/** `{"message":"xxxx…` for ever, on one line, in 64 KiB chunks. */
function* endlessLine(): Generator<string> {
  yield '{"message":"'
  const filler = 'x'.repeat(64 * 1024)
  for (;;) yield filler
}

const multiByte = 'déploiement réussi ✓ 🚀 ünïcødé'

const crafted: Record<string, string> = {
  'multi-byte UTF-8, NDJSON': [fluxEvent('a', multiByte), fluxEvent('b', '日本語のメッセージ')]
    .map((e) => JSON.stringify(e))
    .join('\n'),
  'CRLF NDJSON with a bad line': [
    JSON.stringify(fluxEvent('a')),
    '{"involvedObject": {"kind": "Kustomization"',
    '',
    JSON.stringify(fluxEvent('b', multiByte)),
  ].join('\r\n'),
  'CRLF pretty-printed List, items before kind': JSON.stringify(
    {
      items: [coreEvent('a'), coreEvent('b'), { kind: 'Event', involvedObject: 'x' }],
      apiVersion: 'v1',
      kind: 'List',
    },
    null,
    2,
  ).replace(/\n/g, '\r\n'),
  'concatenated pretty objects with a BOM': `\ufeff${JSON.stringify(coreEvent('a'), null, 4)}\n${JSON.stringify(coreEvent('b'), null, 4)}\n`,
  'truncated list': JSON.stringify(
    { kind: 'List', items: [coreEvent('a'), coreEvent('b')] },
    null,
    2,
  ).slice(0, -30),
  'syntax error after two values': `${JSON.stringify(fluxEvent('a'), null, 2)}\n${JSON.stringify(fluxEvent('b'), null, 2)}\n{"a": 1,, }`,
  'top-level array with a string element': `[\n  ${JSON.stringify(fluxEvent('a'))},\n  "hello ✓",\n  ${JSON.stringify(fluxEvent('b'))}\n]\n`,
  'YAML documents': [
    '# kubectl get events -w -o yaml',
    'apiVersion: v1',
    'kind: Event',
    'involvedObject: {kind: Kustomization, namespace: flux-system, name: apps, apiVersion: kustomize.toolkit.fluxcd.io/v1}',
    'type: Warning',
    'reason: BuildFailed',
    `message: "${multiByte}"`,
    '---',
    'apiVersion: v1',
    'kind: Event',
    'kind: Event',
    '---',
    'apiVersion: v1',
    'kind: Event',
    'involvedObject: {kind: Kustomization, namespace: flux-system, name: infra, apiVersion: kustomize.toolkit.fluxcd.io/v1}',
    'type: Normal',
    'reason: Progressing',
    'message: |+',
    '  two lines',
    '',
    '...',
    '',
  ].join('\r\n'),
}

describe('chunk boundaries change nothing', () => {
  const fixtureNames = [
    'kubectl-get-events.json',
    'kubectl-get-events.yaml',
    'kubectl-watch.json',
    'kubectl-watch-events.ndjson',
    'generic-webhook.ndjson',
    'events-k8s-io.json',
    'controller-events.json',
    'repository-dispatch.json',
  ]
  it.each(fixtureNames)('%s in 1-byte, 7-byte and whole chunks', async (name) => {
    const bytes = await fixture(name)
    const expected = parseEvents(bytes.toString('utf8'), name)
    expect(expected.events.length).toBeGreaterThan(0)
    for (const size of [1, 7, undefined]) {
      expect(await parseEventStream(chunked(bytes, size), name)).toEqual(expected)
    }
  })

  it.each(Object.keys(crafted))('%s', async (name) => {
    const bytes = Buffer.from(crafted[name]!, 'utf8')
    const expected = parseEvents(crafted[name]!, 'e')
    for (const size of [1, 7, undefined]) {
      expect(await parseEventStream(chunked(bytes, size), 'e')).toEqual(expected)
    }
  })

  it('multi-byte characters split between chunks arrive whole', async () => {
    const bytes = Buffer.from(crafted['multi-byte UTF-8, NDJSON']!, 'utf8')
    for (const size of [1, 2, 3, 5]) {
      const parsed = await parseEventStream(chunked(bytes, size), 'e.ndjson')
      expect(parsed.problems).toEqual([])
      expect(parsed.events.map((e) => e.event.message)).toEqual([multiByte, '日本語のメッセージ'])
    }
  })

  it('CRLF lines: NDJSON line numbers and the bad line', async () => {
    const bytes = Buffer.from(crafted['CRLF NDJSON with a bad line']!, 'utf8')
    const parsed = await parseEventStream(chunked(bytes, 7), 'e.ndjson')
    expect(parsed.events.map((e) => [e.origin.line, e.origin.index, e.event.message])).toEqual([
      [1, 0, 'Reconciliation finished'],
      [4, 2, multiByte],
    ])
    expect(parsed.problems).toEqual([
      {
        severity: 'error',
        message: "invalid JSON: unexpected end of input, expected ',' or '}'",
        location: { file: 'e.ndjson', line: 2, column: 45 },
      },
    ])
  })

  it('a List with items before kind: every item on its own line, the bad one named', async () => {
    const bytes = Buffer.from(crafted['CRLF pretty-printed List, items before kind']!, 'utf8')
    const parsed = await parseEventStream(chunked(bytes, 7), 'list.json')
    // 2-space indent: `{`, `"items": [`, then items of 19 lines each (involvedObject on 6
    // lines, metadata on 4)
    expect(parsed.events.map((e) => [e.origin.index, e.origin.line])).toEqual([
      [0, 3],
      [1, 22],
    ])
    expect(parsed.problems).toEqual([
      {
        severity: 'error',
        message: 'items[2]: involvedObject: expected object, received string',
        location: { file: 'list.json', line: 41 },
      },
    ])
  })

  it('a YAML `|+` block scalar at the end of a document keeps its line breaks', async () => {
    const bytes = Buffer.from(crafted['YAML documents']!, 'utf8')
    const parsed = await parseEventStream(chunked(bytes, 7), 'w.yaml')
    expect(parsed.events.map((e) => [e.origin.line, e.event.message])).toEqual([
      [2, multiByte],
      [13, 'two lines\n\n'],
    ])
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]!.location?.line).toBe(11)
  })

  it('a byte-order mark in bytes is dropped', async () => {
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify(fluxEvent('a'))),
    ])
    for (const size of [1, undefined]) {
      const parsed = await parseEventStream(chunked(bytes, size), 'e.json')
      expect(parsed.problems).toEqual([])
      expect(parsed.events).toHaveLength(1)
    }
  })
})

describe('one value over 16 MiB', () => {
  it('a 100 MB single line is refused after reading a little over 16 MiB of it', async () => {
    const lines = (function* () {
      let sent = 0
      for (const chunk of endlessLine()) {
        if (sent >= 100_000_000) return
        sent += chunk.length
        yield chunk
      }
    })()
    const source = counted(lines)
    const parsed = await parseEventStream(source.stream, 'events.json')
    expect(parsed.events).toEqual([])
    expect(parsed.problems).toEqual([
      { severity: 'error', message: REFUSED, location: { file: 'events.json', line: 1 } },
    ])
    expect(source.pulled()).toBeGreaterThan(16 * MiB)
    expect(source.pulled()).toBeLessThan(17 * MiB)
    expect(source.closed()).toBe(true)
  })

  it('NDJSON: the lines before are kept, the source stops at the long line', async () => {
    const good = JSON.stringify(fluxEvent('a'))
    const lines = (function* () {
      yield `${good}\n${good}\n`
      yield `{"message": "${'y'.repeat(17 * MiB)}"}\n`
      yield `${good}\n`
    })()
    const source = counted(lines)
    const parsed = await parseEventStream(source.stream, 'captures.ndjson')
    expect(parsed.events.map((e) => e.origin.line)).toEqual([1, 2])
    expect(parsed.problems).toEqual([
      { severity: 'error', message: REFUSED, location: { file: 'captures.ndjson', line: 3 } },
    ])
    // the line after the long one was never pulled
    expect(source.pulled()).toBeLessThan(2 * good.length + 17 * MiB + 20)
  })

  it('a List item over the limit drops the whole list and names the item line', async () => {
    const head = `{\n  "apiVersion": "v1",\n  "items": [\n    ${JSON.stringify(coreEvent('a'))},\n`
    const big = `    {"kind": "Event", "message": "${'z'.repeat(17 * MiB)}"}\n  ],\n  "kind": "List"\n}\n`
    const parsed = await parseEventStream(counted([head, big]).stream, 'list.json')
    expect(parsed.events).toEqual([])
    expect(parsed.problems).toEqual([
      { severity: 'error', message: REFUSED, location: { file: 'list.json', line: 5 } },
    ])
  })

  it("the API server's one-line EventList over the limit is read item by item", async () => {
    // `kubectl get --raw /api/v1/events`: compact, kind before items, no line break at all
    const count = 50_000
    const items = Array.from({ length: count }, (_, i) => JSON.stringify(coreEvent(`app-${i}`)))
    const text = `{"kind":"EventList","apiVersion":"v1","metadata":{"resourceVersion":"42"},"items":[${items.join(',')}]}`
    expect(text.length).toBeGreaterThan(16 * MiB)
    expect(text).not.toContain('\n')
    const pieces = (function* () {
      for (let i = 0; i < text.length; i += 64 * 1024) yield text.slice(i, i + 64 * 1024)
    })()
    const parsed = await parseEventStream(counted(pieces).stream, 'events.json')
    expect(parsed.problems).toEqual([])
    expect(parsed.events).toHaveLength(count)
    expect(parsed.events[0]!.origin).toEqual({ source: 'events.json', index: 0, line: 1 })
    expect(parsed.events[count - 1]!.origin).toEqual({
      source: 'events.json',
      index: count - 1,
      line: 1,
    })
    expect(parsed.events[count - 1]!.event.involvedObject.name).toBe(`app-${count - 1}`)
  })

  it('a one-line List with one item over the limit is still refused, naming line 1', async () => {
    const text =
      `{"kind":"List","apiVersion":"v1","items":[${JSON.stringify(coreEvent('a'))},` +
      `{"kind":"Event","message":"${'z'.repeat(17 * MiB)}"},${JSON.stringify(coreEvent('b'))}]}`
    const source = counted([
      text.slice(0, 8 * MiB),
      text.slice(8 * MiB, 16 * MiB),
      text.slice(16 * MiB),
    ])
    const parsed = await parseEventStream(source.stream, 'events.json')
    expect(parsed.events).toEqual([])
    expect(parsed.problems).toEqual([
      { severity: 'error', message: REFUSED, location: { file: 'events.json', line: 1 } },
    ])
  })

  it('a YAML document over the limit is refused with its first line', async () => {
    const yaml = `apiVersion: v1\nkind: Event\nmessage: ${'m'.repeat(17 * MiB)}\n`
    const parsed = await parseEventStream(counted([yaml]).stream, 'events.yaml')
    expect(parsed.problems).toEqual([
      { severity: 'error', message: REFUSED, location: { file: 'events.yaml', line: 1 } },
    ])
  })

  it('an endless standard input is refused and closed', async () => {
    const source = counted(endlessLine())
    const result = await readEventFiles(['-'], '/', async () => source.stream)
    expect(result.problems).toEqual([
      { severity: 'error', message: REFUSED, location: { file: 'stdin', line: 1 } },
    ])
    expect(source.closed()).toBe(true)
  })

  it('an events-command printing one endless line is refused and stopped', async () => {
    const command = `printf '{"message":"'; yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | tr -d '\\n'`
    const result = await readEventsCommand(command, { cwd: '/' })
    expect(result).toEqual({
      events: [],
      problems: [
        { severity: 'error', message: REFUSED, location: { file: 'events-command', line: 1 } },
      ],
      ignored: { nonFlux: 0, trace: 0 },
    })
  })

  it('a URL with an endless body is refused and the connection closed', async () => {
    let closed!: () => void
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve))
    const server = await listenLoopback((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.on('close', closed)
      const filler = Buffer.alloc(64 * 1024, 'x')
      response.write('{"message":"')
      const pump = (): void => {
        while (!response.destroyed && response.write(filler));
        if (!response.destroyed) response.once('drain', pump)
      }
      pump()
    })
    try {
      const url = `${server.url}/events.json`
      const result = await readEventUrl(url)
      expect(result.problems).toEqual([
        { severity: 'error', message: REFUSED, location: { file: url, line: 1 } },
      ])
      await connectionClosed
    } finally {
      await server.close()
    }
  })
})

describe('long streams', () => {
  it('200,000 NDJSON lines: every event, first and last with their lines', async () => {
    const count = 200_000
    const line = (i: number) => `${JSON.stringify(fluxEvent(`app-${i}`))}\n`
    const batches = (function* () {
      for (let i = 0; i < count; i += 1000) {
        let batch = ''
        for (let j = i; j < i + 1000; j++) batch += line(j)
        yield batch
      }
    })()
    const parsed = await parseEventStream(counted(batches).stream, 'big.ndjson')
    expect(parsed.problems).toEqual([])
    expect(parsed.events).toHaveLength(count)
    expect(parsed.events[0]!.origin).toEqual({ source: 'big.ndjson', index: 0, line: 1 })
    expect(parsed.events[0]!.event.involvedObject.name).toBe('app-0')
    expect(parsed.events[count - 1]!.origin).toEqual({
      source: 'big.ndjson',
      index: count - 1,
      line: count,
    })
    expect(parsed.events[count - 1]!.event.involvedObject.name).toBe(`app-${count - 1}`)
  })

  it('a pretty-printed List streamed item by item: lines of the first and last item', async () => {
    const count = 20_000
    const item = (i: number) =>
      JSON.stringify(coreEvent(`app-${i}`), null, 4)
        .split('\n')
        .map((l) => `        ${l}`)
        .join('\n')
    const chunks = (function* () {
      yield '{\n    "items": [\n'
      for (let i = 0; i < count; i++) yield `${item(i)}${i < count - 1 ? ',' : ''}\n`
      yield '    ],\n    "apiVersion": "v1",\n    "kind": "List",\n    "metadata": {"resourceVersion": ""}\n}\n'
    })()
    const parsed = await parseEventStream(counted(chunks).stream, 'kubectl.json')
    expect(parsed.problems).toEqual([])
    expect(parsed.events).toHaveLength(count)
    // each item is 19 lines: its braces, 10 fields, involvedObject's 4 and metadata's 2 inside
    expect(parsed.events[0]!.origin.line).toBe(3)
    expect(parsed.events[count - 1]!.origin.line).toBe(3 + (count - 1) * 19)
    expect(parsed.events[count - 1]!.event.involvedObject.name).toBe(`app-${count - 1}`)
  })
})
