/**
 * Untrusted event data, for every provider type of the registry (issue 7): event messages,
 * reasons, names and metadata holding markdown, HTML, control characters, lone surrogates and
 * very long strings never break a body, and are escaped as each provider's format requires.
 *
 * - JSON bodies: JSON.parse succeeds, the body is well-formed (no lone surrogate, no raw control
 *   character) and is exactly what Go's `encoding/json` would write for the decoded value, so
 *   `<`, `>` and `&` are `\u003c`, `\u003e`, `\u0026` (githubdispatch: go-github turns that off
 *   for its envelope).
 * - Telegram: in the MarkdownV2 text, the only reserved characters not escaped are our own `*`
 *   markers (reference §5.12; Telegram's list of 18 characters plus `\`).
 * - Slack mrkdwn: the controller does NOT escape `&`, `<`, `>` in `text` or field values
 *   (reference §5.3: the message goes in as is), so neither do we: the bodies must stay byte for
 *   byte the controller's. What we guarantee is a valid JSON body carrying the text unchanged.
 * - Limits (src/providers/limits.ts and each module's constant) hold for a 1 MB message.
 *
 * Cases are generated with fast-check from a fixed seed, so a failure reproduces.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import { normaliseFluxEvent } from '../../src/events/normalise.js'
import type { Alert } from '../../src/manifests/model.js'
import { DISCORD_LIMITS } from '../../src/providers/discord.js'
import { dispatchBody } from '../../src/providers/git/github-dispatch.js'
import { commentBody } from '../../src/providers/git/change-request-comment.js'
import { GITHUB_DESCRIPTION_LIMIT } from '../../src/providers/git/status-text.js'
import { publishBody } from '../../src/providers/google-pubsub.js'
import { LARK_BODY_LIMIT_BYTES } from '../../src/providers/lark.js'
import { codePointLength, utf8Length } from '../../src/providers/limits.js'
import { MATRIX_BODY_LIMIT_BYTES } from '../../src/providers/matrix.js'
import { TEAMS_MAX_BODY_BYTES } from '../../src/providers/msteams.js'
import { GOOGLE_CHAT_MAX_BODY_BYTES } from '../../src/providers/googlechat.js'
import { natsPayload } from '../../src/providers/nats.js'
import { OPSGENIE_DESCRIPTION_LIMIT, OPSGENIE_MESSAGE_LIMIT } from '../../src/providers/opsgenie.js'
import { PAGERDUTY_SUMMARY_LIMIT } from '../../src/providers/pagerduty.js'
import { PROVIDER_TYPES } from '../../src/providers/registry.js'
import { ROCKET_MAX_MESSAGE_CHARS } from '../../src/providers/rocket.js'
import { SENTRY_MESSAGE_LIMIT } from '../../src/providers/sentry.js'
import { SLACK_TEXT_LIMIT } from '../../src/providers/slack.js'
import { TELEGRAM_TEXT_LIMIT } from '../../src/providers/telegram.js'
import type {
  HttpRequestSpec,
  Notification,
  ProviderModule,
  ResolvedProvider,
} from '../../src/providers/types.js'
import { WEBEX_MAX_MARKDOWN_BYTES } from '../../src/providers/webex.js'
import { ZOOM_MESSAGE_LIMIT } from '../../src/providers/zoom.js'
import { ZULIP_CONTENT_LIMIT } from '../../src/providers/zulip.js'
import { DATADOG_TEXT_LIMIT } from '../../src/providers/datadog.js'
import { goJson } from '../../src/util/go-json.js'
import { resolvedProvider } from '../support/factories.js'

const SEED = 20_240_507
const SHA = 'a1afe267b54f38b46b487f6e938a6fd508278c07'

// ---- hostile strings -------------------------------------------------------------------------

/** Pieces that have broken a body or a markup format somewhere, at some time. */
const HOSTILE_PIECES = [
  ...'*_~[]()`>#+-=|{}.!\\<&"\'/',
  '<script>alert(1)</script>',
  '&amp;',
  '&lt;b&gt;',
  '</b>',
  '<!here>',
  '<@U123>',
  '[link](http://x)',
  '**bold**',
  '~~strike~~',
  '```code```',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ud800', // lone high surrogate
  '\udc00', // lone low surrogate
  '\udbff\udfff', // a valid pair (U+10FFFF)
  '😀',
  'é',
  '\r\n',
  '%zz',
  '${VAR}',
  '{{ .x }}',
  ...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)),
  '\u007f',
  '\u0085',
]

