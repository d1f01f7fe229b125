/**
 * Goldens of reference §8.1 / §8.2 for `msteams`, both bodies, the §5.6 schema rule with its test
 * cases, and Teams' 28 KB message limit.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { msteams, teamsSchema } from '../../src/providers/msteams.js'
import type { HttpRequestSpec, Notification, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import {
  errorTestEvent,
  providerManifest,
  resolvedProvider,
  testEvent,
} from '../support/factories.js'

const MESSAGE_CARD_INFO_BODY =
  '{"@type":"MessageCard","@context":"http://schema.org/extensions","themeColor":"0076D7","summary":"gitrepository/webapp.gitops-system","sections":[{"activityTitle":"message","activitySubtitle":"gitrepository/webapp.gitops-system","facts":[{"name":"test","value":"metadata"}]}]}'

const ADAPTIVE_INFO_BODY =
  '{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4","body":[{"type":"Container","items":[{"type":"TextBlock","text":"gitrepository/webapp.gitops-system","size":"large","weight":"bolder","wrap":true},{"type":"TextBlock","text":"message","wrap":true},{"type":"FactSet","facts":[{"title":"test","value":"metadata"}]}]}],"msteams":{"width":"Full"}}}]}'

const CONNECTOR = 'https://xxx.webhook.office.com/webhookb2/1/IncomingWebhook/2/3'
const WORKFLOW =
  'https://prod-00.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=s'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('msteams', {
    provider: providerManifest('msteams', { name: 'teams', namespace: 'flux-system' }),
    address: WORKFLOW,
    ...overrides,
  })
}

function render(event: FluxEvent, provider: ResolvedProvider = resolved()): HttpRequestSpec {
  const rendered = msteams.render({ event, alert: {} as Alert, provider } satisfies Notification)
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

const connector = () => resolved({ address: CONNECTOR })

interface AdaptiveItem {
  type: string
  text?: string
  color?: string
  facts?: { title: string; value: string }[]
}

function adaptiveItems(body: string | Uint8Array | undefined): AdaptiveItem[] {
  const parsed = JSON.parse(body as string) as {
    attachments: { content: { body: { items: AdaptiveItem[] }[] } }[]
  }
  return parsed.attachments[0]!.content.body[0]!.items
}

describe('msteams schema (§5.6)', () => {
  it('takes the legacy MessageCard for hosts ending in .webhook.office.com, port or not', () => {
    expect(teamsSchema('https://xxx.webhook.office.com')).toBe('message-card')
    expect(teamsSchema('https://xxx.webhook.office.com:443')).toBe('message-card')
    expect(teamsSchema(CONNECTOR)).toBe('message-card')
  })

  it('takes the Adaptive Card for everything else', () => {
    expect(teamsSchema('https://xxx-webhook.office.com')).toBe('adaptive-card')
    expect(teamsSchema(WORKFLOW)).toBe('adaptive-card')
    expect(teamsSchema('https://webhook.office.com')).toBe('adaptive-card')
    expect(teamsSchema('http://127.0.0.1:8080/hook')).toBe('adaptive-card')
  })
})

describe('msteams MessageCard', () => {
  it('is the §8.1 golden for testEvent', () => {
    const request = render(testEvent(), connector())
    expect(request.method).toBe('POST')
    expect(request.url).toBe(CONNECTOR)
    expect(request.headers).toEqual({ 'Content-Type': 'application/json' })
    expect(request.body).toBe(MESSAGE_CARD_INFO_BODY)
  })

  it('error variant (§8.2): themeColor FF0000, message escaped', () => {
    const body = render(errorTestEvent(), connector()).body as string
    expect(body).toContain('"themeColor":"FF0000"')
    expect(body).toContain(
      '"activityTitle":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line"',
    )
  })

  it('facts sorted by key, [] without metadata', () => {
    const event = { ...testEvent(), metadata: { summary: 's', b: '2', a: '1' } }
    expect(render(event, connector()).body).toContain(
      '"facts":[{"name":"a","value":"1"},{"name":"b","value":"2"},{"name":"summary","value":"s"}]',
    )
    const none = { ...testEvent() }
    delete none.metadata
    expect(render(none, connector()).body).toContain('"facts":[]')
  })
})

describe('msteams Adaptive Card', () => {
  it('is the §8.1 golden for testEvent', () => {
    const request = render(testEvent())
    expect(request.url).toBe(WORKFLOW)
    expect(request.headers).toEqual({ 'Content-Type': 'application/json' })
    expect(request.body).toBe(ADAPTIVE_INFO_BODY)
  })

  it('error variant (§8.2): the message block is coloured attention', () => {
    expect(render(errorTestEvent()).body).toContain(
      '{"type":"TextBlock","text":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line","color":"attention","wrap":true}',
    )
  })

  it('puts the summary fact first and sorts the rest by key', () => {
    const event = { ...testEvent(), metadata: { zeta: 'z', summary: 's', Alpha: 'A', beta: 'b' } }
    const facts = adaptiveItems(render(event).body)[2]!.facts!
    expect(facts.map((f) => f.title)).toEqual(['summary', 'Alpha', 'beta', 'zeta'])
  })

  it('leaves facts out entirely without metadata', () => {
    const none = { ...testEvent() }
    delete none.metadata
    expect(render(none).body).toContain(
      '"wrap":true},{"type":"FactSet"}]}],"msteams":{"width":"Full"}',
    )
  })
})

describe('msteams validate', () => {
  it('accepts both kinds of address and rejects a bad one with the controller text', () => {
    expect(msteams.validate(resolved())).toBeUndefined()
    expect(msteams.validate(connector())).toBeUndefined()
    expect(msteams.validate(resolved({ address: '' }))).toBe(
      `invalid MS Teams webhook URL : 'parse "": empty url'`,
    )
    expect(msteams.validate(resolved({ address: 'outlook.office.com/webhook' }))).toBe(
      `invalid MS Teams webhook URL outlook.office.com/webhook: 'parse "outlook.office.com/webhook": invalid URI for request'`,
    )
  })
})

describe('msteams limit (28 KB per message)', () => {
  for (const [schema, provider] of [
    ['Adaptive Card', resolved],
    ['MessageCard', connector],
  ] as const) {
    it(`${schema}: a long message is cut so the body is exactly 28,000 bytes`, () => {
      const body = render({ ...testEvent(), message: 'x'.repeat(40_000) }, provider())
        .body as string
      // every character is one byte, so the longest cut that fits fills the limit
      expect(Buffer.byteLength(body)).toBe(28_000)
      expect(body).toMatch(/"x{1000,}…"/)
      expect(body).toContain('"metadata"')
    })
  }

  it('a body within the limit is untouched', () => {
    const message = 'x'.repeat(20_000)
    expect(adaptiveItems(render({ ...testEvent(), message }).body)[1]!.text).toBe(message)
  })

  it('escaped characters count at their escaped size', () => {
    const body = render({ ...testEvent(), message: '<'.repeat(10_000) }).body as string
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(28_000)
    expect(Buffer.byteLength(body)).toBeGreaterThan(28_000 - 6)
    expect(adaptiveItems(body)[1]!.text).toMatch(/^<+…$/)
  })
})

describe('msteams over loopback', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder()
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('the rendered Adaptive Card arrives as built', async () => {
    const request = render(testEvent(), resolved({ address: `${recorder.url}/workflows/x?sig=1` }))
    await sendRequest(request, { signal: AbortSignal.timeout(10_000) })
    const [received] = recorder.requests
    expect(received!.method).toBe('POST')
    expect(received!.path).toBe('/workflows/x?sig=1')
    expect(received!.headers['content-type']).toBe('application/json')
    expect(received!.body).toBe(ADAPTIVE_INFO_BODY)
  })
})
