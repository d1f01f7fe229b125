/**
 * `datadog` per reference §5.19: the body is the SDK's map, keys sorted, so its bytes follow from
 * the listed fields; tags lower-cased; URL from the address's scheme and host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { datadog } from '../../src/providers/datadog.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { errorTestEvent, resolvedProvider, testEvent } from '../support/factories.js'

const INFO_BODY =
  '{"alert_type":"info","date_happened":1664520029,"source_type_name":"fluxcd","tags":["flux_reporting_controller:source-controller","flux_reason:reason","kube_kind:gitrepository","kube_name:webapp","kube_namespace:gitops-system","test:metadata"],"text":"message","title":"Events from the GitRepository webapp/gitops-system"}'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('datadog', {
    address: 'https://api.datadoghq.eu',
    token: 'dd-api-key',
    ...overrides,
  })
}

function render(event: FluxEvent, provider = resolved()): HttpRequestSpec {
  const rendered = datadog.render({ event, alert: {} as Alert, provider })
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

describe('datadog body', () => {
  it('testEvent: sorted keys, unix seconds, lower-cased tags', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe('https://api.datadoghq.eu/api/v1/events')
    expect(request.headers).toEqual({
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'DD-API-KEY': 'dd-api-key',
    })
    expect(request.body).toBe(INFO_BODY)
  })

  it('§5.19: a failed post reads `failed to post event to DataDog: …`', () => {
    const request = render(testEvent())
    expect(request.errorPrefix).toBe('failed to post event to DataDog: ')
    // the Datadog API client, not the shared postMessage
    expect(request.postMessage).toBeUndefined()
  })

  it('error variant (§8.2): alert_type error, reason tag lower-cased, message escaped', () => {
    expect(render(errorTestEvent()).body).toBe(
      '{"alert_type":"error","date_happened":1664520029,"source_type_name":"fluxcd","tags":["flux_reporting_controller:source-controller","flux_reason:healthcheckfailed","kube_kind:gitrepository","kube_name:webapp","kube_namespace:gitops-system","test:metadata"],"text":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line","title":"Events from the GitRepository webapp/gitops-system"}',
    )
  })

  it('metadata tags follow the fixed ones, sorted by key, lower-cased', () => {
    const event = { ...testEvent(), metadata: { revision: 'Main@SHA1:ABC', Env: 'Prod' } }
    const body = JSON.parse(render(event).body as string) as { tags: string[] }
    expect(body.tags.slice(5)).toEqual(['env:prod', 'revision:main@sha1:abc'])
  })

  it('a trace event is info', () => {
    expect(render({ ...testEvent(), severity: 'trace' }).body).toContain('"alert_type":"info"')
  })
})

describe('datadog URL and validate', () => {
  it.each([
    ['https://api.datadoghq.eu/ignored/path?x=1', 'https://api.datadoghq.eu/api/v1/events'],
    ['http://127.0.0.1:8126', 'http://127.0.0.1:8126/api/v1/events'],
    // the SDK's default server fills in what the address leaves empty
    ['', 'https://api.datadoghq.com/api/v1/events'],
    ['api.us5.datadoghq.com', 'https://api.datadoghq.com/api/v1/events'],
  ])('%s → %s', (address, url) => {
    expect(render(testEvent(), resolved({ address })).url).toBe(url)
  })

  it('needs a token', () => {
    expect(datadog.validate(resolved())).toBeUndefined()
    expect(datadog.validate(resolved({ token: '' }))).toBe('token cannot be empty')
    expect(
      datadog.render({ event: testEvent(), alert: {} as Alert, provider: resolved({ token: '' }) }),
    ).toEqual({
      skip: 'token cannot be empty',
    })
  })

  it('rejects an unparsable address with the controller text', () => {
    expect(datadog.validate(resolved({ address: 'http://[::1' }))).toBe(
      `failed to parse address "http://[::1": parse "http://[::1": missing ']' in host`,
    )
  })
})

describe('datadog length', () => {
  it('cuts the text to 4000 characters with a marker; the title stays whole', () => {
    const name = 'n'.repeat(200)
    const event: FluxEvent = {
      ...testEvent(),
      involvedObject: { ...testEvent().involvedObject, name },
      message: '😀'.repeat(5000),
    }
    const body = JSON.parse(render(event).body as string) as { text: string; title: string }
    expect(body.text).toBe(`${'😀'.repeat(3999)}…`)
    expect(body.title).toBe(`Events from the GitRepository ${name}/gitops-system`)
  })

  it('leaves a text of exactly 4000 characters alone', () => {
    const message = 'a'.repeat(4000)
    const body = JSON.parse(render({ ...testEvent(), message }).body as string) as { text: string }
    expect(body.text).toBe(message)
  })
})

describe('datadog over loopback', () => {
  let recorder: Recorder
  beforeAll(async () => {
    recorder = await startRecorder()
  })
  afterAll(() => recorder.close())

  it('the receiver gets the body at /api/v1/events with the API key', async () => {
    const provider = resolved({ address: `${recorder.url}/whatever` })
    await sendRequest(render(testEvent(), provider), { signal: AbortSignal.timeout(5000) })
    const [received] = recorder.requests
    expect(received?.method).toBe('POST')
    expect(received?.path).toBe('/api/v1/events')
    expect(received?.headers['dd-api-key']).toBe('dd-api-key')
    expect(received?.headers['content-type']).toBe('application/json')
    expect(received?.body).toBe(INFO_BODY)
  })
})
