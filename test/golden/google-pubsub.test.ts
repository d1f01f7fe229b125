/**
 * `googlepubsub` (reference §5.8, §8.1): the message data golden, the publish request of Pub/Sub's
 * REST API, constructor errors, the OAuth token exchange (RS256 JWT-bearer grant, checked with the
 * public key) against a loopback `token_uri`, and publishing to a loopback "emulator" through
 * `PUBSUB_EMULATOR_HOST`, directly and through `deliver()`.
 */
import { createVerify, generateKeyPairSync } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { deliver } from '../../src/delivery/deliver.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import {
  clearTokenCache,
  googlePubSub,
  parseCredentials,
  publishBody,
  tokenRequest,
} from '../../src/providers/google-pubsub.js'
import type {
  HttpRequestSpec,
  Notification,
  Rendered,
  ResolvedProvider,
} from '../../src/providers/types.js'
import type { Decision } from '../../src/results.js'
import type { Plan } from '../../src/routing/plan.js'
import { startRecorder, type Recorder } from '../servers/recorder.js'
import {
  errorTestEvent,
  providerManifest,
  resolvedProvider,
  testEvent,
} from '../support/factories.js'

/** §8.1, googlepubsub and nats: the zero event with metadata {"foo":"bar"} (upstream's test). */
const ZERO_EVENT_PAYLOAD =
  '{"involvedObject":{},"severity":"","timestamp":null,"message":"","reason":"","metadata":{"foo":"bar"},"reportingController":""}'

const TEST_EVENT_PAYLOAD =
  '{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp"},"severity":"info","timestamp":"2022-09-30T06:40:29Z","message":"message","reason":"reason","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}'

const zeroEvent: FluxEvent = {
  involvedObject: {},
  severity: '',
  timestamp: null,
  message: '',
  reason: '',
  metadata: { foo: 'bar' },
  reportingController: '',
}

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PRIVATE_KEY_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

function serviceAccountJson(tokenUri?: string): string {
  return JSON.stringify({
    type: 'service_account',
    project_id: 'my-project',
    private_key_id: 'key-id-1',
    private_key: PRIVATE_KEY_PEM,
    client_email: 'flux@my-project.iam.gserviceaccount.com',
    client_id: '1234',
    ...(tokenUri === undefined ? {} : { token_uri: tokenUri }),
  })
}

function pubsubProvider(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('googlepubsub', {
    provider: providerManifest('googlepubsub', { name: 'pubsub', namespace: 'flux-system' }),
    address: 'my-project',
    channel: 'my-topic',
    timeoutMs: 10_000,
    ...overrides,
  })
}

function notification(event: FluxEvent, provider: ResolvedProvider): Notification {
  return { event, alert: {} as Alert, provider }
}

function onlyRequest(rendered: Rendered): HttpRequestSpec {
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64')
}

/** Runs `work` with `PUBSUB_EMULATOR_HOST` set, restoring the environment after. */
async function withEmulator<T>(host: string, work: () => Promise<T> | T): Promise<T> {
  const before = process.env.PUBSUB_EMULATOR_HOST
  process.env.PUBSUB_EMULATOR_HOST = host
  try {
    return await work()
  } finally {
    if (before === undefined) delete process.env.PUBSUB_EMULATOR_HOST
    else process.env.PUBSUB_EMULATOR_HOST = before
  }
}

beforeEach(() => {
  delete process.env.PUBSUB_EMULATOR_HOST
  clearTokenCache()
})

