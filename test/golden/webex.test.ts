/** Goldens of reference §8.1 / §8.2 for `webex`, its auth header, and Webex's markdown limit. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import type { HttpRequestSpec, Notification, ResolvedProvider } from '../../src/providers/types.js'
import { webex } from '../../src/providers/webex.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import {
  errorTestEvent,
  providerManifest,
  resolvedProvider,
  testEvent,
} from '../support/factories.js'

const WEBEX_INFO_BODY =
  '{"roomId":"room","markdown":"✅ **gitrepository/webapp.gitops-system**\\nmessage\\n\\u003e**test**: metadata\\n"}'

const API = 'https://webexapis.com/v1/messages'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('webex', {
    provider: providerManifest('webex', { name: 'webex', namespace: 'flux-system' }),
    address: API,
    channel: 'room',
    token: 'bot-token',
    ...overrides,
  })
}

function render(event: FluxEvent, provider: ResolvedProvider = resolved()): HttpRequestSpec {
  const rendered = webex.render({ event, alert: {} as Alert, provider } satisfies Notification)
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

function markdownOf(request: HttpRequestSpec): string {
  return (JSON.parse(request.body as string) as { markdown: string }).markdown
}

describe('webex body', () => {
  it('is the §8.1 golden for testEvent (room "room")', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe(API)
    expect(request.headers).toEqual({
      'Content-Type': 'application/json',
      Authorization: 'Bearer bot-token',
    })
    expect(request.body).toBe(WEBEX_INFO_BODY)
  })

  it('error variant (§8.2): the bomb emoji, the message escaped like Go', () => {
    expect(render(errorTestEvent()).body).toBe(
      '{"roomId":"room","markdown":"💣 **gitrepository/webapp.gitops-system**\\napply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line\\n\\u003e**test**: metadata\\n"}',
    )
  })

  it('omits roomId without a channel; metadata lines sorted by key', () => {
    const event = { ...testEvent(), metadata: { revision: 'r', Zone: 'z' } }
    expect(render(event, resolved({ channel: '' })).body).toBe(
      '{"markdown":"✅ **gitrepository/webapp.gitops-system**\\nmessage\\n\\u003e**Zone**: z\\n\\u003e**revision**: r\\n"}',
    )
  })

  it('always sends the Authorization header, even with an empty token', () => {
    expect(render(testEvent(), resolved({ token: '' })).headers['Authorization']).toBe('Bearer ')
  })
})

describe('webex validate', () => {
  it('accepts the API URL and rejects a bad one with the controller text', () => {
    expect(webex.validate(resolved())).toBeUndefined()
    expect(webex.validate(resolved({ address: '' }))).toBe(
      `invalid Webex hook URL : 'parse "": empty url'`,
    )
    expect(webex.validate(resolved({ address: 'webexapis.com/v1/messages' }))).toBe(
      `invalid Webex hook URL webexapis.com/v1/messages: 'parse "webexapis.com/v1/messages": invalid URI for request'`,
    )
  })
})

describe('webex limit (markdown at most 7,439 bytes)', () => {
  it('cuts a long message on a character boundary to fit the limit', () => {
    const markdown = markdownOf(render({ ...testEvent(), message: 'é'.repeat(5000) }))
    const bytes = Buffer.byteLength(markdown)
    expect(bytes).toBeLessThanOrEqual(7439)
    // é is 2 bytes: the longest cut is within one byte of the limit
    expect(bytes).toBeGreaterThanOrEqual(7438)
    expect(markdown).toMatch(
      /^✅ \*\*gitrepository\/webapp\.gitops-system\*\*\né+…\n>\*\*test\*\*: metadata\n$/,
    )
  })

  it('shares the limit between the message and long metadata values', () => {
    const event = { ...testEvent(), message: 'm'.repeat(6000), metadata: { a: 'v'.repeat(6000) } }
    const markdown = markdownOf(render(event))
    expect(Buffer.byteLength(markdown)).toBeLessThanOrEqual(7439)
    const [, message, line] = markdown.split('\n')
    expect(message).toMatch(/^m+…$/)
    expect(line).toMatch(/^>\*\*a\*\*: v+…$/)
    // both are cut to the same length
    expect(message!.length).toBe(line!.length - '>**a**: '.length)
  })

  it('leaves a markdown within the limit alone', () => {
    const message = 'x'.repeat(7000)
    expect(markdownOf(render({ ...testEvent(), message }))).toContain(`\n${message}\n`)
  })
})

describe('webex over loopback', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder()
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('the rendered request arrives with its bearer token', async () => {
    await sendRequest(render(testEvent(), resolved({ address: `${recorder.url}/v1/messages` })), {
      signal: AbortSignal.timeout(10_000),
    })
    const [received] = recorder.requests
    expect(received!.method).toBe('POST')
    expect(received!.path).toBe('/v1/messages')
    expect(received!.headers['authorization']).toBe('Bearer bot-token')
    expect(received!.headers['content-type']).toBe('application/json')
    expect(received!.body).toBe(WEBEX_INFO_BODY)
  })
})
