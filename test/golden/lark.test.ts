/** `lark` (reference §5.13): goldens of §8.1 / §8.2, validate, the 20 KB limit, loopback. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { lark } from '../../src/providers/lark.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { errorTestEvent, resolvedProvider, testEvent } from '../support/factories.js'

const HOOK = 'https://open.larksuite.com/open-apis/bot/v2/hook/0000'

/** §8.1, exact bytes. */
const INFO_BODY =
  '{"msg_type":"interactive","card":{"config":{"wide_screen_mode":true},"header":{"title":{"tag":"plain_text","content":"💫 gitrepository/webapp.gitops-system"},"template":"turquoise"},"elements":[{"tag":"div","text":{"tag":"lark_md","content":"**message**\\n\\ntest: metadata\\n"}}]}}'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('lark', { address: HOOK, ...overrides })
}

function render(event: FluxEvent, provider: ResolvedProvider = resolved()): HttpRequestSpec {
  const rendered = lark.render({ event, alert: {} as Alert, provider })
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

interface LarkBody {
  card: {
    header: { title: { content: string }; template: string }
    elements: { text: { content: string } }[]
  }
}

const parse = (request: HttpRequestSpec) => JSON.parse(request.body as string) as LarkBody

describe('lark goldens', () => {
  it('§8.1: testEvent', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe(HOOK)
    expect(request.headers).toEqual({ 'Content-Type': 'application/json' })
    expect(request.body).toBe(INFO_BODY)
  })

  it('§8.2: error event — 🚨, red, message escaped as Go does', () => {
    const body = render(errorTestEvent()).body as string
    expect(body).toBe(
      '{"msg_type":"interactive","card":{"config":{"wide_screen_mode":true},"header":{"title":{"tag":"plain_text","content":"🚨 gitrepository/webapp.gitops-system"},"template":"red"},"elements":[{"tag":"div","text":{"tag":"lark_md","content":"**apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line**\\n\\ntest: metadata\\n"}}]}}',
    )
  })

  it('metadata lines come sorted by key; none leaves the message alone', () => {
    const event = { ...testEvent(), metadata: { revision: 'main@sha1:abc', env: 'prod' } }
    expect(parse(render(event)).card.elements[0]!.text.content).toBe(
      '**message**\n\nenv: prod\nrevision: main@sha1:abc\n',
    )
    const bare = testEvent()
    delete bare.metadata
    expect(parse(render(bare)).card.elements[0]!.text.content).toBe('**message**\n\n')
  })
})

describe('lark validate', () => {
  it('accepts a webhook URL', () => {
    expect(lark.validate(resolved())).toBeUndefined()
  })

  it('rejects a bad URL with the controller text (sic: Slack, no parse error)', () => {
    expect(lark.validate(resolved({ address: '' }))).toBe('invalid Slack hook URL ')
    expect(lark.validate(resolved({ address: 'open.larksuite.com/hook' }))).toBe(
      'invalid Slack hook URL open.larksuite.com/hook',
    )
  })
})

describe('lark length limit (20 KB body)', () => {
  const LIMIT = 20 * 1024

  it('a big message is cut so the body is within 20 KB, ending in …', () => {
    const request = render({ ...testEvent(), message: 'x'.repeat(30_000) })
    const size = Buffer.byteLength(request.body as string)
    expect(size).toBeLessThanOrEqual(LIMIT)
    expect(size).toBeGreaterThan(LIMIT - 16)
    expect(parse(request).card.elements[0]!.text.content).toMatch(
      /^\*\*x+…\*\*\n\ntest: metadata\n$/,
    )
  })

  it('multi-byte text is cut on a character boundary', () => {
    const request = render({ ...testEvent(), message: '日本'.repeat(10_000) })
    expect(Buffer.byteLength(request.body as string)).toBeLessThanOrEqual(LIMIT)
    const content = parse(request).card.elements[0]!.text.content
    expect(content.isWellFormed()).toBe(true)
    expect(content).toMatch(/^\*\*[日本]+…\*\*/)
  })

  it('a body that fits is left alone', () => {
    const message = 'y'.repeat(19_000)
    expect(parse(render({ ...testEvent(), message })).card.elements[0]!.text.content).toBe(
      `**${message}**\n\ntest: metadata\n`,
    )
  })
})

describe('lark over loopback', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder()
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('the card arrives as rendered', async () => {
    const request = render(
      testEvent(),
      resolved({ address: `${recorder.url}/open-apis/bot/v2/hook/x` }),
    )
    await sendRequest(request, { signal: AbortSignal.timeout(10_000) })
    const [received] = recorder.requests
    expect(received!.method).toBe('POST')
    expect(received!.path).toBe('/open-apis/bot/v2/hook/x')
    expect(received!.headers['content-type']).toBe('application/json')
    expect(received!.headers['authorization']).toBeUndefined()
    expect(received!.body).toBe(INFO_BODY)
  })
})
