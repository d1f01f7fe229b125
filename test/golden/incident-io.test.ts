/** `incident.io` (reference §5.24): goldens of §8.1 / §8.2, Progressing skip, validate, loopback. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { incidentIo } from '../../src/providers/incident-io.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { errorTestEvent, resolvedProvider, testEvent } from '../support/factories.js'

const SOURCE = 'https://api.incident.io/v2/alert_events/http/01GW2G3V0S59R238FAHPDS1R66'

/** §8.1 † (UID empty): exact bytes. */
const INFO_BODY =
  '{"title":"gitrepository/webapp.gitops-system: reason","status":"resolved","deduplication_key":"","description":"message","metadata":{"reason":"reason","reportingController":"source-controller","severity":"info","test":"metadata"}}'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('incident.io', { address: SOURCE, token: 'inc-token', ...overrides })
}

function rendered(event: FluxEvent, provider: ResolvedProvider = resolved()) {
  return incidentIo.render({ event, alert: {} as Alert, provider })
}

function render(event: FluxEvent, provider: ResolvedProvider = resolved()): HttpRequestSpec {
  const result = rendered(event, provider)
  if (!('requests' in result)) throw new Error(`skipped: ${result.skip}`)
  expect(result.requests).toHaveLength(1)
  return result.requests[0]!
}

describe('incident.io goldens', () => {
  it('§8.1 †: testEvent resolves, dedup key empty', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe(SOURCE)
    expect(request.headers).toEqual({
      'Content-Type': 'application/json',
      Authorization: 'Bearer inc-token',
    })
    expect(request.body).toBe(INFO_BODY)
  })

  it('§8.2: the error event fires, keyed by the object UID', () => {
    expect(render(errorTestEvent()).body).toBe(
      '{"title":"gitrepository/webapp.gitops-system: HealthCheckFailed","status":"firing","deduplication_key":"7d0cdc51-ddcf-4743-b223-83ca5c699632","description":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line","metadata":{"reason":"HealthCheckFailed","reportingController":"source-controller","severity":"error","test":"metadata"}}',
    )
  })

  it('an empty message and reporting controller are left out; our keys win', () => {
    const event: FluxEvent = {
      ...testEvent(),
      message: '',
      reportingController: '',
      metadata: { severity: 'x', reason: 'y', reportingController: 'z' },
    }
    expect(render(event).body).toBe(
      '{"title":"gitrepository/webapp.gitops-system: reason","status":"resolved","deduplication_key":"","metadata":{"reason":"reason","reportingController":"z","severity":"info"}}',
    )
  })

  it('skips Progressing events', () => {
    const result = rendered({ ...testEvent(), reason: 'Progressing', severity: 'error' })
    expect(result).toEqual({ skip: expect.stringContaining('Progressing') })
  })
})

describe('incident.io validate', () => {
  it('accepts an alert source URL and a token', () => {
    expect(incidentIo.validate(resolved())).toBeUndefined()
  })

  it('rejects a bad URL, then an empty token, with the controller texts', () => {
    expect(incidentIo.validate(resolved({ address: 'not a url', token: '' }))).toBe(
      `invalid incident.io alert source URL not a url: 'parse "not a url": invalid URI for request'`,
    )
    expect(incidentIo.validate(resolved({ token: '' }))).toBe('empty incident.io API token')
  })
})

describe('incident.io length', () => {
  it('documents no limit, so a long description is sent whole', () => {
    const message = 'd'.repeat(100_000)
    const body = JSON.parse(render({ ...testEvent(), message }).body as string) as {
      description: string
    }
    expect(body.description).toBe(message)
  })
})

describe('incident.io over loopback', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder({ defaultResponse: { status: 202 } })
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('the alert event arrives as rendered (202 accepted)', async () => {
    const request = render(
      testEvent(),
      resolved({ address: `${recorder.url}/v2/alert_events/http/x` }),
    )
    const response = await sendRequest(request, { signal: AbortSignal.timeout(10_000) })
    expect(response.status).toBe(202)
    const [received] = recorder.requests
    expect(received!.method).toBe('POST')
    expect(received!.path).toBe('/v2/alert_events/http/x')
    expect(received!.headers['authorization']).toBe('Bearer inc-token')
    expect(received!.headers['content-type']).toBe('application/json')
    expect(received!.body).toBe(INFO_BODY)
  })
})
