/**
 * Goldens of reference §8.1 / §8.2 and the rules of §5.18 for `pagerduty`. The `test-app` events
 * are those of upstream's pagerduty_test.go (UID 1234, 2020-01-01, metadata key1/key2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { pagerduty, pagerDutySeverity } from '../../src/providers/pagerduty.js'
import type { HttpRequestSpec, Rendered, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { errorTestEvent, resolvedProvider, testEvent } from '../support/factories.js'

const ROUTING_KEY = 'notARealRoutingKey'

function testAppEvent(severity: string, reason: string): FluxEvent {
  return {
    involvedObject: {
      kind: 'GitRepository',
      namespace: 'flux-system',
      name: 'test-app',
      uid: '1234',
    },
    severity,
    timestamp: '2020-01-01T00:00:00Z',
    message: 'message',
    reason,
    metadata: { key1: 'val1', key2: 'val2' },
    reportingController: 'source-controller',
  }
}

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('pagerduty', {
    address: 'https://events.eu.pagerduty.com/v2/enqueue',
    channel: ROUTING_KEY,
    ...overrides,
  })
}

function renderRaw(event: FluxEvent, provider = resolved()): Rendered {
  return pagerduty.render({ event, alert: {} as Alert, provider })
}

function render(event: FluxEvent, provider = resolved()): HttpRequestSpec[] {
  const rendered = renderRaw(event, provider)
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  return rendered.requests
}

describe('pagerduty info: resolve, then a change event', () => {
  it('is the §8.1 golden pair (Succeeded)', () => {
    const [resolve, change, ...rest] = render(testAppEvent('info', 'Succeeded'))
    expect(rest).toEqual([])
    expect(resolve?.method).toBe('POST')
    expect(resolve?.url).toBe('https://events.eu.pagerduty.com/v2/enqueue')
    expect(resolve?.headers).toEqual({ 'Content-Type': 'application/json' })
    expect(resolve?.body).toBe(
      '{"routing_key":"notARealRoutingKey","event_action":"resolve","dedup_key":"1234"}',
    )
    expect(change?.method).toBe('POST')
    expect(change?.url).toBe('https://events.eu.pagerduty.com/v2/change/enqueue')
    expect(change?.headers).toEqual({ 'Content-Type': 'application/json' })
    expect(change?.body).toBe(
      '{"routing_key":"notARealRoutingKey","payload":{"summary":"succeeded: gitrepository/test-app","source":"Flux source-controller","timestamp":"2020-01-01T00:00:00Z","custom_details":{"message":"message","metadata":{"key1":"val1","key2":"val2"}}}}',
    )
  })

  it('§5.18: errors read `failed sending event: …` and `failed sending change event: …`', () => {
    const [resolve, change] = render(testAppEvent('info', 'Succeeded'))
    expect(resolve?.errorPrefix).toBe('failed sending event: ')
    expect(change?.errorPrefix).toBe('failed sending change event: ')
    // go-pagerduty's own client: no postMessage layer between the prefix and the error
    expect(resolve?.postMessage).toBeUndefined()
    expect(change?.postMessage).toBeUndefined()
  })

  it('testEvent has no UID, so no dedup_key', () => {
    const [resolve, change] = render(testEvent())
    expect(resolve?.body).toBe('{"routing_key":"notARealRoutingKey","event_action":"resolve"}')
    expect(change?.body).toBe(
      '{"routing_key":"notARealRoutingKey","payload":{"summary":"reason: gitrepository/webapp","source":"Flux source-controller","timestamp":"2022-09-30T06:40:29Z","custom_details":{"message":"message","metadata":{"test":"metadata"}}}}',
    )
  })

  it('an event without metadata sends "metadata":null', () => {
    const event = testAppEvent('info', 'Succeeded')
    delete event.metadata
    expect(render(event)[1]?.body).toContain(
      '"custom_details":{"message":"message","metadata":null}',
    )
  })
})

describe('pagerduty error: trigger only', () => {
  it('is the §8.1 golden trigger (Failed)', () => {
    const requests = render(testAppEvent('error', 'Failed'))
    expect(requests).toHaveLength(1)
    expect(requests[0]?.url).toBe('https://events.eu.pagerduty.com/v2/enqueue')
    expect(requests[0]?.body).toBe(
      '{"routing_key":"notARealRoutingKey","event_action":"trigger","dedup_key":"1234","payload":{"summary":"failed: gitrepository/test-app","source":"Flux source-controller","severity":"error","timestamp":"2020-01-01T00:00:00Z","component":"test-app","group":"GitRepository","custom_details":{"message":"message","metadata":{"key1":"val1","key2":"val2"}}}}',
    )
  })

  it('§8.2 error variant: split reason, escaped message', () => {
    const requests = render(errorTestEvent())
    expect(requests).toHaveLength(1)
    expect(requests[0]?.body).toBe(
      '{"routing_key":"notARealRoutingKey","event_action":"trigger","dedup_key":"7d0cdc51-ddcf-4743-b223-83ca5c699632","payload":{"summary":"health check failed: gitrepository/webapp","source":"Flux source-controller","severity":"error","timestamp":"2022-09-30T06:40:29Z","component":"webapp","group":"GitRepository","custom_details":{"message":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line","metadata":{"test":"metadata"}}}}',
    )
  })
})

describe('pagerduty skips and other severities', () => {
  it('skips Progressing events', () => {
    expect(renderRaw(testAppEvent('info', 'Progressing'))).toEqual({
      skip: 'PagerDuty skips Progressing events',
    })
    expect('skip' in renderRaw(testAppEvent('error', 'Progressing'))).toBe(true)
  })

  it('a trace event resolves without a change event', () => {
    const requests = render(testAppEvent('trace', 'Succeeded'))
    expect(requests.map((r) => r.url)).toEqual(['https://events.eu.pagerduty.com/v2/enqueue'])
  })

  it.each([
    ['info', 'info'],
    ['error', 'error'],
    ['trace', 'info'],
    ['invalid', 'error'],
  ])('severity %s → %s', (severity, expected) => {
    expect(pagerDutySeverity(severity)).toBe(expected)
  })
})

describe('pagerduty endpoint and validate', () => {
  it('keeps only scheme://host of the address', () => {
    const provider = resolved({ address: 'http://127.0.0.1:8080/some/path?x=1' })
    expect(render(testEvent(), provider).map((r) => r.url)).toEqual([
      'http://127.0.0.1:8080/v2/enqueue',
      'http://127.0.0.1:8080/v2/change/enqueue',
    ])
  })

  it('rejects a bad URL with the controller text', () => {
    expect(pagerduty.validate(resolved())).toBeUndefined()
    expect(pagerduty.validate(resolved({ address: 'not a url' }))).toBe(
      `invalid PagerDuty endpoint URL "not a url": 'parse "not a url": invalid URI for request'`,
    )
    expect(pagerduty.validate(resolved({ address: '' }))).toBe(
      `invalid PagerDuty endpoint URL "": 'parse "": empty url'`,
    )
  })
})

describe('pagerduty length', () => {
  it('cuts the summary to 1024 characters with a marker', () => {
    // A reason of 1,100 capitals is one word: summary = 1,100 letters + ": gitrepository/test-app".
    const event = testAppEvent('error', 'É'.repeat(1100))
    const body = JSON.parse(render(event)[0]!.body as string) as { payload: { summary: string } }
    const summary = body.payload.summary
    expect([...summary]).toHaveLength(1024)
    expect(summary).toBe(`${'é'.repeat(1023)}…`)
  })

  it('leaves a summary of exactly 1024 characters alone', () => {
    // "x…x: gitrepository/test-app" with 1000 x's is 1024 characters.
    const event = testAppEvent('error', 'x'.repeat(1000))
    const body = JSON.parse(render(event)[0]!.body as string) as { payload: { summary: string } }
    expect(body.payload.summary).toBe(`${'x'.repeat(1000)}: gitrepository/test-app`)
  })
})

describe('pagerduty over loopback', () => {
  let recorder: Recorder
  beforeAll(async () => {
    recorder = await startRecorder()
  })
  afterAll(() => recorder.close())

  it('the receiver gets the resolve and then the change event', async () => {
    const provider = resolved({ address: `${recorder.url}/v2/enqueue` })
    for (const request of render(testAppEvent('info', 'Succeeded'), provider)) {
      await sendRequest(request, { signal: AbortSignal.timeout(5000) })
    }
    expect(recorder.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v2/enqueue',
      'POST /v2/change/enqueue',
    ])
    expect(recorder.requests[0]?.body).toBe(
      '{"routing_key":"notARealRoutingKey","event_action":"resolve","dedup_key":"1234"}',
    )
    expect(recorder.requests[1]?.headers['content-type']).toBe('application/json')
    expect(JSON.parse(recorder.requests[1]!.body)).toEqual({
      routing_key: ROUTING_KEY,
      payload: {
        summary: 'succeeded: gitrepository/test-app',
        source: 'Flux source-controller',
        timestamp: '2020-01-01T00:00:00Z',
        custom_details: { message: 'message', metadata: { key1: 'val1', key2: 'val2' } },
      },
    })
  })
})
