/** `opsgenie` (reference §5.15): goldens of §8.1 / §8.2 (alias), validate, limits, loopback. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { opsgenie } from '../../src/providers/opsgenie.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { errorTestEvent, resolvedProvider, testEvent } from '../support/factories.js'

const API = 'https://api.opsgenie.com/v2/alerts'

/** §8.1 †, provider UID `test-provider-uid-123`: exact bytes. */
const INFO_BODY =
  '{"message":"GitRepository/webapp","alias":"fe0de7c3e730984dc8fa97aa4e3564e679cce5c2fa3103734a603115c16f7156","description":"message","details":{"severity":"info","test":"metadata"}}'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('opsgenie', {
    address: API,
    uid: 'test-provider-uid-123',
    token: 'genie-key',
    ...overrides,
  })
}

function render(event: FluxEvent, provider: ResolvedProvider = resolved()): HttpRequestSpec {
  const rendered = opsgenie.render({ event, alert: {} as Alert, provider })
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

interface OpsgenieBody {
  message: string
  alias: string
  description: string
  details: Record<string, string>
}

const parse = (request: HttpRequestSpec) => JSON.parse(request.body as string) as OpsgenieBody

describe('opsgenie goldens', () => {
  it('§8.1: testEvent, UID test-provider-uid-123', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe(API)
    expect(request.headers).toEqual({
      'Content-Type': 'application/json',
      Authorization: 'GenieKey genie-key',
    })
    expect(request.body).toBe(INFO_BODY)
  })

  it('§8.2: the error event gets alias 133edd63… and severity error', () => {
    expect(render(errorTestEvent()).body).toBe(
      '{"message":"GitRepository/webapp","alias":"133edd63c5f08162ec902d462d4976369517ab0e14325901cbc839b157859a24","description":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line","details":{"severity":"error","test":"metadata"}}',
    )
  })

  it('no metadata: details holds severity alone', () => {
    const event = testEvent()
    delete event.metadata
    expect(parse(render(event)).details).toEqual({ severity: 'info' })
  })

  it('the event severity wins over a metadata key `severity`; keys come sorted', () => {
    const event = { ...testEvent(), metadata: { zone: 'z', severity: 'low', app: 'a' } }
    expect(render(event).body as string).toContain(
      '"details":{"app":"a","severity":"info","zone":"z"}',
    )
  })
})

describe('opsgenie validate', () => {
  it('accepts an API URL and a key', () => {
    expect(opsgenie.validate(resolved())).toBeUndefined()
  })

  it('rejects a bad URL, then a missing key, with the controller texts', () => {
    expect(opsgenie.validate(resolved({ address: '', token: '' }))).toBe(
      `invalid Opsgenie hook URL : 'parse "": empty url'`,
    )
    expect(opsgenie.validate(resolved({ token: '' }))).toBe('empty Opsgenie apikey/token')
  })
})

describe('opsgenie length limits (message 130, description 15,000, details 8,000)', () => {
  it('a long object name cuts the message to 130 characters, ending in …', () => {
    const name = 'n'.repeat(200)
    const event = { ...testEvent(), involvedObject: { ...testEvent().involvedObject, name } }
    const { message } = parse(render(event))
    expect([...message]).toHaveLength(130)
    expect(message).toBe(`GitRepository/${'n'.repeat(115)}…`)
  })

  it('a message of 15,000 characters is whole; one more is cut', () => {
    const whole = '日'.repeat(15_000)
    expect(parse(render({ ...testEvent(), message: whole })).description).toBe(whole)
    const cut = parse(render({ ...testEvent(), message: `${whole}x` })).description
    expect(cut).toBe(`${'日'.repeat(14_999)}…`)
  })

  it('details over 8,000 characters in total have their longest value cut', () => {
    const event = { ...testEvent(), metadata: { test: 'metadata', log: 'l'.repeat(9000) } }
    const { details } = parse(render(event))
    // keys log, test, severity (15) + values metadata, info (12) leave 7,973 for the log value
    expect(details.log === `${'l'.repeat(7972)}…`).toBe(true)
    expect({ ...details, log: '' }).toEqual({ log: '', severity: 'info', test: 'metadata' })
  })
})

describe('opsgenie over loopback', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder({ defaultResponse: { status: 202 } })
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('the alert arrives as rendered, with the GenieKey header', async () => {
    const request = render(testEvent(), resolved({ address: `${recorder.url}/v2/alerts` }))
    await sendRequest(request, { signal: AbortSignal.timeout(10_000) })
    const [received] = recorder.requests
    expect(received!.method).toBe('POST')
    expect(received!.path).toBe('/v2/alerts')
    expect(received!.headers['authorization']).toBe('GenieKey genie-key')
    expect(received!.headers['content-type']).toBe('application/json')
    expect(received!.body).toBe(INFO_BODY)
  })
})