describe('googlepubsub message (§8.1)', () => {
  it('carries the event JSON of the zero event as data, byte for byte, and no attributes', () => {
    const body = publishBody(notification(zeroEvent, pubsubProvider()))
    expect(body).toBe(`{"messages":[{"data":"${base64(ZERO_EVENT_PAYLOAD)}"}]}`)
    const data = (JSON.parse(body) as { messages: Array<{ data: string }> }).messages[0]!.data
    expect(Buffer.from(data, 'base64').toString('utf8')).toBe(ZERO_EVENT_PAYLOAD)
  })

  it('has no metadata key in the data without metadata', () => {
    const body = publishBody(notification({ ...zeroEvent, metadata: {} }, pubsubProvider()))
    expect(body).toBe(
      `{"messages":[{"data":"${base64('{"involvedObject":{},"severity":"","timestamp":null,"message":"","reason":"","reportingController":""}')}"}]}`,
    )
  })

  it("sends the secret's headers as attributes, keys sorted", () => {
    const provider = pubsubProvider({ headers: { team: 'platform', env: 'prod', Env: 'x' } })
    expect(publishBody(notification(testEvent(), provider))).toBe(
      `{"messages":[{"data":"${base64(TEST_EVENT_PAYLOAD)}","attributes":{"Env":"x","env":"prod","team":"platform"}}]}`,
    )
  })

  it('keeps the escaped error event (§8.2) in the data', () => {
    const body = publishBody(notification(errorTestEvent(), pubsubProvider()))
    const data = (JSON.parse(body) as { messages: Array<{ data: string }> }).messages[0]!.data
    expect(Buffer.from(data, 'base64').toString('utf8')).toContain(
      '"message":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line"',
    )
  })
})

describe('googlepubsub validate (§5.8, §8.3 constructor errors)', () => {
  it('needs a project and a topic', () => {
    expect(googlePubSub.validate(pubsubProvider({ address: '' }))).toBe(
      'GCP project ID cannot be empty',
    )
    expect(googlePubSub.validate(pubsubProvider({ channel: '' }))).toBe(
      'GCP Pub/Sub topic ID cannot be empty',
    )
    expect(googlePubSub.validate(pubsubProvider())).toBeUndefined()
  })
})

describe('googlepubsub publish request', () => {
  it('POSTs to the REST publish method with the access token from prepare', () => {
    const provider = pubsubProvider({ token: 'ya29.access' })
    const request = onlyRequest(googlePubSub.render(notification(testEvent(), provider)))
    expect(request).toEqual({
      method: 'POST',
      url: 'https://pubsub.googleapis.com/v1/projects/my-project/topics/my-topic:publish',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ya29.access' },
      body: `{"messages":[{"data":"${base64(TEST_EVENT_PAYLOAD)}"}]}`,
    })
  })

  it('never sends the credentials JSON itself (a dry run renders before prepare)', () => {
    const provider = pubsubProvider({ token: serviceAccountJson() })
    const request = onlyRequest(googlePubSub.render(notification(testEvent(), provider)))
    expect(request.headers).toEqual({ 'Content-Type': 'application/json' })
  })

  it('goes to the emulator over plain http without credentials', async () => {
    const provider = pubsubProvider({ token: 'ya29.access' })
    const request = await withEmulator('127.0.0.1:8085', () =>
      onlyRequest(googlePubSub.render(notification(testEvent(), provider))),
    )
    expect(request.url).toBe('http://127.0.0.1:8085/v1/projects/my-project/topics/my-topic:publish')
    expect(request.headers).toEqual({ 'Content-Type': 'application/json' })
  })
})

