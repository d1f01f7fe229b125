/**
 * Event files in the layouts tools write them, read as streams: kubectl's pretty-printed `List`
 * (four spaces, sorted keys), two spaces, tabs, CRLF, the API server's one-line `EventList`,
 * `kubectl get events -w -o json` (objects one after another), and layouts that look like those
 * but are not (a nested object closed at the indentation of its item, an item holding objects
 * that start with the item's first key). Whatever the layout and the chunking: every event, in
 * order, with the line its `{` is on; a syntax error named at its line and column.
 */
import { describe, expect, it } from 'vitest'
import { parseEvents, parseEventStream, type ParsedEvents } from '../../src/events/parse.js'

function coreEvent(i: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    count: 1,
    eventTime: null,
    firstTimestamp: '2026-07-20T10:15:40Z',
    involvedObject: {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      name: `app-${i}`,
      namespace: 'flux-system',
      uid: '10bede33-5804-4d9b-b60c-7f038d1c63a5',
    },
    kind: 'Event',
    lastTimestamp: '2026-07-20T10:15:42Z',
    message: `Deployment/flux-system/app-${i} configured {"replicas": ${i}}\n} ],`,
    metadata: {
      annotations: { 'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${i}` },
      name: `app-${i}.18c3f7fcb5d75915`,
      namespace: 'flux-system',
    },
    reason: 'ReconciliationSucceeded',
    reportingComponent: 'kustomize-controller',
    source: { component: 'kustomize-controller' },
    type: 'Normal',
  }
}

/** What each event should come out as: its position, its line, its name and message. */
type Seen = [index: number, line: number, name: string, message: string]

function seen(parsed: ParsedEvents): Seen[] {
  return parsed.events.map((e) => [
    e.origin.index,
    e.origin.line ?? -1,
    e.event.involvedObject.name ?? '',
    e.event.message,
  ])
}

const expectedSeen = (i: number, index: number, line: number): Seen => [
  index,
  line,
  `app-${i}`,
  `Deployment/flux-system/app-${i} configured {"replicas": ${i}}\n} ],`,
]

/**
 * A `List` written line by line as `kubectl get events -o json` writes it (with `unit` as the
 * indentation), and the line each item's `{` is on.
 */
function prettyList(count: number, unit: string): { lines: string[]; itemLines: number[] } {
  const lines = ['{', `${unit}"apiVersion": "v1",`, `${unit}"items": [`]
  const itemLines: number[] = []
  for (let i = 0; i < count; i++) {
    itemLines.push(lines.length + 1)
    const item = JSON.stringify(coreEvent(i), null, unit).split('\n')
    item.forEach((line, k) => {
      const last = k === item.length - 1 && i < count - 1
      lines.push(`${unit}${unit}${line}${last ? ',' : ''}`)
    })
  }
  lines.push(`${unit}],`, `${unit}"kind": "List",`, `${unit}"metadata": {`)
  lines.push(`${unit}${unit}"resourceVersion": ""`, `${unit}}`, '}')
  return { lines, itemLines }
}

