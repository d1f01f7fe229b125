/**
 * `sentry` per reference §5.10, §8.1 (the `toSentryEvent` / span-tag goldens), §8.2 and §8.3:
 * info → a transaction envelope item, error → an event item, anything else nothing; the envelope
 * endpoint and `X-Sentry-Auth` from the DSN, with sentry-go's DSN errors.
 */
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { sentry } from '../../src/providers/sentry.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { errorTestEvent, resolvedProvider, testEvent } from '../support/factories.js'

/** §8.1 generic body of testEvent: the event JSON the ids are derived from. */
const INFO_EVENT_JSON =
  '{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp"},"severity":"info","timestamp":"2022-09-30T06:40:29Z","message":"message","reason":"reason","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}'

const UID = '0c9c2e41'
const DSN = 'https://public@o1.ingest.sentry.io/42'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('sentry', { address: DSN, channel: 'prod', uid: UID, ...overrides })
}

function render(event: FluxEvent, provider = resolved()): HttpRequestSpec {
  const rendered = sentry.render({ event, alert: {} as Alert, provider })
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

/** Our documented id derivation: SHA-256 over `<provider uid>\n<event JSON>`. */
function ids(eventJson: string, uid = UID) {
  const digest = createHash('sha256').update(`${uid}\n${eventJson}`).digest()
  return {
    eventId: digest.subarray(0, 16).toString('hex'),
    traceId: digest.subarray(16, 32).toString('hex'),
    spanId: createHash('sha256').update(digest).digest().subarray(0, 8).toString('hex'),
  }
}

function lines(body: string): [string, string, string] {
  expect(body.endsWith('\n')).toBe(true)
  const parts = body.slice(0, -1).split('\n')
  expect(parts).toHaveLength(3)
  return parts as [string, string, string]
}

describe('sentry info: a transaction', () => {
  it('testEvent: envelope header, item header, transaction with the flux_* tags', () => {
    const { eventId, traceId, spanId } = ids(INFO_EVENT_JSON)
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe('https://o1.ingest.sentry.io/api/42/envelope/')
    expect(request.headers).toEqual({
      'Content-Type': 'application/x-sentry-envelope',
      'X-Sentry-Auth': 'Sentry sentry_version=7, sentry_client=flux-notify, sentry_key=public',
    })
    const tags =
      '{"flux_involved_object_kind":"GitRepository","flux_involved_object_name":"webapp","flux_involved_object_namespace":"gitops-system","flux_reason":"reason","flux_reporting_controller":"source-controller","flux_reporting_instance":"source-controller-xyz","test":"metadata"}'
    const payload =
      `{"contexts":{"trace":{"op":"event","span_id":"${spanId}","trace_id":"${traceId}"}},` +
      `"environment":"prod","event_id":"${eventId}","message":"message","platform":"go",` +
      `"tags":${tags},"transaction":"GitRepository: gitops-system/webapp","type":"transaction",` +
      `"spans":[{"trace_id":"${traceId}","span_id":"${spanId}","op":"event","tags":${tags},` +
      `"start_timestamp":"2022-09-30T06:40:29Z","timestamp":"2022-09-30T06:40:29Z","origin":"manual"}],` +
      `"start_timestamp":"2022-09-30T06:40:29Z","timestamp":"2022-09-30T06:40:29Z"}`
    expect(lines(request.body as string)).toEqual([
      `{"event_id":"${eventId}","dsn":"https://public@o1.ingest.sentry.io/42"}`,
      `{"type":"transaction","length":${Buffer.byteLength(payload)}}`,
      payload,
    ])
  })

  it('§8.1: the span tags are the six flux_* tags plus every metadata key', () => {
    const event: FluxEvent = {
      involvedObject: { kind: 'GitRepository', namespace: 'flux-system', name: 'test-app' },
      severity: 'info',
      timestamp: '2020-01-01T00:00:00Z',
      message: 'message',
      reason: '',
      metadata: { key1: 'val1', key2: 'val2' },
      reportingController: 'source-controller',
    }
    const payload = JSON.parse(lines(render(event).body as string)[2]) as Record<string, unknown>
    expect(payload['type']).toBe('transaction')
    expect(payload['timestamp']).toBe('2020-01-01T00:00:00Z')
    expect(payload['message']).toBe('message')
    expect(payload['tags']).toEqual({
      flux_involved_object_kind: 'GitRepository',
      flux_involved_object_name: 'test-app',
      flux_involved_object_namespace: 'flux-system',
      flux_reason: '',
      flux_reporting_controller: 'source-controller',
      flux_reporting_instance: '',
      key1: 'val1',
      key2: 'val2',
    })
  })

  it('no environment without a channel', () => {
    expect(lines(render(testEvent(), resolved({ channel: '' })).body as string)[2]).not.toContain(
      '"environment"',
    )
  })
})

describe('sentry error: an error event', () => {
  it('§8.1 toSentryEvent: level, server_name, transaction, contexts.metadata, timestamp', () => {
    const event: FluxEvent = {
      involvedObject: { kind: 'GitRepository', namespace: 'flux-system', name: 'test-app' },
      severity: 'error',
      timestamp: '2020-01-01T00:00:00Z',
      message: 'message',
      reason: '',
      metadata: { key1: 'val1', key2: 'val2' },
      reportingController: 'source-controller',
    }
    const [, item, payload] = lines(render(event).body as string)
    expect(JSON.parse(item)).toEqual({ type: 'event', length: Buffer.byteLength(payload) })
    expect(JSON.parse(payload)).toMatchObject({
      contexts: { metadata: { key1: 'val1', key2: 'val2' } },
      level: 'error',
      server_name: 'source-controller',
      transaction: 'GitRepository: flux-system/test-app',
      message: 'message',
      timestamp: '2020-01-01T00:00:00Z',
    })
  })

  it('§8.2: the escaped message, fields in sentry-go order', () => {
    const eventJson =
      '{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp","uid":"7d0cdc51-ddcf-4743-b223-83ca5c699632"},"severity":"error","timestamp":"2022-09-30T06:40:29Z","message":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line","reason":"HealthCheckFailed","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}'
    const { eventId } = ids(eventJson)
    expect(lines(render(errorTestEvent()).body as string)[2]).toBe(
      `{"contexts":{"metadata":{"test":"metadata"}},"environment":"prod","event_id":"${eventId}",` +
        `"level":"error","message":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line",` +
        `"platform":"go","server_name":"source-controller","transaction":"GitRepository: gitops-system/webapp",` +
        `"timestamp":"2022-09-30T06:40:29Z"}`,
    )
  })
})

describe('sentry other severities', () => {
  it.each(['trace', 'warning', ''])('severity %j sends nothing', (severity) => {
    const rendered = sentry.render({
      event: { ...testEvent(), severity },
      alert: {} as Alert,
      provider: resolved(),
    })
    expect(rendered).toHaveProperty('skip')
  })
})

describe('sentry DSN', () => {
  it.each([
    ['https://public@o1.ingest.sentry.io/42', 'https://o1.ingest.sentry.io/api/42/envelope/'],
    ['https://k@sentry.example.com:443/7', 'https://sentry.example.com/api/7/envelope/'],
    ['http://k@127.0.0.1:9000/7', 'http://127.0.0.1:9000/api/7/envelope/'],
    ['http://k@sentry.local/prefix/sub/7', 'http://sentry.local/prefix/sub/api/7/envelope/'],
    ['http://k@[::1]:9000/7', 'http://[::1]:9000/api/7/envelope/'],
  ])('%s → %s', (dsn, url) => {
    expect(sentry.validate(resolved({ address: dsn }))).toBeUndefined()
    expect(render(testEvent(), resolved({ address: dsn })).url).toBe(url)
  })

  it('a secret key goes into X-Sentry-Auth and the envelope header', () => {
    const request = render(testEvent(), resolved({ address: 'https://pub:sec@s.example.com/3' }))
    expect(request.headers['X-Sentry-Auth']).toBe(
      'Sentry sentry_version=7, sentry_client=flux-notify, sentry_key=pub, sentry_secret=sec',
    )
    expect(lines(request.body as string)[0]).toContain('"dsn":"https://pub:sec@s.example.com/3"')
  })

  it.each([
    ['', 'DSN cannot be empty'],
    ['ftp://k@h/1', '[Sentry] DsnParseError: invalid scheme'],
    ['https://h.example.com/1', '[Sentry] DsnParseError: empty username'],
    ['https://k@h.example.com', '[Sentry] DsnParseError: empty project id'],
    ['https://k@h.example.com/', '[Sentry] DsnParseError: empty project id'],
    ['https://k@h.example.com/1/', '[Sentry] DsnParseError: empty project id'],
    ['https://k@/1', '[Sentry] DsnParseError: empty host'],
    [
      'https://k@h:x/1',
      '[Sentry] DsnParseError: invalid url: parse "https://k@h:x/1": invalid port ":x" after host',
    ],
  ])('validate(%j) = %j', (dsn, error) => {
    expect(sentry.validate(resolved({ address: dsn }))).toBe(error)
  })
})

describe('sentry length', () => {
  it('cuts the message to 8192 characters and tag values to 200, with a marker', () => {
    const event = {
      ...testEvent(),
      message: '😀'.repeat(9000),
      metadata: { long: 'v'.repeat(300), short: 'v'.repeat(200) },
    }
    const payload = JSON.parse(lines(render(event).body as string)[2]) as {
      message: string
      tags: Record<string, string>
    }
    expect(payload.message).toBe(`${'😀'.repeat(8191)}…`)
    expect(payload.tags['long']).toBe(`${'v'.repeat(199)}…`)
    expect(payload.tags['short']).toBe('v'.repeat(200))
  })

  it('a message of exactly 8192 characters is whole', () => {
    const message = 'm'.repeat(8192)
    const payload = JSON.parse(lines(render({ ...testEvent(), message }).body as string)[2]) as {
      message: string
    }
    expect(payload.message).toBe(message)
  })
})

describe('sentry over loopback', () => {
  let recorder: Recorder
  beforeAll(async () => {
    recorder = await startRecorder({ defaultResponse: { status: 200, body: '{"id":"x"}' } })
  })
  afterAll(() => recorder.close())

  it('the envelope arrives at /api/<project>/envelope/ with the auth header', async () => {
    const dsn = recorder.url.replace('http://', 'http://public:secret@') + '/7'
    const request = render(errorTestEvent(), resolved({ address: dsn }))
    await sendRequest(request, { signal: AbortSignal.timeout(5000) })
    const [received] = recorder.requests
    expect(received?.method).toBe('POST')
    expect(received?.path).toBe('/api/7/envelope/')
    expect(received?.headers['content-type']).toBe('application/x-sentry-envelope')
    expect(received?.headers['x-sentry-auth']).toBe(
      'Sentry sentry_version=7, sentry_client=flux-notify, sentry_key=public, sentry_secret=secret',
    )
    const [header, item, payload] = lines(received!.body)
    expect(JSON.parse(header)).toEqual({ event_id: expect.stringMatching(/^[0-9a-f]{32}$/), dsn })
    expect(JSON.parse(item)).toEqual({ type: 'event', length: Buffer.byteLength(payload) })
    expect(JSON.parse(payload)).toMatchObject({ level: 'error', server_name: 'source-controller' })
  })
})
