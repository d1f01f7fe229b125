/** Goldens of reference §8.1 / §8.2 for `discord`, its `/slack` URL rule and Discord's limits. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { discord, discordUrl } from '../../src/providers/discord.js'
import type { HttpRequestSpec, Notification, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import {
  errorTestEvent,
  providerManifest,
  resolvedProvider,
  testEvent,
} from '../support/factories.js'

const DISCORD_INFO_BODY =
  '{"channel":"","username":"source-controller","icon_url":"","icon_emoji":"","attachments":[{"fallback":"","color":"good","author_name":"gitrepository/webapp.gitops-system","text":"message","mrkdwn_in":["text"],"fields":[{"title":"test","value":"metadata","short":false}]}]}'

const WEBHOOK = 'https://discord.com/api/webhooks/1/abc'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('discord', {
    provider: providerManifest('discord', { name: 'discord', namespace: 'flux-system' }),
    address: WEBHOOK,
    ...overrides,
  })
}

function render(event: FluxEvent, provider: ResolvedProvider = resolved()): HttpRequestSpec {
  const rendered = discord.render({ event, alert: {} as Alert, provider } satisfies Notification)
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

interface Attachment {
  fallback: string
  color: string
  author_name: string
  text: string
  fields: { title: string; value: string; short: boolean }[]
}

function attachment(body: string | Uint8Array | undefined): Attachment {
  return (JSON.parse(body as string) as { attachments: Attachment[] }).attachments[0]!
}

describe('discord body', () => {
  it('is the §8.1 golden for testEvent (no username), posted to <webhook>/slack', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe('https://discord.com/api/webhooks/1/abc/slack')
    expect(request.headers).toEqual({ 'Content-Type': 'application/json' })
    expect(request.body).toBe(DISCORD_INFO_BODY)
  })

  it('ignores spec.channel: the webhook decides where the message goes', () => {
    expect(render(testEvent(), resolved({ channel: 'general' })).body).toBe(DISCORD_INFO_BODY)
  })

  it('error variant (§8.2): danger, empty fallback, the message escaped like Go', () => {
    const body = render(errorTestEvent()).body as string
    expect(body).toContain(
      '"fallback":"","color":"danger","author_name":"gitrepository/webapp.gitops-system","text":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line"',
    )
  })

  it('a set username wins; no metadata gives fields []', () => {
    const event = { ...testEvent() }
    delete event.metadata
    expect(render(event, resolved({ username: 'flux' })).body).toBe(
      '{"channel":"","username":"flux","icon_url":"","icon_emoji":"","attachments":[{"fallback":"","color":"good","author_name":"gitrepository/webapp.gitops-system","text":"message","mrkdwn_in":["text"],"fields":[]}]}',
    )
  })

  it('fields come sorted by key (upstream order is random)', () => {
    const event = { ...testEvent(), metadata: { revision: 'r', env: 'prod', Zone: 'z' } }
    expect(attachment(render(event).body).fields.map((f) => f.title)).toEqual([
      'Zone',
      'env',
      'revision',
    ])
  })
})

describe('discord URL', () => {
  const url = (address: string) => {
    const result = discordUrl(address)
    if ('error' in result) throw new Error(result.error)
    return result.url
  }

  it('joins slack onto the path, keeping the query', () => {
    expect(url(WEBHOOK)).toBe('https://discord.com/api/webhooks/1/abc/slack')
    expect(url(`${WEBHOOK}?wait=true`)).toBe(
      'https://discord.com/api/webhooks/1/abc/slack?wait=true',
    )
    expect(url('https://discord.com')).toBe('https://discord.com/slack')
    expect(url('http://127.0.0.1:8080/hooks/x')).toBe('http://127.0.0.1:8080/hooks/x/slack')
  })

  it('leaves an address that already ends in /slack as it is', () => {
    expect(url(`${WEBHOOK}/slack`)).toBe(`${WEBHOOK}/slack`)
  })

  it('tests the suffix on the raw string, so a query hides it', () => {
    expect(url(`${WEBHOOK}/slack?wait=true`)).toBe(`${WEBHOOK}/slack/slack?wait=true`)
  })

  it('cleans the path like path.Join', () => {
    expect(url(`${WEBHOOK}/`)).toBe(`${WEBHOOK}/slack`)
    expect(url('https://discord.com/api//webhooks/./1/x/../abc')).toBe(`${WEBHOOK}/slack`)
  })

  it('re-escapes the path and keeps user info, like Go URL.String()', () => {
    expect(url('https://discord.com/api/webhooks/1/a%20b')).toBe(
      'https://discord.com/api/webhooks/1/a%20b/slack',
    )
    expect(url('https://u:p%40ss@discord.com/x')).toBe('https://u:p%40ss@discord.com/x/slack')
  })
})

describe('discord validate', () => {
  it('accepts a webhook URL', () => {
    expect(discord.validate(resolved())).toBeUndefined()
  })

  it('rejects a bad URL with the controller text', () => {
    expect(discord.validate(resolved({ address: '' }))).toBe(
      `invalid Discord hook URL : 'parse "": empty url'`,
    )
    expect(discord.validate(resolved({ address: 'discord.com/api/webhooks/1/abc' }))).toBe(
      `invalid Discord hook URL discord.com/api/webhooks/1/abc: 'parse "discord.com/api/webhooks/1/abc": invalid URI for request'`,
    )
  })

  it('is a notification type', () => {
    expect(discord.class).toBe('notification')
  })
})

describe('discord limits (embed limits, Discord developer docs)', () => {
  it('cuts the text to the 4,096-character embed description', () => {
    const text = attachment(render({ ...testEvent(), message: 'x'.repeat(5000) }).body).text
    expect([...text]).toHaveLength(4096)
    expect(text).toBe(`${'x'.repeat(4095)}…`)
  })

  it('keeps the embed within 6,000 characters, cutting the longest texts first', () => {
    const event = {
      ...testEvent(),
      message: 'm'.repeat(4000),
      metadata: { a: 'v'.repeat(1000), b: 'v'.repeat(1000), c: 'v'.repeat(1000) },
    }
    const a = attachment(render(event).body)
    // author (34) + titles (3) + values (3 × 1,000) leave 2,963 for the description
    expect(a.text).toBe(`${'m'.repeat(2962)}…`)
    expect(a.fields.map((f) => f.value)).toEqual([
      'v'.repeat(1000),
      'v'.repeat(1000),
      'v'.repeat(1000),
    ])
  })

  it('cuts a field value to 1,024 characters and a username to 80', () => {
    const event = { ...testEvent(), metadata: { test: 'é'.repeat(2000) } }
    const body = render(event, resolved({ username: 'u'.repeat(100) })).body as string
    expect(attachment(body).fields[0]!.value).toBe(`${'é'.repeat(1023)}…`)
    expect((JSON.parse(body) as { username: string }).username).toBe(`${'u'.repeat(79)}…`)
  })

  it('shows at most 25 fields: 24 and a count of the rest', () => {
    const metadata: Record<string, string> = {}
    for (let i = 10; i < 40; i++) metadata[`k${i}`] = 'v'
    const fields = attachment(render({ ...testEvent(), metadata }).body).fields
    expect(fields).toHaveLength(25)
    expect(fields[23]!.title).toBe('k33')
    expect(fields[24]).toEqual({ title: '…', value: '6 more', short: false })
  })
})

describe('discord over loopback', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder()
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('the rendered request arrives at <webhook>/slack with the golden body', async () => {
    const request = render(testEvent(), resolved({ address: `${recorder.url}/api/webhooks/1/abc` }))
    await sendRequest(request, { signal: AbortSignal.timeout(10_000) })
    const [received] = recorder.requests
    expect(received!.method).toBe('POST')
    expect(received!.path).toBe('/api/webhooks/1/abc/slack')
    expect(received!.headers['content-type']).toBe('application/json')
    expect(received!.body).toBe(DISCORD_INFO_BODY)
  })
})
