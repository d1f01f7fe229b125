/**
 * End to end through `node dist/index.js`: one Provider of every HTTP chat/incident/telemetry type,
 * each pointed at a recording loopback receiver, all matching one failure event. Bodies are
 * checked byte for byte by the golden tests; here we check the wiring a user depends on: every
 * type loads from the bundle, sends the method, path and auth the reference gives, and a body
 * its service can parse.
 */
import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRecorder, type Recorder } from '../servers/recorder.js'
import { eventList, k8sEvent, SHA_B, writeRepo } from './fleet.js'
import { expectNoSecrets, runAction, type ActionResult } from './harness.js'

const TOKEN = 'e2e-chat-token-5150'
const SAS_KEY = Buffer.from('e2e-event-hub-key').toString('base64')
const PASSWORD = 'e2e-chat-password-8080'

interface Case {
  type: string
  /** the body format, when it is not JSON */
  body?: 'form' | 'envelope' | 'protobuf' | 'pubsub'
  address: (url: string) => string
  channel?: string
  secret?: Record<string, string>
  /** `METHOD path` of each request the type makes for the event */
  requests: RegExp[]
  auth?: (headers: Record<string, string | string[] | undefined>) => void
}

const CASES: Case[] = [
  { type: 'slack', address: (u) => `${u}/slack`, requests: [/^POST \/slack$/] },
  {
    type: 'discord',
    address: (u) => `${u}/api/webhooks/1/abc`,
    requests: [/^POST \/api\/webhooks\/1\/abc\/slack$/],
  },
  {
    type: 'msteams',
    address: (u) => `${u}/workflows/teams`,
    requests: [/^POST \/workflows\/teams$/],
  },
  { type: 'rocket', address: (u) => `${u}/rocket`, requests: [/^POST \/rocket$/] },
  { type: 'googlechat', address: (u) => `${u}/chat`, requests: [/^POST \/chat$/] },
  {
    type: 'webex',
    address: (u) => `${u}/v1/messages`,
    channel: 'room-1',
    secret: { token: TOKEN },
    requests: [/^POST \/v1\/messages$/],
    auth: (h) => expect(h.authorization).toBe(`Bearer ${TOKEN}`),
  },
  {
    type: 'telegram',
    address: (u) => u,
    channel: '-100:7',
    secret: { token: TOKEN },
    requests: [new RegExp(`^POST /bot${TOKEN}/sendMessage$`)],
  },
  { type: 'lark', address: (u) => `${u}/lark`, requests: [/^POST \/lark$/] },
  {
    type: 'matrix',
    address: (u) => u,
    channel: '!room:example.org',
    secret: { token: TOKEN },
    requests: [
      /^PUT \/_matrix\/client\/r0\/rooms\/!room:example\.org\/send\/m\.room\.message\/[0-9a-f]{40}$/,
    ],
    auth: (h) => expect(h.authorization).toBe(`Bearer ${TOKEN}`),
  },
  {
    type: 'opsgenie',
    address: (u) => `${u}/v2/alerts`,
    secret: { token: TOKEN },
    requests: [/^POST \/v2\/alerts$/],
    auth: (h) => expect(h.authorization).toBe(`GenieKey ${TOKEN}`),
  },
  {
    type: 'alertmanager',
    address: (u) => `${u}/api/v2/alerts/`,
    requests: [/^POST \/api\/v2\/alerts\/$/],
  },
  {
    type: 'grafana',
    address: (u) => `${u}/api/annotations`,
    secret: { token: TOKEN },
    requests: [/^POST \/api\/annotations$/],
    auth: (h) => expect(h.authorization).toBe(`Bearer ${TOKEN}`),
  },
  {
    type: 'pagerduty',
    address: (u) => `${u}/ignored/path`,
    channel: 'routing-key-1',
    // an error event triggers; only info events also send a change event
    requests: [/^POST \/v2\/enqueue$/],
  },
  {
    type: 'datadog',
    address: (u) => u,
    secret: { token: TOKEN },
    requests: [/^POST \/api\/v1\/events$/],
    auth: (h) => expect(h['dd-api-key']).toBe(TOKEN),
  },
  {
    type: 'zulip',
    body: 'form',
    address: (u) => `${u}/context/lost`,
    channel: 'general/flux',
    secret: { username: 'flux-bot@example.org', password: PASSWORD },
    requests: [/^POST \/api\/v1\/messages$/],
    auth: (h) =>
      expect(h.authorization).toBe(
        `Basic ${Buffer.from(`flux-bot@example.org:${PASSWORD}`).toString('base64')}`,
      ),
  },
  {
    type: 'zoom',
    address: (u) => `${u}/zoom`,
    secret: { token: TOKEN },
    requests: [/^POST \/zoom\?format=full$/],
    auth: (h) => expect(h.authorization).toBe(TOKEN),
  },
  {
    type: 'googlepubsub',
    body: 'pubsub',
    // address = project, channel = topic; PUBSUB_EMULATOR_HOST (set below) is Google's switch
    address: () => 'flux-project',
    channel: 'flux-events',
    requests: [/^POST \/v1\/projects\/flux-project\/topics\/flux-events:publish$/],
  },
  {
    type: 'azureeventhub',
    address: (u) =>
      `Endpoint=sb://${u.replace('http://', '')};SharedAccessKeyName=send;SharedAccessKey=${SAS_KEY};EntityPath=flux-hub;UseDevelopmentEmulator=true`,
    requests: [/^POST \/flux-hub\/messages\?timeout=60&api-version=2014-01$/],
    auth: (h) =>
      expect(h.authorization).toMatch(/^SharedAccessSignature sr=.+&sig=.+&se=\d+&skn=send$/),
  },
  {
    type: 'sentry',
    address: (u) => `${u.replace('http://', 'http://public-key@')}/42`,
    body: 'envelope',
    requests: [/^POST \/api\/42\/envelope\/$/],
    auth: (h) => expect(h['x-sentry-auth']).toContain('sentry_key=public-key'),
  },
  {
    type: 'otel',
    address: (u) => `${u}/v1/traces`,
    body: 'protobuf',
    requests: [/^POST \/v1\/traces$/],
    auth: (h) => expect(h['content-type']).toBe('application/x-protobuf'),
  },
  {
    type: 'incident.io',
    address: (u) => `${u}/incident`,
    secret: { token: TOKEN },
    requests: [/^POST \/incident$/],
    auth: (h) => expect(h.authorization).toBe(`Bearer ${TOKEN}`),
  },
]

