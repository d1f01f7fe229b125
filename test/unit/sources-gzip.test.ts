/**
 * Gzip-compressed event sources, recognised by their first bytes (1f 8b) whatever their name:
 * files, standard input, URLs served without Content-Encoding, the events-command's output; a
 * broken gzip stream is one Problem naming the source.
 */
import { Readable } from 'node:stream'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readEventsCommand } from '../../src/sources/command.js'
import { readEventFiles } from '../../src/sources/event-files.js'
import { readEventUrl } from '../../src/sources/url.js'
import { listenLoopback } from '../servers/http-fake.js'

const fixtures = fileURLToPath(new URL('../fixtures/events/', import.meta.url))

// generic-webhook.ndjson holds 7 Flux events, one per line (event-data reference §5).
const LINES = [1, 2, 3, 4, 5, 6, 7]
const FIRST_MESSAGE =
  'Deployment/apps/podinfo configured\nHorizontalPodAutoscaler/apps/podinfo created'

let dir: string
let ndjson: Buffer
let compressed: Buffer

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flux-notify-gzip-'))
  ndjson = await readFile(path.join(fixtures, 'generic-webhook.ndjson'))
  compressed = gzipSync(ndjson)
  await writeFile(path.join(dir, 'events.ndjson.gz'), compressed)
  await writeFile(path.join(dir, 'misnamed.json'), compressed)
  await writeFile(
    path.join(dir, 'bad.json.gz'),
    Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not deflate at all')]),
  )
  await writeFile(path.join(dir, 'cut.ndjson.gz'), compressed.subarray(0, compressed.length - 40))
  await writeFile(
    path.join(dir, 'list.json.gz'),
    gzipSync(await readFile(path.join(fixtures, 'kubectl-get-events.json'))),
  )
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('gzip sources', () => {
  it('a .gz file is inflated; lines are those of the inflated text', async () => {
    const result = await readEventFiles(['events.ndjson.gz'], dir)
    expect(result.problems).toEqual([])
    expect(result.events.map((e) => e.origin)).toEqual(
      LINES.map((line, index) => ({ source: 'events.ndjson.gz', index, line })),
    )
    expect(result.events[0]!.event.message).toBe(FIRST_MESSAGE)
  })

  it('the name does not matter: a gzip file called .json is inflated', async () => {
    const result = await readEventFiles(['misnamed.json'], dir)
    expect(result.problems).toEqual([])
    expect(result.events).toHaveLength(7)
  })

  it('a compressed kubectl List is read item by item', async () => {
    const result = await readEventFiles(['list.json.gz'], dir)
    // event-data reference §5.2: six Flux events, a Pod event and a trace event
    expect(result.events).toHaveLength(6)
    expect(result.ignored).toEqual({ nonFlux: 1, trace: 1 })
  })

  it('standard input, compressed, in chunks that split the magic bytes', async () => {
    const chunks = [compressed.subarray(0, 1), compressed.subarray(1, 2), compressed.subarray(2)]
    const result = await readEventFiles(['-'], dir, async () => Readable.from(chunks))
    expect(result.problems).toEqual([])
    expect(result.events.map((e) => e.origin)).toEqual(
      LINES.map((line, index) => ({ source: 'stdin', index, line })),
    )
  })

  it('a URL serving a .gz file as is (no Content-Encoding) is inflated', async () => {
    const server = await listenLoopback((_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/gzip',
        'content-length': String(compressed.length),
      })
      response.end(compressed)
    })
    try {
      const url = `${server.url}/events.ndjson.gz`
      const result = await readEventUrl(url)
      expect(result.problems).toEqual([])
      expect(result.events).toHaveLength(7)
      expect(result.events[0]!.origin).toEqual({ source: url, index: 0, line: 1 })
    } finally {
      await server.close()
    }
  })

  it("the events-command's compressed output is inflated", async () => {
    const result = await readEventsCommand('cat events.ndjson.gz', { cwd: dir })
    expect(result.problems).toEqual([])
    expect(result.events).toHaveLength(7)
  })

  it('a broken gzip stream is one Problem naming the file; the other files still load', async () => {
    const result = await readEventFiles(['bad.json.gz', 'events.ndjson.gz'], dir)
    expect(result.problems).toEqual([
      { severity: 'error', message: 'bad.json.gz: not a valid gzip stream' },
    ])
    expect(result.events.map((e) => e.origin.source)).toEqual(Array(7).fill('events.ndjson.gz'))
  })

  it('a cut gzip stream: one Problem; only whole lines before the cut are kept', async () => {
    const result = await readEventFiles(['cut.ndjson.gz'], dir)
    expect(result.problems).toEqual([
      { severity: 'error', message: 'cut.ndjson.gz: not a valid gzip stream' },
    ])
    const lines = result.events.map((e) => e.origin.line)
    expect(lines.length).toBeLessThan(7)
    expect(lines).toEqual(LINES.slice(0, lines.length))
  })

  it('a broken gzip stream on standard input is one Problem naming stdin', async () => {
    const result = await readEventFiles(['-'], dir, async () =>
      Readable.from([Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02])]),
    )
    expect(result).toEqual({
      events: [],
      problems: [{ severity: 'error', message: 'stdin: not a valid gzip stream' }],
      ignored: { nonFlux: 0, trace: 0 },
    })
  })
})
