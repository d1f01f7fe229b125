/** Goldens of reference §8.1 / §8.2 for `slack`, and its chat.postMessage response check. */
import { describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { checkSlackApiResponse, slack, slackBody } from '../../src/providers/slack.js'
import type { HttpRequestSpec, Notification, ResolvedProvider } from '../../src/providers/types.js'
import {
  errorTestEvent,
  providerManifest,
  resolvedProvider,
  testEvent,
} from '../support/factories.js'

const SLACK_INFO_BODY =
  '{"channel":"test","username":"source-controller","icon_url":"","icon_emoji":"","attachments":[{"fallback":"gitrepository/webapp.gitops-system: message","color":"good","author_name":"gitrepository/webapp.gitops-system","text":"message","mrkdwn_in":["text"],"fields":[{"title":"test","value":"metadata","short":false}]}]}'

/** The slack Provider of flux-system, channel test, resolved with a secret webhook address. */
function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('slack', {
    provider: providerManifest('slack', {
      name: 'slack',
      namespace: 'flux-system',
      channel: 'test',
      address: '',
    }),
    uid: '0c9c2e41',
    address: 'https://hooks.slack.com/services/T0/B0/X0',
    ...overrides,
  })
}

function render(event: FluxEvent, provider: ResolvedProvider): HttpRequestSpec {
  const rendered = slack.render({ event, alert: {} as Alert, provider } satisfies Notification)
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

describe('slack body', () => {
  it('is the §8.1 golden for testEvent (channel test, no username)', () => {
    const request = render(testEvent(), resolved())
    expect(request.method).toBe('POST')
    expect(request.url).toBe('https://hooks.slack.com/services/T0/B0/X0')
    expect(request.body).toBe(SLACK_INFO_BODY)
    expect(request.headers).toEqual({ 'Content-Type': 'application/json' })
    // an incoming webhook gets the default 2xx check only
    expect(request.checkResponse).toBeUndefined()
    // §5.1: sent through postMessage, its errors wrapped `postMessage failed: `
    expect(request.errorPrefix).toBe('postMessage failed: ')
    expect(request.postMessage).toBe(true)
  })

  it('error variant: first line in the fallback, escaped, colour danger', () => {
    const body = render(errorTestEvent(), resolved()).body as string
    expect(body).toContain(
      '"fallback":"gitrepository/webapp.gitops-system: apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e","color":"danger"',
    )
    expect(body).toContain(
      '"text":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line"',
    )
  })

  it('a set username wins; an empty channel stays ""; no metadata gives fields []', () => {
    const event = { ...testEvent() }
    delete event.metadata
    const body = render(event, resolved({ channel: '', username: 'flux' })).body as string
    expect(body).toBe(
      '{"channel":"","username":"flux","icon_url":"","icon_emoji":"","attachments":[{"fallback":"gitrepository/webapp.gitops-system: message","color":"good","author_name":"gitrepository/webapp.gitops-system","text":"message","mrkdwn_in":["text"],"fields":[]}]}',
    )
  })

  it('fields come sorted by key (upstream order is random)', () => {
    const event = {
      ...testEvent(),
      metadata: { revision: 'main@sha1:abc', env: 'prod', Zone: 'z' },
    }
    const body = JSON.parse(render(event, resolved()).body as string) as {
      attachments: { fields: { title: string }[] }[]
    }
    expect(body.attachments[0]!.fields.map((f) => f.title)).toEqual(['Zone', 'env', 'revision'])
  })

  it('a token adds Authorization: Bearer', () => {
    const request = render(testEvent(), resolved({ token: 'xoxb-123' }))
    expect(request.headers).toEqual({
      'Content-Type': 'application/json',
      Authorization: 'Bearer xoxb-123',
    })
  })

  it('chat.postMessage (exactly that address) gets the ok/error check', () => {
    const api = render(
      testEvent(),
      resolved({ address: 'https://slack.com/api/chat.postMessage', token: 't' }),
    )
    expect(api.checkResponse).toBe(checkSlackApiResponse)
    const other = render(
      testEvent(),
      resolved({ address: 'https://slack.com/api/chat.postMessage/' }),
    )
    expect(other.checkResponse).toBeUndefined()
  })
})

describe('slack validate', () => {
  it('accepts a webhook URL', () => {
    expect(slack.validate(resolved())).toBeUndefined()
  })

  it('rejects a bad URL with the controller text', () => {
    expect(slack.validate(resolved({ address: '' }))).toBe(
      `invalid Slack hook URL : 'parse "": empty url'`,
    )
    expect(slack.validate(resolved({ address: 'hooks.slack.com/services/x' }))).toBe(
      `invalid Slack hook URL hooks.slack.com/services/x: 'parse "hooks.slack.com/services/x": invalid URI for request'`,
    )
  })

  it('is a notification type', () => {
    expect(slack.class).toBe('notification')
  })
})

describe('checkSlackApiResponse', () => {
  it('passes ok:true', () => {
    expect(checkSlackApiResponse(200, '{"ok":true,"channel":"C1","ts":"1.2"}')).toBeUndefined()
    expect(checkSlackApiResponse(200, '{"OK":true}')).toBeUndefined()
  })

  it('fails ok:false with the error Slack gave', () => {
    expect(checkSlackApiResponse(200, '{"ok":false,"error":"channel_not_found"}')).toBe(
      'Slack responded with error: channel_not_found',
    )
  })

  it('treats a missing ok as false', () => {
    expect(checkSlackApiResponse(200, '{"error":"invalid_auth"}')).toBe(
      'Slack responded with error: invalid_auth',
    )
  })

  it('reports an undecodable body', () => {
    expect(checkSlackApiResponse(200, 'ok')).toBe(
      "unable to unmarshal response body: invalid character 'o' looking for beginning of value",
    )
    expect(checkSlackApiResponse(200, '')).toBe('unable to unmarshal response body: EOF')
    expect(checkSlackApiResponse(200, '{"ok":"yes"}')).toBe(
      'unable to unmarshal response body: json: cannot unmarshal string into Go struct field .ok of type bool',
    )
  })
})

describe('slack length limit', () => {
  it('cuts a message over 40,000 characters on a character boundary, with a marker', () => {
    const long = `${'x'.repeat(39_999)}🚀 and more`
    const body = JSON.parse(slackBody({ ...testEvent(), message: long }, 'c', '')) as {
      attachments: Array<{ text: string; fallback: string }>
    }
    const text = body.attachments[0]!.text
    expect([...text]).toHaveLength(40_000)
    expect(text.endsWith('x…')).toBe(true)
    // a message within the limit is untouched (the golden above), and so is one exactly at it
    const exact = 'y'.repeat(40_000)
    const fits = JSON.parse(slackBody({ ...testEvent(), message: exact }, 'c', '')) as {
      attachments: Array<{ text: string }>
    }
    expect(fits.attachments[0]!.text).toBe(exact)
  })
})