const nameOf = (type: string) => type.replace('.', '-')

let receiver: Recorder
let repo: string
let result: ActionResult

beforeAll(async () => {
  receiver = await startRecorder()
  const manifests = CASES.map(
    (c) => `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: { name: ${nameOf(c.type)}, namespace: flux-system }
spec:
  type: ${c.type}
  address: '${c.address(receiver.url)}'
${c.channel ? `  channel: '${c.channel}'\n` : ''}${c.secret ? `  secretRef: { name: ${nameOf(c.type)}-auth }\n` : ''}---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: { name: ${nameOf(c.type)}, namespace: flux-system }
spec:
  providerRef: { name: ${nameOf(c.type)} }
  eventMetadata: { env: production }
  eventSources: [{ kind: Kustomization, name: '*' }]
---
`,
  ).join('')
  const secrets = Object.fromEntries(
    CASES.filter((c) => c.secret).map((c) => [`${nameOf(c.type)}-auth`, c.secret!]),
  )
  repo = await writeRepo({
    'flux/notifications.yaml': manifests,
    'events.json': eventList([
      k8sEvent(
        {
          kind: 'Kustomization',
          name: 'apps',
          reason: 'HealthCheckFailed',
          message: 'health check failed after 5m0s: <Deployment/apps/web> & "friends"',
          type: 'Warning',
          time: '2026-07-20T10:21:07Z',
          annotations: { 'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${SHA_B}` },
        },
        1,
      ),
    ]),
  })
  result = await runAction({
    cwd: repo,
    inputs: { manifests: 'flux', events: 'events.json', secrets: JSON.stringify(secrets) },
    env: { PUBSUB_EMULATOR_HOST: receiver.url.replace('http://', '') },
  })
})

afterAll(async () => {
  await receiver.close()
  await rm(repo, { recursive: true, force: true })
})

describe('every HTTP notification type through the bundle', () => {
  it('delivers to all of them', () => {
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.outputs.sent).toBe(String(CASES.length))
    expectNoSecrets(result, [TOKEN, PASSWORD])
  })

  it.each(CASES)('$type: method, path, auth and a parseable body', (c) => {
    const mine = receiver.requests.filter((r) =>
      c.requests.some((pattern) => pattern.test(`${r.method} ${r.path}`)),
    )
    expect(mine, `${c.type} requests`).toHaveLength(c.requests.length)
    for (const request of mine) {
      c.auth?.(request.headers)
      if (c.body === 'form') {
        const form = new URLSearchParams(request.body)
        expect(form.get('to')).toBe('general')
        expect(form.get('topic')).toBe('flux')
        expect(form.get('content')).toContain('<Deployment/apps/web> & "friends"')
      } else if (c.body === 'envelope') {
        // envelope header, item header, item: three JSON lines
        const lines = request.body
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as unknown)
        expect(lines).toHaveLength(3)
        expect(JSON.stringify(lines[2])).toContain('health check failed')
      } else if (c.body === 'pubsub') {
        // the event JSON is the message data, base64-encoded (reference §5.8)
        const { messages } = JSON.parse(request.body) as { messages: Array<{ data: string }> }
        const event = JSON.parse(Buffer.from(messages[0]!.data, 'base64').toString('utf8'))
        expect(event).toMatchObject({
          reason: 'HealthCheckFailed',
          metadata: { env: 'production' },
        })
      } else if (c.body === 'protobuf') {
        expect(request.body).toContain('Kustomization: flux-system/apps')
      } else {
        const body = JSON.parse(request.body) as unknown
        // grafana annotations carry no message (reference §5.17); everyone else does
        if (c.type !== 'grafana') expect(JSON.stringify(body)).toContain('health check failed')
      }
    }
  })
})