const hostilePiece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_PIECES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
)

/** A short hostile string (names, keys, reasons). */
const hostile = (maxLength = 12) =>
  fc.array(hostilePiece, { maxLength }).map((pieces) => pieces.join(''))

/** A hostile text that is sometimes over 1 MB (messages, metadata values). */
const hostileText = fc.oneof(
  { weight: 40, arbitrary: hostile(40) },
  {
    weight: 1,
    arbitrary: hostile(8)
      .filter((s) => s.length > 0)
      .map((s) => s.repeat(Math.ceil((1024 * 1024) / s.length) + 1)),
  },
)

const hostileEvent: fc.Arbitrary<FluxEvent> = fc
  .record({
    kind: fc.oneof(fc.constant('Kustomization'), hostile(6)),
    name: hostile(8),
    namespace: hostile(6),
    severity: fc.constantFrom('info', 'error'),
    message: hostileText,
    reason: fc.oneof(fc.constantFrom('ReconciliationSucceeded', 'HealthCheckFailed'), hostile(10)),
    metadata: fc.dictionary(hostile(6), hostileText, { maxKeys: 4 }),
    reportingController: hostile(6),
  })
  .map(({ kind, name, namespace, severity, message, reason, metadata, reportingController }) => ({
    involvedObject: {
      kind,
      namespace,
      name,
      uid: '7d0cdc51-ddcf-4743-b223-83ca5c699632',
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    },
    severity,
    timestamp: '2022-09-30T06:40:29Z',
    message,
    reason,
    // commit-status and change-request types need these to render at all
    metadata: { ...metadata, revision: `main@sha1:${SHA}`, change_request: '7' },
    reportingController,
  }))

// ---- the providers ---------------------------------------------------------------------------

/** Addresses and credentials each type needs to render (never contacted). */
const SETUP: Record<string, Partial<ResolvedProvider>> = {
  github: { address: 'https://github.com/org/repo', token: 't' },
  gitlab: { address: 'https://gitlab.com/org/repo', token: 't' },
  gitea: { address: 'https://gitea.example.com/org/repo', token: 't' },
  bitbucketserver: {
    address: 'https://bitbucket.example.com/scm/proj/repo.git',
    username: 'u',
    password: 'p',
  },
  bitbucket: { address: 'https://bitbucket.org/org/repo', token: 'u:p' },
  azuredevops: { address: 'https://dev.azure.com/org/proj/_git/repo', token: 't' },
  githubdispatch: { address: 'https://github.com/org/repo', token: 't' },
  sentry: { address: 'https://key@o1.ingest.sentry.io/42', channel: 'prod' },
  telegram: { address: '', channel: '-100:7', token: '123:abc' },
  zulip: {
    address: 'https://zulip.example.com',
    channel: 'general/topic',
    username: 'u',
    password: 'p',
  },
  googlepubsub: { address: 'my-project', channel: 'my-topic', token: '' },
  azureeventhub: {
    address:
      'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0;EntityPath=hub',
    token: '', // a token with a connection string is refused (reference §5.11)
  },
  nats: { address: 'nats://127.0.0.1:4222', channel: 'flux.events' },
  otel: { address: 'http://127.0.0.1:4318/v1/traces' },
}

function providerOf(type: string): ResolvedProvider {
  return resolvedProvider(type, {
    address: 'https://hooks.example.com/services/x',
    channel: 'chan',
    token: 'tok',
    ...SETUP[type],
  })
}

const ALERT = {
  apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
  kind: 'Alert',
  metadata: { name: 'a', namespace: 'flux-system', uid: 'alert-uid', labels: {}, annotations: {} },
  spec: {},
  raw: {},
} as unknown as Alert

const modules = new Map<string, ProviderModule>()
for (const [type, entry] of Object.entries(PROVIDER_TYPES)) modules.set(type, await entry.load())

function notification(type: string, event: FluxEvent): Notification {
  return { event: structuredClone(event), alert: ALERT, provider: providerOf(type) }
}

/** The requests a notifier renders (throws when it skips: with our setup none should). */
function requests(type: string, event: FluxEvent): HttpRequestSpec[] {
  const module = modules.get(type)!
  if (module.class !== 'notification' && module.class !== 'forwarder') throw new Error(type)
  const rendered = module.render(notification(type, event))
  if ('skip' in rendered) return []
  return rendered.requests
}

// ---- what must hold of a body ----------------------------------------------------------------

