/**
 * Goldens of reference §8.1 (upstream's zulip_test.go: stream/topic general/announcements, basic
 * auth user/pass) and the rules of §5.21 for `zulip`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { goQueryEscape, zulip, zulipMessagesUrl } from '../../src/providers/zulip.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { resolvedProvider } from '../support/factories.js'

const INFO_BODY =
  'content=%23%23+Flux+Status%0A%0A%E2%84%B9%EF%B8%8F+Kustomization%2Fdefault%2Ftest-ks%0A%0ATest+event+message%0A%0AMetadata%3A%0A%2A+%60key1%60%3A+value1%0A%2A+%60key2%60%3A+value2%0A&to=general&topic=announcements&type=stream'

function zulipTestEvent(severity = 'info'): FluxEvent {
  return {
    involvedObject: { kind: 'Kustomization', namespace: 'default', name: 'test-ks' },
    severity,
    timestamp: '2022-09-30T06:40:29Z',
    message: 'Test event message',
    reason: 'ReconciliationSucceeded',
    metadata: { key2: 'value2', key1: 'value1' },
    reportingController: 'kustomize-controller',
  }
}

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('zulip', {
    address: 'https://zulip.example.com',
    channel: 'general/announcements',
    username: 'user',
    password: 'pass',
    ...overrides,
  })
}

function render(event: FluxEvent, provider = resolved()): HttpRequestSpec {
  const rendered = zulip.render({ event, alert: {} as Alert, provider })
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

function content(request: HttpRequestSpec): string {
  return new URLSearchParams(request.body as string).get('content') ?? ''
}

describe('zulip body', () => {
  it('is the §8.1 golden form body, with basic auth', () => {
    const request = render(zulipTestEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe('https://zulip.example.com/api/v1/messages')
    expect(request.headers).toEqual({
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: 'Basic dXNlcjpwYXNz',
    })
    expect(request.body).toBe(INFO_BODY)
  })

  it('error variant: the warning emoji', () => {
    expect(content(render(zulipTestEvent('error')))).toBe(
      '## Flux Status\n\n⚠️ Kustomization/default/test-ks\n\nTest event message\n\nMetadata:\n* `key1`: value1\n* `key2`: value2\n',
    )
    expect(render(zulipTestEvent('error')).body).toMatch(
      /^content=%23%23\+Flux\+Status%0A%0A%E2%9A%A0%EF%B8%8F\+/,
    )
  })

  it('a topic may hold further slashes; no credentials, no Authorization', () => {
    const request = render(
      zulipTestEvent(),
      resolved({ channel: 'ops/flux/prod', username: '', password: '' }),
    )
    expect(request.body).toMatch(/&to=ops&topic=flux%2Fprod&type=stream$/)
    expect(request.headers).toEqual({ 'Content-Type': 'application/x-www-form-urlencoded' })
  })

  it('escapes form values as Go url.QueryEscape', () => {
    expect(goQueryEscape("a b*c~d-e_f.g!'()/é")).toBe('a+b%2Ac~d-e_f.g%21%27%28%29%2F%C3%A9')
  })
})

describe('zulip URL and validate', () => {
  it.each([
    ['https://zulip.example.com', 'https://zulip.example.com/api/v1/messages'],
    ['https://chat.example.com/zulip/ctx/', 'https://chat.example.com/api/v1/messages'],
    [
      'HTTPS://u:p@chat.example.com:8443/x?a=1#top',
      'https://u:p@chat.example.com:8443/api/v1/messages?a=1#top',
    ],
    ['http://127.0.0.1:9991/api/v1/messages', 'http://127.0.0.1:9991/api/v1/messages'],
  ])('%s → %s', (address, url) => {
    expect(zulipMessagesUrl(address)).toBe(url)
  })

  it('rejects a channel without a stream and a topic with the controller text', () => {
    expect(zulip.validate(resolved())).toBeUndefined()
    for (const channel of ['invalid_format', '/topic', 'stream/', '']) {
      expect(zulip.validate(resolved({ channel }))).toBe(
        `invalid Zulip channel format, expected <channel>/<topic>, got '${channel}'`,
      )
    }
  })

  it('rejects an unparsable address first', () => {
    expect(zulip.validate(resolved({ address: 'http://[::1', channel: 'x' }))).toBe(
      `invalid Zulip endpoint URL: parse "http://[::1": missing ']' in host`,
    )
  })
})

describe('zulip length', () => {
  it('cuts the content to 10000 characters with a marker', () => {
    const event = { ...zulipTestEvent(), message: 'ü'.repeat(20_000) }
    const text = content(render(event))
    expect([...text]).toHaveLength(10_000)
    expect(text.startsWith('## Flux Status\n\nℹ️ Kustomization/default/test-ks\n\nüüü')).toBe(true)
    expect(text.endsWith('üü…')).toBe(true)
  })
})

describe('zulip over loopback', () => {
  let recorder: Recorder
  beforeAll(async () => {
    recorder = await startRecorder()
  })
  afterAll(() => recorder.close())

  it('the receiver gets the golden form body at /api/v1/messages', async () => {
    const provider = resolved({ address: `${recorder.url}/some/context` })
    await sendRequest(render(zulipTestEvent(), provider), { signal: AbortSignal.timeout(5000) })
    const [received] = recorder.requests
    expect(received?.method).toBe('POST')
    expect(received?.path).toBe('/api/v1/messages')
    expect(received?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(received?.headers['authorization']).toBe('Basic dXNlcjpwYXNz')
    expect(received?.body).toBe(INFO_BODY)
  })
})
