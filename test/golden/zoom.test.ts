/** `zoom` (reference §5.23): goldens of §8.1 / §8.2, `format=full`, validate, limit, loopback. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { zoom, zoomUrl } from '../../src/providers/zoom.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { errorTestEvent, resolvedProvider, testEvent } from '../support/factories.js'

const HOOK = 'https://integrations.zoom.us/chat/webhooks/incomingwebhook/abc'

/** §8.1 †: exact bytes. */
const INFO_BODY =
  '{"content":{"head":{"text":"gitrepository/webapp.gitops-system","sub_head":{"text":"info"}},"body":[{"type":"message","text":"message"},{"type":"fields","items":[{"key":"test","value":"metadata"}]}]}}'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('zoom', { address: HOOK, token: 'token', ...overrides })
}

function render(event: FluxEvent, provider: ResolvedProvider = resolved()): HttpRequestSpec {
  const rendered = zoom.render({ event, alert: {} as Alert, provider })
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

describe('zoom goldens', () => {
  it('§8.1 †: testEvent, ?format=full, raw token in Authorization', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe(`${HOOK}?format=full`)
    expect(request.headers).toEqual({ 'Content-Type': 'application/json', Authorization: 'token' })
    expect(request.body).toBe(INFO_BODY)
  })

  it('§8.2: error event — severity in the sub head, message escaped as Go does', () => {
    expect(render(errorTestEvent()).body).toBe(
      '{"content":{"head":{"text":"gitrepository/webapp.gitops-system","sub_head":{"text":"error"}},"body":[{"type":"message","text":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line"},{"type":"fields","items":[{"key":"test","value":"metadata"}]}]}}',
    )
  })

  it('no metadata: no fields item; an empty message has no text', () => {
    const event = { ...testEvent(), message: '' }
    delete event.metadata
    expect(render(event).body).toBe(
      '{"content":{"head":{"text":"gitrepository/webapp.gitops-system","sub_head":{"text":"info"}},"body":[{"type":"message"}]}}',
    )
  })

  it('fields come sorted by key', () => {
    const event = { ...testEvent(), metadata: { zone: 'z', app: 'a' } }
    expect(render(event).body as string).toContain(
      '"items":[{"key":"app","value":"a"},{"key":"zone","value":"z"}]',
    )
  })
})

describe('zoom URL', () => {
  it('† keeps a URL that already has ?format=message', () => {
    expect(zoomUrl(`${HOOK}?format=message`)).toBe(`${HOOK}?format=message`)
  })

  it('adds format=full to an existing query, re-encoded and sorted as Go does', () => {
    expect(zoomUrl(`${HOOK}?z=1&a=b%20c`)).toBe(`${HOOK}?a=b+c&format=full&z=1`)
    expect(zoomUrl(`${HOOK}?x=a/b:c`)).toBe(`${HOOK}?format=full&x=a%2Fb%3Ac`)
  })

  it('replaces an empty format and drops pairs Go cannot parse', () => {
    expect(zoomUrl(`${HOOK}?format=`)).toBe(`${HOOK}?format=full`)
    expect(zoomUrl(`${HOOK}?bad=%zz&a;b=1&ok=1`)).toBe(`${HOOK}?format=full&ok=1`)
  })

  it('a bare `?` gets the parameter too', () => {
    expect(zoomUrl(`${HOOK}?`)).toBe(`${HOOK}?format=full`)
  })
})

describe('zoom validate', () => {
  it('accepts a webhook URL and a token', () => {
    expect(zoom.validate(resolved())).toBeUndefined()
  })

  it('§8.3: `invalid-url` is refused with the controller text', () => {
    expect(zoom.validate(resolved({ address: 'invalid-url' }))).toBe(
      `invalid Zoom incoming webhook URL invalid-url: 'parse "invalid-url": invalid URI for request'`,
    )
  })

  it('an empty token is refused', () => {
    expect(zoom.validate(resolved({ token: '' }))).toBe('empty Zoom verification token')
  })
})

describe('zoom length limit (4,096 characters of message)', () => {
  const messageText = (request: HttpRequestSpec) =>
    (JSON.parse(request.body as string) as { content: { body: { text: string }[] } }).content
      .body[0]!.text

  it('4,096 characters are sent whole', () => {
    const message = 'm'.repeat(4096)
    expect(messageText(render({ ...testEvent(), message }))).toBe(message)
  })

  it('more are cut to 4,096 with … at the end, on a code point boundary', () => {
    expect(messageText(render({ ...testEvent(), message: '🚀'.repeat(5000) }))).toBe(
      `${'🚀'.repeat(4095)}…`,
    )
  })
})

describe('zoom over loopback', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder()
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('the message arrives with ?format=full and the raw token', async () => {
    const request = render(testEvent(), resolved({ address: `${recorder.url}/chat/webhooks/x` }))
    await sendRequest(request, { signal: AbortSignal.timeout(10_000) })
    const [received] = recorder.requests
    expect(received!.method).toBe('POST')
    expect(received!.path).toBe('/chat/webhooks/x?format=full')
    expect(received!.headers['authorization']).toBe('token')
    expect(received!.headers['content-type']).toBe('application/json')
    expect(received!.body).toBe(INFO_BODY)
  })
})