// eslint-disable-next-line no-control-regex -- raw control characters are what it looks for
const RAW_CONTROL = /[\u0000-\u001f]/

/** A JSON text as Go writes it: parses, well-formed, and re-encodes to the same bytes. */
function expectGoJson(body: string, escapeHTML = true): unknown {
  expect(body.isWellFormed()).toBe(true)
  expect(RAW_CONTROL.test(body)).toBe(false)
  const value: unknown = JSON.parse(body)
  if (escapeHTML) expect(/[<>&\u2028\u2029]/.test(body)).toBe(false)
  expect(goJson(value, { escapeHTML })).toBe(body)
  return value
}

function bodyText(request: HttpRequestSpec): string {
  const body = request.body
  if (typeof body === 'string') return body
  if (body === undefined) return ''
  return new TextDecoder('utf-8', { fatal: true }).decode(body)
}

/** Every string anywhere in a decoded JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)])
  }
  return []
}

/** The reserved characters of Telegram's MarkdownV2 that stand unescaped in `text`. */
function unescapedReserved(text: string): string[] {
  const found: string[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\\') {
      i++ // the escaped character
      continue
    }
    if ('_*[]()~`>#+-=|{}.!'.includes(c)) found.push(c)
  }
  return found
}

/** The text Telegram shows: escapes removed; `*` markers are not escaped, so they are gone too. */
function telegramShown(text: string): string {
  let shown = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\\') shown += text[++i] ?? ''
    else if (c !== '*') shown += c
  }
  return shown
}

const JSON_TYPES = [
  'slack',
  'discord',
  'msteams',
  'rocket',
  'generic',
  'generic-hmac',
  'googlechat',
  'googlepubsub',
  'webex',
  'azureeventhub',
  'telegram',
  'lark',
  'matrix',
  'opsgenie',
  'alertmanager',
  'grafana',
  'pagerduty',
  'datadog',
  'zoom',
  'incident.io',
]