describe('googlepubsub credentials', () => {
  it('refuses what is not JSON credentials, without quoting it', () => {
    expect(parseCredentials('not json -----BEGIN PRIVATE KEY-----')).toEqual({
      error: "the secret's token is not valid JSON credentials",
    })
    expect(parseCredentials('[]')).toEqual({
      error: "the secret's token is not valid JSON credentials",
    })
    expect(parseCredentials('{"type":"external_account"}')).toEqual({
      error:
        'credentials type "external_account" is not supported by flux-notify (use a service account key)',
    })
    expect(parseCredentials('{"type":"service_account","client_email":"a@b"}')).toEqual({
      error: 'service account credentials need client_email and private_key',
    })
  })

  it('signs an RS256 JWT-bearer assertion for the service account', () => {
    const credentials = parseCredentials(serviceAccountJson('http://127.0.0.1:1/token'))
    if ('error' in credentials) throw new Error(credentials.error)
    const request = tokenRequest(credentials, 1_700_000_000)
    expect(request.method).toBe('POST')
    expect(request.url).toBe('http://127.0.0.1:1/token')
    expect(request.headers).toEqual({ 'Content-Type': 'application/x-www-form-urlencoded' })
    const form = request.body as string
    // url.Values order: assertion, then grant_type
    expect(form).toMatch(
      /^assertion=[\w-]+\.[\w-]+\.[\w-]+&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer$/u,
    )
    const jwt = new URLSearchParams(form).get('assertion')!
    const [header, claims, signature] = jwt.split('.') as [string, string, string]
    expect(Buffer.from(header, 'base64url').toString()).toBe(
      '{"alg":"RS256","typ":"JWT","kid":"key-id-1"}',
    )
    expect(Buffer.from(claims, 'base64url').toString()).toBe(
      '{"iss":"flux@my-project.iam.gserviceaccount.com","scope":"https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/pubsub","aud":"http://127.0.0.1:1/token","exp":1700003590,"iat":1699999990}',
    )
    const verifier = createVerify('RSA-SHA256').update(`${header}.${claims}`)
    expect(verifier.verify(publicKey, Buffer.from(signature, 'base64url'))).toBe(true)
  })

  it("uses Google's token endpoint when the key names none", () => {
    const credentials = parseCredentials(serviceAccountJson())
    if ('error' in credentials) throw new Error(credentials.error)
    expect(tokenRequest(credentials, 1_700_000_000).url).toBe('https://oauth2.googleapis.com/token')
  })

  it('refreshes an authorized_user token with its refresh token', () => {
    const credentials = parseCredentials(
      '{"type":"authorized_user","client_id":"cid","client_secret":"cs","refresh_token":"1//rt"}',
    )
    if ('error' in credentials) throw new Error(credentials.error)
    expect(tokenRequest(credentials, 0)).toEqual({
      method: 'POST',
      url: 'https://oauth2.googleapis.com/token',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'client_id=cid&client_secret=cs&grant_type=refresh_token&refresh_token=1%2F%2Frt',
    })
  })
})