describe('a failed Slack post through the bundle', () => {
  it('reads as the controller words it: `postMessage failed: request failed: …` (§5.1)', async () => {
    const slackHook = await startRecorder()
    slackHook.respond('/slack', [{ status: 400, body: `invalid_payload for ${TOKEN}` }])
    const dir = await writeRepo({
      'flux/slack.yaml': `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: { name: slack, namespace: flux-system }
spec:
  type: slack
  address: '${slackHook.url}/slack'
  secretRef: { name: slack-auth }
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: { name: slack, namespace: flux-system }
spec:
  providerRef: { name: slack }
  eventSources: [{ kind: Kustomization, name: '*' }]
`,
      'events.json': eventList([
        k8sEvent(
          {
            kind: 'Kustomization',
            name: 'apps',
            reason: 'HealthCheckFailed',
            message: 'health check failed',
            type: 'Warning',
            time: '2026-07-20T10:21:07Z',
            annotations: { 'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${SHA_B}` },
          },
          1,
        ),
      ]),
    })
    try {
      const run = await runAction({
        cwd: dir,
        inputs: {
          manifests: 'flux',
          events: 'events.json',
          secrets: JSON.stringify({ 'slack-auth': { token: TOKEN } }),
        },
      })
      expect(run.code).toBe(1)
      const rows = JSON.parse(run.outputs.results ?? '[]') as Array<Record<string, string>>
      expect(rows.map((r) => [r.outcome, r.reason])).toEqual([
        [
          'failed',
          'postMessage failed: request failed: request failed with status code 400: invalid_payload for *****',
        ],
      ])
      expectNoSecrets(run, [TOKEN])
    } finally {
      await slackHook.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
