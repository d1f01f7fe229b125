/** Goldens of reference §8.1 / §8.2 for `rocket`, and Rocket.Chat's message size. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { rocket } from '../../src/providers/rocket.js'
import type { HttpRequestSpec, Notification, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import {
  errorTestEvent,
  providerManifest,
  resolvedProvider,
  testEvent,
} from '../support/factories.js'

const ROCKET_INFO_BODY =
  '{"channel":"","username":"","icon_url":"","icon_emoji":"","attachments":[{"fallback":"","color":"#0076D7","author_name":"gitrepository/webapp.gitops-system","text":"message","mrkdwn_in":["text"],"fields":[{"title":"test","value":"metadata","short":false}]}]}'

const HOOK = 'https://rocket.example.com/hooks/abc/def'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('rocket', {
    provider: providerManifest('rocket', { name: 'rocket', namespace: 'flux-system' }),
    address: HOOK,
    ...overrides,
  })
}

function render(event: FluxEvent, provider: ResolvedProvider = resolved()): HttpRequestSpec {
  const rendered = rocket.render({ event, alert: {} as Alert, provider } satisfies Notification)
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

interface Attachment {
  text: string
  fields: { title: string; value: string }[]
}

function attachment(body: string | Uint8Array | undefined): Attachment {
  return (JSON.parse(body as string) as { attachments: Attachment[] }).attachments[0]!
}

describe('rocket body', () => {
  it('is the §8.1 golden for testEvent (no user or channel)', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe(HOOK)
    expect(request.headers).toEqual({ 'Content-Type': 'application/json' })
    expect(request.body).toBe(ROCKET_INFO_BODY)
  })

  it('error variant (§8.2): #FF0000, empty fallback, the message escaped like Go', () => {
    expect(render(errorTestEvent()).body).toBe(
      '{"channel":"","username":"","icon_url":"","icon_emoji":"","attachments":[{"fallback":"","color":"#FF0000","author_name":"gitrepository/webapp.gitops-system","text":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line","mrkdwn_in":["text"],"fields":[{"title":"test","value":"metadata","short":false}]}]}',
    )
  })

  it('channel and username go in as set; the username has no default', () => {
    const body = JSON.parse(
      render(testEvent(), resolved({ channel: '#flux', username: 'fluxbot' })).body as string,
    ) as { channel: string; username: string }
    expect(body.channel).toBe('#flux')
    expect(body.username).toBe('fluxbot')
  })

  it('fields come sorted by key; no metadata gives fields []', () => {
    const sorted = { ...testEvent(), metadata: { revision: 'r', env: 'prod', Zone: 'z' } }
    expect(attachment(render(sorted).body).fields.map((f) => f.title)).toEqual([
      'Zone',
      'env',
      'revision',
    ])
    const none = { ...testEvent() }
    delete none.metadata
    expect(render(none).body).toContain('"fields":[]')
  })
})

describe('rocket validate', () => {
  it('accepts a hook URL and rejects a bad one with the controller text', () => {
    expect(rocket.validate(resolved())).toBeUndefined()
    expect(rocket.validate(resolved({ address: '' }))).toBe(
      `invalid Rocket hook URL : 'parse "": empty url'`,
    )
    expect(rocket.validate(resolved({ address: 'rocket/hooks' }))).toBe(
      `invalid Rocket hook URL rocket/hooks: 'parse "rocket/hooks": invalid URI for request'`,
    )
  })
})

describe('rocket limits (Message_MaxAllowedSize, 5,000 by default)', () => {
  it('cuts the text so that it and the field values total 5,000 characters', () => {
    const a = attachment(render({ ...testEvent(), message: '😀'.repeat(6000) }).body)
    // "metadata" (8) leaves 4,992 for the text, the marker included
    expect(a.text).toBe(`${'😀'.repeat(4991)}…`)
    expect(a.fields[0]!.value).toBe('metadata')
  })

  it('leaves a message within the limit alone', () => {
    const message = 'x'.repeat(4992)
    expect(attachment(render({ ...testEvent(), message }).body).text).toBe(message)
  })
})

describe('rocket over loopback', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder()
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('the rendered request arrives as built', async () => {
    const request = render(testEvent(), resolved({ address: `${recorder.url}/hooks/abc/def` }))
    await sendRequest(request, { signal: AbortSignal.timeout(10_000) })
    const [received] = recorder.requests
    expect(received!.method).toBe('POST')
    expect(received!.path).toBe('/hooks/abc/def')
    expect(received!.headers['content-type']).toBe('application/json')
    expect(received!.body).toBe(ROCKET_INFO_BODY)
  })
})
