/** Goldens of reference §8.1 / §8.2 and the rules of §5.17 for `grafana`. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { grafana } from '../../src/providers/grafana.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { errorTestEvent, resolvedProvider, testEvent } from '../support/factories.js'

const ADDRESS = 'https://grafana.example.com/api/annotations/graphite'

const INFO_BODY =
  '{"when":1664520029,"text":"gitrepository/webapp.gitops-system","tags":["flux","source-controller","test: metadata","kind: GitRepository","name: webapp","namespace: gitops-system"]}'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('grafana', { address: ADDRESS, ...overrides })
}

function render(event: FluxEvent, provider = resolved()): HttpRequestSpec {
  const rendered = grafana.render({ event, alert: {} as Alert, provider })
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

describe('grafana body', () => {
  it('is the §8.1 golden for testEvent (unix seconds, tag order)', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe(ADDRESS)
    expect(request.headers).toEqual({ 'Content-Type': 'application/json' })
    expect(request.body).toBe(INFO_BODY)
  })

  it('error variant (§8.2): the message is never sent, so the body is the same', () => {
    expect(render(errorTestEvent()).body).toBe(INFO_BODY)
  })

  it('metadata tags come sorted, with ":" in keys and values turned into "|"', () => {
    const event = {
      ...testEvent(),
      metadata: { revision: 'main@sha1:abc', 'app:tier': 'web', Zone: 'eu' },
    }
    const body = JSON.parse(render(event).body as string) as { tags: string[] }
    expect(body.tags).toEqual([
      'flux',
      'source-controller',
      'Zone: eu',
      'app|tier: web',
      'revision: main@sha1|abc',
      'kind: GitRepository',
      'name: webapp',
      'namespace: gitops-system',
    ])
  })

  it('an event without a timestamp is at Go zero time', () => {
    expect(render({ ...testEvent(), timestamp: null }).body).toContain('"when":-62135596800,')
  })
})

describe('grafana auth', () => {
  it('username and password alone give basic auth', () => {
    const provider = resolved({ username: 'user', password: 'password' })
    expect(render(testEvent(), provider).headers['Authorization']).toBe(
      'Basic dXNlcjpwYXNzd29yZA==',
    )
  })

  it('a token wins over username and password', () => {
    const provider = resolved({ token: 'glsa_x', username: 'user', password: 'password' })
    expect(render(testEvent(), provider).headers['Authorization']).toBe('Bearer glsa_x')
  })

  it('a username without a password gives no auth', () => {
    expect(render(testEvent(), resolved({ username: 'user' })).headers).toEqual({
      'Content-Type': 'application/json',
    })
  })
})

describe('grafana validate', () => {
  it('rejects a bad URL without the parse error, as the controller does', () => {
    expect(grafana.validate(resolved())).toBeUndefined()
    expect(grafana.validate(resolved({ address: 'not a url' }))).toBe(
      'invalid Grafana URL not a url',
    )
    expect(grafana.validate(resolved({ address: '' }))).toBe('invalid Grafana URL ')
  })
})

describe('grafana length', () => {
  it('has no documented limit: long metadata goes out whole and the message not at all', () => {
    const value = 'x'.repeat(10_000)
    const event = { ...testEvent(), message: 'm'.repeat(50_000), metadata: { big: value } }
    const body = JSON.parse(render(event).body as string) as { tags: string[] }
    expect(body.tags[2]).toBe(`big: ${value}`)
    expect(render(event).body).not.toContain('mmm')
  })
})

describe('grafana over loopback', () => {
  let recorder: Recorder
  beforeAll(async () => {
    recorder = await startRecorder()
  })
  afterAll(() => recorder.close())

  it('the receiver gets the golden body and the bearer token', async () => {
    const provider = resolved({
      address: `${recorder.url}/api/annotations/graphite`,
      token: 'glsa_x',
    })
    await sendRequest(render(testEvent(), provider), { signal: AbortSignal.timeout(5000) })
    const [received] = recorder.requests
    expect(received?.method).toBe('POST')
    expect(received?.path).toBe('/api/annotations/graphite')
    expect(received?.headers['authorization']).toBe('Bearer glsa_x')
    expect(received?.body).toBe(INFO_BODY)
  })
})