describe('untrusted event data', () => {
  it('every registry type is covered by one of the checks below', () => {
    const covered = new Set([
      ...JSON_TYPES,
      'githubdispatch',
      'sentry',
      'zulip',
      'otel',
      'nats',
      'github',
      'gitlab',
      'gitea',
      'bitbucketserver',
      'bitbucket',
      'azuredevops',
      'githubpullrequestcomment',
      'gitlabmergerequestcomment',
      'giteapullrequestcomment',
    ])
    expect(Object.keys(PROVIDER_TYPES).filter((t) => !covered.has(t))).toEqual([])
  })

  it('JSON bodies: valid, well-formed, Go-escaped, and carrying the message', () => {
    fc.assert(
      fc.property(hostileEvent, fc.constantFrom(...JSON_TYPES), (event, type) => {
        const sent = requests(type, event)
        // pagerduty skips nothing but Progressing; no type here skips these events
        expect(sent.length).toBeGreaterThan(0)
        for (const request of sent) {
          const value = expectGoJson(bodyText(request))
          if (type === 'googlepubsub') {
            const messages = (value as { messages: { data: string }[] }).messages
            for (const m of messages) expectGoJson(Buffer.from(m.data, 'base64').toString('utf8'))
          }
        }
        const message = event.message.toWellFormed()
        // a short message is sent whole by every type that sends it (grafana sends none;
        // pubsub base64-encodes it; telegram escapes it)
        if (
          codePointLength(message) < 100 &&
          !['grafana', 'googlepubsub', 'telegram'].includes(type)
        ) {
          const all = sent.flatMap((r) => strings(JSON.parse(bodyText(r))))
          expect(all.some((s) => s.includes(message))).toBe(true)
        }
      }),
      { seed: SEED, numRuns: 200 },
    )
  })

  it('githubdispatch: JSON with the envelope unescaped (go-github) and the payload Go-escaped', () => {
    fc.assert(
      fc.property(hostileEvent, (event) => {
        const body = dispatchBody(notification('githubdispatch', event))
        expect(body.endsWith('}\n')).toBe(true)
        const value = JSON.parse(body) as { event_type: string; client_payload: unknown }
        expect(RAW_CONTROL.test(body.slice(0, -1))).toBe(false)
        expect(body.isWellFormed()).toBe(true)
        const payload = JSON.stringify(value.client_payload)
        // the payload is raw json.Marshal output: HTML-escaped inside the unescaped envelope
        expect(expectGoJson(goJson(value.client_payload))).toEqual(JSON.parse(payload))
        expect(body).toContain(goJson(value.client_payload))
        // and the request the module renders carries this body
        const sent = requests('githubdispatch', event)
        expect(sent.map(bodyText)).toEqual([body])
      }),
      { seed: SEED, numRuns: 150 },
    )
  })

  it('sentry: every envelope line is valid Go JSON', () => {
    fc.assert(
      fc.property(hostileEvent, (event) => {
        for (const request of requests('sentry', event)) {
          const lines = bodyText(request)
            .split('\n')
            .filter((line) => line !== '')
          expect(lines.length).toBeGreaterThan(0)
          for (const line of lines) expectGoJson(line)
          const item = JSON.parse(lines.at(-1)!) as { message?: string }
          if (item.message !== undefined) {
            expect(codePointLength(item.message)).toBeLessThanOrEqual(SENTRY_MESSAGE_LIMIT)
          }
        }
      }),
      { seed: SEED, numRuns: 150 },
    )
  })

  it('zulip: a form body that decodes back to well-formed content within the limit', () => {
    fc.assert(
      fc.property(hostileEvent, (event) => {
        const [request] = requests('zulip', event)
        const body = bodyText(request!)
        expect(body).toMatch(/^[A-Za-z0-9%*+._~=&-]*$/)
        const content = new URLSearchParams(body).get('content')!
        expect(content.isWellFormed()).toBe(true)
        expect(codePointLength(content)).toBeLessThanOrEqual(ZULIP_CONTENT_LIMIT)
      }),
      { seed: SEED, numRuns: 150 },
    )
  })

  it('otel and nats: render without throwing; the NATS payload is Go JSON', () => {
    fc.assert(
      fc.property(hostileEvent, (event) => {
        const [request] = requests('otel', event)
        if (request) expect(request.body).toBeInstanceOf(Uint8Array)
        expectGoJson(natsPayload(notification('nats', event)))
        expectGoJson(publishBody(notification('googlepubsub', event)))
      }),
      { seed: SEED, numRuns: 150 },
    )
  })

  it('commit statuses: a well-formed description within the host limit', () => {
    const types = ['github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket', 'azuredevops']
    fc.assert(
      fc.property(hostileEvent, fc.constantFrom(...types), (event, type) => {
        const module = modules.get(type)!
        if (module.class !== 'commit-status') throw new Error(type)
        // as read from an event file: decoding gives lone surrogates back as U+FFFD, as Go does
        const decoded = normaliseFluxEvent(event as unknown as Record<string, unknown>)
        if (decoded.kind !== 'event') return
        const status = module.desiredStatus(
          notification(type, decoded.event),
          'kustomization/x/0c9c2e41',
        )
        if ('skip' in status) return
        // a control character in a reason reaches the host JSON-escaped, as the controller sends it
        expect(status.description.isWellFormed()).toBe(true)
        if (type === 'github') {
          expect(codePointLength(status.description)).toBeLessThanOrEqual(GITHUB_DESCRIPTION_LIMIT)
        }
        expectGoJson(goJson(status))
      }),
      { seed: SEED, numRuns: 300 },
    )
  })

  it('PR/MR comments: the marker stays on its own first line, the body re-encodes', () => {
    fc.assert(
      fc.property(
        hostileEvent,
        fc.constantFrom('flux-pr-comment-key', 'flux-mr-comment-key'),
        (event, prefix) => {
          const body = commentBody(prefix, '0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a', event)
          expect(body.startsWith(`<!-- ${prefix}:`)).toBe(true)
          expectGoJson(goJson({ body }))
        },
      ),
      { seed: SEED, numRuns: 150 },
    )
  })

  it('telegram: every reserved MarkdownV2 character of the data is escaped', () => {
    fc.assert(
      fc.property(hostileEvent, (event) => {
        const [request] = requests('telegram', event)
        const { text } = JSON.parse(bodyText(request!)) as { text: string }
        const entries = Object.keys(event.metadata ?? {}).length
        // heading `*…*` and one `*key*` per metadata line: nothing else unescaped
        expect(unescapedReserved(text)).toEqual(Array(2 + 2 * entries).fill('*'))
        expect(codePointLength(telegramShown(text))).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT)
      }),
      { seed: SEED, numRuns: 150 },
    )
  })

  it('slack: mrkdwn passed through unescaped, as the controller does (reference §5.3)', () => {
    fc.assert(
      fc.property(hostileEvent, (event) => {
        const [request] = requests('slack', event)
        const body = JSON.parse(bodyText(request!)) as {
          attachments: { text: string; fields: { title: string; value: string }[] }[]
        }
        const attachment = body.attachments[0]!
        const message = event.message.toWellFormed()
        if (codePointLength(message) <= SLACK_TEXT_LIMIT) expect(attachment.text).toBe(message)
        else expect(codePointLength(attachment.text)).toBeLessThanOrEqual(SLACK_TEXT_LIMIT)
        const metadata = event.metadata ?? {}
        for (const field of attachment.fields) {
          const original = Object.entries(metadata).find(([k]) => k.toWellFormed() === field.title)
          expect(field.value).toBe(original![1].toWellFormed())
        }
      }),
      { seed: SEED, numRuns: 150 },
    )
  })

  it('a 1 MB message and metadata value are cut to every chat limit', () => {
    const big = '<*_&>\u0000😀'.repeat(150_000) // over 1 MB in UTF-8
    const event: FluxEvent = {
      involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
      severity: 'error',
      timestamp: '2022-09-30T06:40:29Z',
      message: big,
      reason: 'HealthCheckFailed',
      metadata: { summary: big, revision: `main@sha1:${SHA}` },
      reportingController: 'kustomize-controller',
    }
    const body = (type: string): string => bodyText(requests(type, event)[0]!)
    const json = (type: string): unknown => expectGoJson(body(type))

    const slack = json('slack') as { attachments: { text: string }[] }
    expect(codePointLength(slack.attachments[0]!.text)).toBeLessThanOrEqual(SLACK_TEXT_LIMIT)

    const discord = json('discord') as {
      attachments: {
        text: string
        author_name: string
        fields: { title: string; value: string }[]
      }[]
    }
    const embed = discord.attachments[0]!
    expect(codePointLength(embed.text)).toBeLessThanOrEqual(DISCORD_LIMITS.description)
    const total =
      codePointLength(embed.author_name) +
      codePointLength(embed.text) +
      embed.fields.reduce((n, f) => n + codePointLength(f.title) + codePointLength(f.value), 0)
    expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal)

    const rocket = json('rocket') as {
      attachments: { text: string; fields: { value: string }[] }[]
    }
    const rocketChars =
      codePointLength(rocket.attachments[0]!.text) +
      rocket.attachments[0]!.fields.reduce((n, f) => n + codePointLength(f.value), 0)
    expect(rocketChars).toBeLessThanOrEqual(ROCKET_MAX_MESSAGE_CHARS)

    expect(utf8Length(body('msteams'))).toBeLessThanOrEqual(TEAMS_MAX_BODY_BYTES)
    expect(utf8Length(body('googlechat'))).toBeLessThanOrEqual(GOOGLE_CHAT_MAX_BODY_BYTES)
    expect(utf8Length(body('lark'))).toBeLessThanOrEqual(LARK_BODY_LIMIT_BYTES)
    expect(utf8Length(body('matrix'))).toBeLessThanOrEqual(MATRIX_BODY_LIMIT_BYTES)
    const webex = json('webex') as { markdown: string }
    expect(utf8Length(webex.markdown)).toBeLessThanOrEqual(WEBEX_MAX_MARKDOWN_BYTES)

    const telegram = json('telegram') as { text: string }
    expect(codePointLength(telegramShown(telegram.text))).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT)

    const opsgenie = json('opsgenie') as { message: string; description: string }
    expect(codePointLength(opsgenie.message)).toBeLessThanOrEqual(OPSGENIE_MESSAGE_LIMIT)
    expect(codePointLength(opsgenie.description)).toBeLessThanOrEqual(OPSGENIE_DESCRIPTION_LIMIT)

    const datadog = json('datadog') as { text: string }
    expect(codePointLength(datadog.text)).toBeLessThanOrEqual(DATADOG_TEXT_LIMIT)

    const pagerduty = json('pagerduty') as { payload: { summary: string } }
    expect(codePointLength(pagerduty.payload.summary)).toBeLessThanOrEqual(PAGERDUTY_SUMMARY_LIMIT)

    const zoom = json('zoom') as { content: { body: { text?: string }[] } }
    expect(codePointLength(zoom.content.body[0]!.text!)).toBeLessThanOrEqual(ZOOM_MESSAGE_LIMIT)

    // forwarders send the event as it is, as the controller does: valid JSON, nothing cut
    const generic = json('generic') as { message: string }
    expect(generic.message).toBe(big)
  })
})
