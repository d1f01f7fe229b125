/** Goldens of reference §8.1 / §8.2 for `googlechat`, and Google Chat's 32,000-byte limit. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { googleChat } from '../../src/providers/googlechat.js'
import type { HttpRequestSpec, Notification, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import {
  errorTestEvent,
  providerManifest,
  resolvedProvider,
  testEvent,
} from '../support/factories.js'

const GOOGLE_CHAT_INFO_BODY =
  '{"cards":[{"header":{"title":"gitrepository/webapp.gitops-system","subtitle":"source-controller","imageUrl":null,"imageStyle":null},"sections":[{"header":"","widgets":[{"textParagraph":{"text":"message"},"keyValue":null}]},{"header":"","widgets":[{"textParagraph":null,"keyValue":{"topLabel":"test","content":"metadata","contentMultiline":false,"bottomLabel":null,"icon":null}}]}]}]}'

const HOOK = 'https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('googlechat', {
    provider: providerManifest('googlechat', { name: 'gchat', namespace: 'flux-system' }),
    address: HOOK,
    ...overrides,
  })
}

function render(event: FluxEvent, provider: ResolvedProvider = resolved()): HttpRequestSpec {
  const rendered = googleChat.render({ event, alert: {} as Alert, provider } satisfies Notification)
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

interface Card {
  sections: {
    widgets: { textParagraph: { text: string } | null; keyValue: { topLabel: string } | null }[]
  }[]
}

function card(body: string | Uint8Array | undefined): Card {
  return (JSON.parse(body as string) as { cards: Card[] }).cards[0]!
}

describe('googlechat body', () => {
  it('is the §8.1 golden for testEvent', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe(HOOK)
    expect(request.headers).toEqual({ 'Content-Type': 'application/json' })
    expect(request.body).toBe(GOOGLE_CHAT_INFO_BODY)
  })

  it('error variant (§8.2): the message in a red font tag, HTML-escaped in JSON', () => {
    expect(render(errorTestEvent()).body).toContain(
      '{"textParagraph":{"text":"\\u003cfont color=\\"#ff0000\\"\\u003eapply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line\\u003c/font\\u003e"},"keyValue":null}',
    )
  })

  it('has no metadata section without metadata', () => {
    const none = { ...testEvent() }
    delete none.metadata
    expect(render(none).body).toBe(
      '{"cards":[{"header":{"title":"gitrepository/webapp.gitops-system","subtitle":"source-controller","imageUrl":null,"imageStyle":null},"sections":[{"header":"","widgets":[{"textParagraph":{"text":"message"},"keyValue":null}]}]}]}',
    )
  })

  it('key/value widgets come sorted by key (upstream order is random)', () => {
    const event = { ...testEvent(), metadata: { revision: 'r', env: 'prod', Zone: 'z' } }
    const widgets = card(render(event).body).sections[1]!.widgets
    expect(widgets.map((w) => w.keyValue!.topLabel)).toEqual(['Zone', 'env', 'revision'])
  })
})

describe('googlechat validate', () => {
  it('accepts a webhook URL', () => {
    expect(googleChat.validate(resolved())).toBeUndefined()
  })

  it('rejects a bad URL with the controller text, which has no reason', () => {
    expect(googleChat.validate(resolved({ address: '' }))).toBe('invalid Google Chat hook URL ')
    expect(googleChat.validate(resolved({ address: 'chat.googleapis.com/v1' }))).toBe(
      'invalid Google Chat hook URL chat.googleapis.com/v1',
    )
  })
})

describe('googlechat limit (32,000 bytes per message)', () => {
  it('cuts a long message so the body is exactly 32,000 bytes', () => {
    const body = render({ ...testEvent(), message: 'x'.repeat(50_000) }).body as string
    expect(Buffer.byteLength(body)).toBe(32_000)
    expect(card(body).sections[0]!.widgets[0]!.textParagraph!.text).toMatch(/^x+…$/)
    expect(card(body).sections[1]!.widgets[0]!.keyValue!.topLabel).toBe('test')
  })

  it('keeps the font tag whole on an error: only the message inside is cut', () => {
    const event = { ...errorTestEvent(), message: 'é'.repeat(30_000) }
    const body = render(event).body as string
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(32_000)
    expect(card(body).sections[0]!.widgets[0]!.textParagraph!.text).toMatch(
      /^<font color="#ff0000">é+…<\/font>$/,
    )
  })
})

describe('googlechat over loopback', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder()
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('the rendered request arrives as built', async () => {
    const address = `${recorder.url}/v1/spaces/AAA/messages?key=k&token=t`
    await sendRequest(render(testEvent(), resolved({ address })), {
      signal: AbortSignal.timeout(10_000),
    })
    const [received] = recorder.requests
    expect(received!.method).toBe('POST')
    expect(received!.path).toBe('/v1/spaces/AAA/messages?key=k&token=t')
    expect(received!.headers['content-type']).toBe('application/json')
    expect(received!.body).toBe(GOOGLE_CHAT_INFO_BODY)
  })
})