async function* chunked(bytes: Uint8Array, size: number | undefined): AsyncGenerator<Uint8Array> {
  if (size === undefined) {
    yield bytes
    return
  }
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

/** The text streamed as bytes in chunks of each size (whole when undefined), and parsed whole. */
async function everyWay(
  text: string,
  sizes: (number | undefined)[] = [64 * 1024, 4099, 997, undefined],
): Promise<ParsedEvents[]> {
  const bytes = Buffer.from(text, 'utf8')
  const results = [parseEvents(text, 'events.json')]
  for (const size of sizes)
    results.push(await parseEventStream(chunked(bytes, size), 'events.json'))
  return results
}

describe('pretty-printed lists', () => {
  it.each([
    ['four spaces (kubectl)', '    ', '\n'],
    ['two spaces (jq)', '  ', '\n'],
    ['tabs', '\t', '\n'],
    ['four spaces, CRLF', '    ', '\r\n'],
  ])('%s: every item with the line of its `{`', async (_name, unit, eol) => {
    const count = 300
    const { lines, itemLines } = prettyList(count, unit)
    const expected = itemLines.map((line, i) => expectedSeen(i, i, line))
    for (const parsed of await everyWay(lines.join(eol))) {
      expect(parsed.problems).toEqual([])
      expect(seen(parsed)).toEqual(expected)
    }
  })

  it('a chunk that starts anywhere in the indentation of an item, or at its `{`', async () => {
    const { lines, itemLines } = prettyList(3, '    ')
    const text = lines.join('\n')
    const second = text.indexOf('\n        {', text.indexOf('app-0')) + 1
    const expected = itemLines.map((line, i) => expectedSeen(i, i, line))
    for (let cut = second - 2; cut <= second + 10; cut++) {
      const pieces = [text.slice(0, cut), text.slice(cut)]
      const parsed = await parseEventStream(
        (async function* () {
          yield* pieces
        })(),
        'events.json',
      )
      expect(seen(parsed)).toEqual(expected)
    }
  })

  it('a nested object closed at the indentation of its item does not end the item', async () => {
    const lines = [
      '[',
      '  {',
      '    "kind": "Event",',
      '    "involvedObject": {',
      '      "apiVersion": "kustomize.toolkit.fluxcd.io/v1",',
      '      "kind": "Kustomization",',
      '      "name": "app-0",',
      '      "namespace": "flux-system"',
      '  },',
      '    "message": "first",',
      '    "type": "Normal"',
      '  },',
      '  {',
      '    "kind": "Event",',
      '    "involvedObject": {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",',
      '  "name": "app-1", "namespace": "flux-system"',
      '  },',
      '    "message": "second",',
      '    "type": "Normal"',
      '  }',
      ']',
    ]
    for (const parsed of await everyWay(lines.join('\n'), [5, 64, undefined])) {
      expect(parsed.problems).toEqual([])
      expect(seen(parsed)).toEqual([
        [0, 2, 'app-0', 'first'],
        [1, 13, 'app-1', 'second'],
      ])
    }
  })

  it('closing braces indented unlike their opening ones: every item all the same', async () => {
    // `{` at two spaces, `}` at four: no item ends where a kubectl-like layout would
    const items = Array.from(
      { length: 40 },
      (_, i) => `  {\n${JSON.stringify(coreEvent(i), null, 6).slice(2, -2)}\n    }`,
    )
    const text = `[\n${items.join(',\n')}\n]\n`
    const itemLines: number[] = []
    text.split('\n').forEach((line, k) => {
      if (line === '  {') itemLines.push(k + 1)
    })
    expect(itemLines).toHaveLength(40)
    for (const parsed of await everyWay(text)) {
      expect(parsed.problems).toEqual([])
      expect(seen(parsed)).toEqual(itemLines.map((line, i) => expectedSeen(i, i, line)))
    }
  })

  it('values that are not objects among the items are named with their lines', async () => {
    const text = JSON.stringify([coreEvent(0), 42, 'x', [1], coreEvent(1)], null, 2)
    const lines = text.split('\n')
    const lineOf = (content: string) => lines.findIndex((l) => l === content) + 1
    for (const parsed of await everyWay(text)) {
      expect(seen(parsed)).toEqual([expectedSeen(0, 0, 2), expectedSeen(1, 4, lineOf('  [') + 3)])
      expect(parsed.problems.map((p) => [p.message, p.location?.line])).toEqual([
        ['[1]: expected an event object, found a number', lineOf('  42,')],
        ['[2]: expected an event object, found a string', lineOf('  "x",')],
        ['[3]: expected an event object, found an array', lineOf('  [')],
      ])
    }
  })

  it('a syntax error in an item: the list is dropped, the error named where it is', async () => {
    const { lines } = prettyList(5, '    ')
    // the third item's `"reason": "ReconciliationSucceeded",` gets a second comma
    const reasonLines = lines.flatMap((l, k) => (l.includes('"reason"') ? [k] : []))
    const bad = reasonLines[2]!
    lines[bad] = `${lines[bad]!},`
    const column = lines[bad]!.length
    for (const parsed of await everyWay(lines.join('\n'))) {
      expect(parsed.events).toEqual([])
      expect(parsed.problems).toEqual([
        {
          severity: 'error',
          message: 'invalid JSON: unexpected character ",", expected a double-quoted property name',
          location: { file: 'events.json', line: bad + 1, column },
        },
      ])
    }
  })

  it('a list over 1 MiB in one text: every item with its own line', async () => {
    const count = 1000
    const { lines, itemLines } = prettyList(count, '    ')
    const text = lines.join('\n')
    expect(text.length).toBeGreaterThan(1024 * 1024)
    const parsed = parseEvents(text, 'events.json')
    expect(parsed.problems).toEqual([])
    expect(seen(parsed)).toEqual(itemLines.map((line, i) => expectedSeen(i, i, line)))
  })
})

describe('one-line lists (the API server)', () => {
  it('items holding objects that start with the item first key are read whole', async () => {
    const item = (i: number) => {
      const { metadata, ...rest } = coreEvent(i)
      // `},{"metadata"` inside the item, as between two items
      return { metadata, related: [{ metadata: { n: 1 } }, { metadata: { n: 2 } }], ...rest }
    }
    const items = Array.from({ length: 200 }, (_, i) => item(i))
    const text = JSON.stringify({ kind: 'EventList', apiVersion: 'v1', metadata: {}, items })
    for (const parsed of await everyWay(text)) {
      expect(parsed.problems).toEqual([])
      expect(seen(parsed)).toEqual(items.map((_, i) => expectedSeen(i, i, 1)))
    }
  })

  it('a plain one-line list, in chunks of every size', async () => {
    const items = Array.from({ length: 500 }, (_, i) => coreEvent(i))
    const text = JSON.stringify({ kind: 'EventList', apiVersion: 'v1', metadata: {}, items })
    for (const parsed of await everyWay(text, [64 * 1024, 1000, 7, undefined])) {
      expect(parsed.problems).toEqual([])
      expect(seen(parsed)).toEqual(items.map((_, i) => expectedSeen(i, i, 1)))
    }
  })
})

describe('objects one after another (kubectl get events -w -o json)', () => {
  it('each event with its line, a list among them read item by item', async () => {
    const lines: string[] = []
    const expected: Seen[] = []
    let index = 0
    const add = (i: number) => {
      expected.push(expectedSeen(i, index++, lines.length + 1))
      lines.push(...JSON.stringify(coreEvent(i), null, 4).split('\n'))
    }
    for (let i = 0; i < 100; i++) add(i)
    // a List in the middle: its items keep their own lines
    lines.push('{', '    "items": [')
    for (let i = 100; i < 103; i++) {
      expected.push(expectedSeen(i, index++, lines.length + 1))
      const item = JSON.stringify(coreEvent(i), null, 4).split('\n')
      if (i < 102) item[item.length - 1] += ','
      lines.push(...item.map((l) => `        ${l}`))
    }
    lines.push('    ],', '    "kind": "List"', '}')
    for (let i = 103; i < 200; i++) add(i)
    for (const parsed of await everyWay(`${lines.join('\n')}\n`)) {
      expect(parsed.problems).toEqual([])
      expect(seen(parsed)).toEqual(expected)
    }
  })
})

describe('NDJSON', () => {
  it('blank and indented lines, a bad line, CRLF and no newline at the end', async () => {
    const event = (i: number) => JSON.stringify(coreEvent(i))
    for (const eol of ['\n', '\r\n']) {
      const text = [event(0), '', '   ', `  ${event(1)}`, '{bad', event(2), `${event(3)} `].join(
        eol,
      )
      const bytes = Buffer.from(text, 'utf8')
      for (const size of [1, 100, 4099, undefined]) {
        const parsed = await parseEventStream(chunked(bytes, size), 'events.ndjson')
        expect(seen(parsed)).toEqual([
          expectedSeen(0, 0, 1),
          expectedSeen(1, 1, 4),
          expectedSeen(2, 3, 6),
          expectedSeen(3, 4, 7),
        ])
        expect(parsed.problems).toEqual([
          {
            severity: 'error',
            message:
              'invalid JSON: unexpected character "b", expected a double-quoted property name',
            location: { file: 'events.ndjson', line: 5, column: 2 },
          },
        ])
      }
    }
  })
})