describe('googlepubsub over loopback', () => {
  let recorder: Recorder
  beforeAll(async () => {
    recorder = await startRecorder()
  })
  afterAll(async () => {
    await recorder.close()
  })
  afterEach(() => {
    recorder.requests.length = 0
  })

  it('exchanges the service account key at token_uri once, then renders with the token', async () => {
    recorder.respond('/token', [
      {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"access_token":"ya29.loopback","expires_in":3599,"token_type":"Bearer"}',
      },
    ])
    const provider = pubsubProvider({
      token: serviceAccountJson(`${recorder.url}/token`),
      secretValues: ['credentials'],
    })
    const prepared = await googlePubSub.prepare!(provider, AbortSignal.timeout(10_000))
    expect(prepared.token).toBe('ya29.loopback')
    expect(prepared.secretValues).toEqual(['credentials', 'ya29.loopback'])

    expect(recorder.requests).toHaveLength(1)
    const exchange = recorder.requests[0]!
    expect(exchange.method).toBe('POST')
    expect(exchange.path).toBe('/token')
    expect(exchange.headers['content-type']).toBe('application/x-www-form-urlencoded')
    const form = new URLSearchParams(exchange.body)
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer')
    const [header, claims, signature] = form.get('assertion')!.split('.') as [
      string,
      string,
      string,
    ]
    const verifier = createVerify('RSA-SHA256').update(`${header}.${claims}`)
    expect(verifier.verify(publicKey, Buffer.from(signature, 'base64url'))).toBe(true)

    const request = onlyRequest(googlePubSub.render(notification(testEvent(), prepared)))
    expect(request.headers.Authorization).toBe('Bearer ya29.loopback')

    // the cached token serves the next run's prepare
    const again = await googlePubSub.prepare!(provider, AbortSignal.timeout(10_000))
    expect(again.token).toBe('ya29.loopback')
    expect(recorder.requests).toHaveLength(1)
  })

  it("reports a refused exchange in oauth2's words, naming the topic", async () => {
    recorder.respond('/token', [
      {
        status: 400,
        body: '{"error":"invalid_grant","error_description":"Invalid JWT Signature."}',
      },
    ])
    const provider = pubsubProvider({ token: serviceAccountJson(`${recorder.url}/token`) })
    await expect(googlePubSub.prepare!(provider, AbortSignal.timeout(10_000))).rejects.toThrow(
      'error publishing to GCP Pub/Sub topic projects/my-project/topics/my-topic: oauth2: "invalid_grant" "Invalid JWT Signature."',
    )
  })

  it('fails clearly without credentials', async () => {
    await expect(
      googlePubSub.prepare!(pubsubProvider({ token: '' }), AbortSignal.timeout(10_000)),
    ).rejects.toThrow(
      "error publishing to GCP Pub/Sub topic projects/my-project/topics/my-topic: no credentials: set the secret's token to a service account JSON key (workload identity is not available to flux-notify)",
    )
  })

  it('publishes to the emulator: path, headers and body as they arrive', async () => {
    recorder.respond('/v1/projects/my-project/topics/my-topic:publish', [
      { status: 200, body: '{"messageIds":["1"]}' },
    ])
    const host = new URL(recorder.url).host
    const provider = pubsubProvider({ headers: { team: 'platform' }, token: serviceAccountJson() })
    await withEmulator(host, async () => {
      // the emulator takes no credentials: prepare does no exchange
      expect(await googlePubSub.prepare!(provider, AbortSignal.timeout(10_000))).toBe(provider)
      await googlePubSub.send!(notification(zeroEvent, provider), AbortSignal.timeout(10_000))
    })
    expect(recorder.requests).toHaveLength(1)
    const publish = recorder.requests[0]!
    expect(publish.method).toBe('POST')
    expect(publish.path).toBe('/v1/projects/my-project/topics/my-topic:publish')
    expect(publish.headers['content-type']).toBe('application/json')
    expect(publish.headers.authorization).toBeUndefined()
    expect(publish.body).toBe(
      `{"messages":[{"data":"${base64(ZERO_EVENT_PAYLOAD)}","attributes":{"team":"platform"}}]}`,
    )
  })

  it('names the topic in a publish error', async () => {
    const notFound = '{"error":{"code":404,"message":"Topic not found","status":"NOT_FOUND"}}'
    recorder.respond('/v1/projects/my-project/topics/my-topic:publish', [
      { status: 404, body: notFound },
    ])
    const host = new URL(recorder.url).host
    await withEmulator(host, async () => {
      await expect(
        googlePubSub.send!(
          notification(testEvent(), pubsubProvider()),
          AbortSignal.timeout(10_000),
        ),
      ).rejects.toThrow(
        `error publishing to GCP Pub/Sub topic projects/my-project/topics/my-topic: request failed with status code 404: ${notFound}`,
      )
    })
  })

  it('delivers through deliver(): a dry run does no IO, a real run publishes', async () => {
    const host = new URL(recorder.url).host
    const provider = pubsubProvider()
    await withEmulator(host, async () => {
      const dry = planFor(provider, testEvent())
      await deliver(dry, { dryRun: true })
      expect(dry.decisions[0]).toMatchObject({
        outcome: 'dry-run',
        reason: 'would publish to my-topic',
      })
      expect(recorder.requests).toHaveLength(0)

      const real = planFor(provider, testEvent())
      await deliver(real, { dryRun: false })
      expect(real.decisions[0]).toMatchObject({ outcome: 'sent', reason: 'sent' })
    })
    expect(recorder.requests).toHaveLength(1)
    expect(recorder.requests[0]!.body).toBe(
      `{"messages":[{"data":"${base64(TEST_EVENT_PAYLOAD)}"}]}`,
    )
  })
})

/** A one-delivery plan for `provider`. */
function planFor(provider: ResolvedProvider, event: FluxEvent): Plan {
  const decision: Decision = {
    event: 'GitRepository/gitops-system/webapp',
    eventReason: event.reason,
    severity: event.severity,
    timestamp: event.timestamp,
    source: 'events.json#0',
    alert: 'flux-system/all',
    provider: provider.key,
    type: provider.type,
    outcome: 'dry-run',
    reason: 'planned',
  }
  return {
    decisions: [decision],
    deliveries: [{ decision, notification: notification(event, provider) }],
    warnings: [],
  }
}
