/** Goldens of reference §8.1 / §8.2 and the rules of §5.16 for `alertmanager`. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { alertmanager, goTitle } from '../../src/providers/alertmanager.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { errorTestEvent, resolvedProvider, testEvent } from '../support/factories.js'

const ADDRESS = 'http://127.0.0.1:9093/api/v2/alerts'

const INFO_BODY =
  '[{"status":"firing","labels":{"alertname":"FluxGitRepositoryReason","kind":"GitRepository","name":"webapp","namespace":"gitops-system","reason":"reason","reportingcontroller":"source-controller","severity":"info","test":"metadata"},"annotations":{"message":"message"},"startsAt":"2022-09-30T06:40:29Z","endsAt":"0001-01-01T00:00:00Z"}]'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('alertmanager', { address: ADDRESS, ...overrides })
}

function render(event: FluxEvent, provider = resolved()): HttpRequestSpec {
  const rendered = alertmanager.render({ event, alert: {} as Alert, provider })
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

describe('alertmanager body', () => {
  it('is the §8.1 golden for testEvent', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe(ADDRESS)
    expect(request.headers).toEqual({ 'Content-Type': 'application/json' })
    expect(request.body).toBe(INFO_BODY)
  })

  it('error variant (§8.2): alertname FluxGitRepositoryHealthcheckfailed, escaped message', () => {
    expect(render(errorTestEvent()).body).toBe(
      '[{"status":"firing","labels":{"alertname":"FluxGitRepositoryHealthcheckfailed","kind":"GitRepository","name":"webapp","namespace":"gitops-system","reason":"HealthCheckFailed","reportingcontroller":"source-controller","severity":"error","test":"metadata"},"annotations":{"message":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line"},"startsAt":"2022-09-30T06:40:29Z","endsAt":"0001-01-01T00:00:00Z"}]',
    )
  })

  it('moves summary from the labels to the annotations', () => {
    const event = { ...testEvent(), metadata: { summary: 'prod cluster', test: 'metadata' } }
    const [alert] = JSON.parse(render(event).body as string) as [
      { labels: Record<string, string>; annotations: Record<string, string> },
    ]
    expect(alert.annotations).toEqual({ message: 'message', summary: 'prod cluster' })
    expect(alert.labels).not.toHaveProperty('summary')
    expect(alert.labels['test']).toBe('metadata')
  })

  it('the event fields win over metadata keys of the same name; no metadata is fine', () => {
    const event = { ...testEvent(), metadata: { name: 'other', severity: 'low', zone: 'a' } }
    const [alert] = JSON.parse(render(event).body as string) as [{ labels: object }]
    expect(alert.labels).toEqual({
      alertname: 'FluxGitRepositoryReason',
      kind: 'GitRepository',
      name: 'webapp',
      namespace: 'gitops-system',
      reason: 'reason',
      reportingcontroller: 'source-controller',
      severity: 'info',
      zone: 'a',
    })
    const bare = { ...testEvent() }
    delete bare.metadata
    expect(render(bare).body).toBe(INFO_BODY.replace(',"test":"metadata"', ''))
  })

  it('does not change the event it was given', () => {
    const event = { ...testEvent(), metadata: { summary: 's' } }
    render(event)
    expect(event.metadata).toEqual({ summary: 's' })
  })

  it('an event without a timestamp starts at Go zero time', () => {
    const body = render({ ...testEvent(), timestamp: null }).body as string
    expect(body).toContain('"startsAt":"0001-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z"')
  })
})

describe('goTitle (cases.Title)', () => {
  it.each([
    ['reason', 'Reason'],
    ['HealthCheckFailed', 'Healthcheckfailed'],
    ['Progressing', 'Progressing'],
    ['ReconciliationSucceeded', 'Reconciliationsucceeded'],
    ['hello world', 'Hello World'],
    ['hello-WORLD', 'Hello-World'],
    ['', ''],
  ])('%s → %s', (input, expected) => {
    expect(goTitle(input)).toBe(expected)
  })
})

describe('alertmanager auth', () => {
  it('a token gives a bearer header', () => {
    expect(render(testEvent(), resolved({ token: 't0k' })).headers).toEqual({
      'Content-Type': 'application/json',
      Authorization: 'Bearer t0k',
    })
  })

  it('username and password give basic auth, which replaces the bearer token', () => {
    const both = resolved({ token: 't0k', username: 'user', password: 'password' })
    expect(render(testEvent(), both).headers['Authorization']).toBe('Basic dXNlcjpwYXNzd29yZA==')
  })

  it('a username without a password is not basic auth', () => {
    const headers = render(testEvent(), resolved({ token: 't0k', username: 'user' })).headers
    expect(headers['Authorization']).toBe('Bearer t0k')
  })
})

describe('alertmanager validate', () => {
  it('accepts a URL and rejects a bad one with the controller text', () => {
    expect(alertmanager.validate(resolved())).toBeUndefined()
    expect(alertmanager.validate(resolved({ address: '' }))).toBe(
      `invalid Alertmanager URL : 'parse "": empty url'`,
    )
    expect(alertmanager.validate(resolved({ address: 'alertmanager:9093' }))).toBeUndefined()
    expect(alertmanager.validate(resolved({ address: 'not a url' }))).toBe(
      `invalid Alertmanager URL not a url: 'parse "not a url": invalid URI for request'`,
    )
  })

  it('is a notification type', () => {
    expect(alertmanager.class).toBe('notification')
  })
})

describe('alertmanager length', () => {
  it('has no documented limit: a long message goes out whole', () => {
    const message = '🚀'.repeat(20_000)
    const [alert] = JSON.parse(render({ ...testEvent(), message }).body as string) as [
      { annotations: { message: string } },
    ]
    expect(alert.annotations.message).toBe(message)
  })
})

describe('alertmanager over loopback', () => {
  let recorder: Recorder
  beforeAll(async () => {
    recorder = await startRecorder()
  })
  afterAll(() => recorder.close())

  it('the receiver gets the golden body and basic auth', async () => {
    const provider = resolved({
      address: `${recorder.url}/api/v2/alerts`,
      username: 'user',
      password: 'password',
    })
    await sendRequest(render(testEvent(), provider), { signal: AbortSignal.timeout(5000) })
    const [received] = recorder.requests
    expect(received?.method).toBe('POST')
    expect(received?.path).toBe('/api/v2/alerts')
    expect(received?.headers['content-type']).toBe('application/json')
    expect(received?.headers['authorization']).toBe('Basic dXNlcjpwYXNzd29yZA==')
    expect(received?.body).toBe(INFO_BODY)
  })
})
