/**
 * `events` entries that are URLs, fetched from loopback servers: a kubectl EventList, NDJSON, a
 * gzip-encoded body, failures (404, refused connection, no answer) as one Problem naming the URL
 * with credentials redacted, the bearer token from `secrets: {events: {token}}` through the
 * pipeline, and the other sources still read when one URL fails.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runPipeline, type RunHost } from '../../src/pipeline.js'
import { readEventFiles } from '../../src/sources/event-files.js'
import { readEventUrl } from '../../src/sources/url.js'
import { startRecorder, type Recorder } from '../servers/recorder.js'

const fixtures = fileURLToPath(new URL('../fixtures/events/', import.meta.url))
const fixture = (name: string) => readFile(path.join(fixtures, name), 'utf8')

// The reasons of the Flux events in kubectl-get-events.json (event-data reference §5.2): the Pod
// event is not Flux's and the trace event is dropped.
const KUBECTL_REASONS = [
  'ReconciliationSucceeded',
  'HealthCheckFailed',
  'UpgradeFailed',
  'NewArtifact',
  'GitOperationFailed',
  'ReconciliationSucceeded',
]

let recorder: Recorder
let kubectlList: string
let ndjson: string

beforeAll(async () => {
  recorder = await startRecorder({ defaultResponse: { status: 404, body: 'not here' } })
  kubectlList = await fixture('kubectl-get-events.json')
  ndjson = await fixture('generic-webhook.ndjson')
})

afterAll(async () => {
  await recorder.close()
})

describe('readEventUrl', () => {
  it('fetches a kubectl EventList with GET; the URL is the source label', async () => {
    recorder.respond('/events.json', [
      { headers: { 'content-type': 'application/json' }, body: kubectlList },
    ])
    const url = `${recorder.url}/events.json`
    const before = recorder.requests.length
    const result = await readEventUrl(url)

    expect(result.events.map((e) => e.event.reason)).toEqual(KUBECTL_REASONS)
    expect(result.ignored).toEqual({ nonFlux: 1, trace: 1 })
    expect(result.events.every((e) => e.origin.source === url)).toBe(true)
    expect(result.events[0]!.event.metadata).toEqual({
      'kustomize.toolkit.fluxcd.io/commit_status': 'update',
      'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:450796ddb2ab6724ee1cc32a4be56da032d1cca0',
    })
    const request = recorder.requests[before]!
    expect(request.method).toBe('GET')
    expect(request.path).toBe('/events.json')
    expect(request.headers.authorization).toBeUndefined()
  })

  it('detects NDJSON in a body served as text', async () => {
    recorder.respond('/captures', [{ headers: { 'content-type': 'text/plain' }, body: ndjson }])
    const url = `${recorder.url}/captures?since=1h`
    const result = await readEventUrl(url)
    expect(result.problems).toEqual([])
    expect(result.events.map((e) => e.origin)).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((line, index) => ({ source: url, index, line })),
    )
  })

  it('decodes a gzip Content-Encoding', async () => {
    const compressed = gzipSync(Buffer.from(ndjson, 'utf8'))
    // The recorder answers with text; this body is binary, so a server of its own serves it.
    const server: Server = createServer((request, response) => {
      response.writeHead(200, {
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
        'content-length': String(compressed.byteLength),
      })
      response.end(compressed)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const result = await readEventUrl(`http://127.0.0.1:${port}/events.ndjson.gz`)
      expect(result.problems).toEqual([])
      expect(result.events).toHaveLength(7)
      expect(result.events[0]!.event.message).toBe(
        'Deployment/apps/podinfo configured\nHorizontalPodAutoscaler/apps/podinfo created',
      )
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('sends the bearer token', async () => {
    recorder.respond('/private', [{ body: ndjson }])
    const before = recorder.requests.length
    const result = await readEventUrl(`${recorder.url}/private`, { token: 'ev-t0ken' })
    expect(result.events).toHaveLength(7)
    expect(recorder.requests[before]!.headers.authorization).toBe('Bearer ev-t0ken')
  })

  it('a 404 is one error Problem naming the URL and the status', async () => {
    const url = `${recorder.url}/missing.json`
    const result = await readEventUrl(url)
    expect(result).toEqual({
      events: [],
      problems: [{ severity: 'error', message: `${url}: HTTP 404 Not Found` }],
      ignored: { nonFlux: 0, trace: 0 },
    })
  })

  it('credentials in the URL are sent as Basic auth and never shown', async () => {
    const host = recorder.url.slice('http://'.length)
    const before = recorder.requests.length
    const result = await readEventUrl(`http://flux:hunter2@${host}/missing.json`)
    expect(result.problems).toEqual([
      { severity: 'error', message: `http://***@${host}/missing.json: HTTP 404 Not Found` },
    ])
    expect(recorder.requests[before]!.headers.authorization).toBe(
      `Basic ${Buffer.from('flux:hunter2').toString('base64')}`,
    )
  })

  it('a refused connection is one error Problem naming the URL', async () => {
    // a port that was just free: a server listened on it and closed
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const url = `http://127.0.0.1:${port}/events.json`
    const result = await readEventUrl(url)
    expect(result.events).toEqual([])
    expect(result.problems).toEqual([
      {
        severity: 'error',
        message: `${url}: cannot fetch: connect ECONNREFUSED 127.0.0.1:${port}`,
      },
    ])
  })

  it('a server that never answers is cut off by the timeout', async () => {
    recorder.respond('/slow', [{ hang: true }])
    const url = `${recorder.url}/slow`
    const result = await readEventUrl(url, { timeoutMs: 300 })
    expect(result.problems).toEqual([
      { severity: 'error', message: `${url}: no complete answer within 0.3s` },
    ])
  })
})

describe('URL entries among the other `events` entries', () => {
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'flux-notify-url-'))
    await writeFile(path.join(dir, 'local.ndjson'), ndjson)
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('a failing URL is one Problem; the file and the other URL are still read, in order', async () => {
    recorder.respond('/ok.json', [{ body: kubectlList }])
    const ok = `${recorder.url}/ok.json`
    const gone = `${recorder.url}/gone.json`
    const result = await readEventFiles([gone, 'local.ndjson', ok, ok], dir)
    expect(result.problems.filter((p) => p.severity === 'error')).toEqual([
      { severity: 'error', message: `${gone}: HTTP 404 Not Found` },
    ])
    // the URL named twice is fetched once
    const sources = result.events.map((e) => e.origin.source)
    expect(sources).toEqual([...Array(7).fill('local.ndjson'), ...Array(6).fill(ok)])
  })

  it('the pipeline sends the token of `secrets: {events: {token}}` and masks it', async () => {
    await writeFile(path.join(dir, 'empty.yaml'), '')
    recorder.respond('/pipeline', [{ body: ndjson }])
    const before = recorder.requests.length
    const secrets: string[] = []
    const host: RunHost = {
      setSecret: (value) => secrets.push(value),
      info: () => {},
      env: {},
      readStdin: async () => '',
    }
    const report = await runPipeline(
      {
        manifests: ['empty.yaml'],
        namespace: 'flux-system',
        events: [`${recorder.url}/pipeline`],
        secrets: [{ text: '{"events": {"token": "pipe-t0ken"}}', label: 'secrets input' }],
        githubToken: '',
        rateLimitIntervalMs: 5 * 60_000,
        noCrossNamespaceRefs: false,
        dryRun: true,
        failOnError: true,
        cwd: dir,
      },
      host,
    )
    expect(recorder.requests[before]!.headers.authorization).toBe('Bearer pipe-t0ken')
    expect(secrets).toContain('pipe-t0ken')
    expect(report.eventStats.read).toBe(7)
  })
})
