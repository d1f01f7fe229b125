/**
 * `nats` (reference §5.20, §8.1): the payload golden, constructor errors, the auth priority, and
 * the real `nats-server` receiving exactly those bytes on the subject (plain, user/password and
 * NKey auth), with the controller's error texts for refused connections, bad credentials and
 * refused publishes. Delivery's `send` path (sent and dry run) runs against the real server too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, nkeys } from '@nats-io/transport-node'
import type { NatsConnection, Subscription } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deliver } from '../../src/delivery/deliver.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { nats, natsAuth, natsPayload, natsServers } from '../../src/providers/nats.js'
import type { Notification, ResolvedProvider } from '../../src/providers/types.js'
import type { Decision } from '../../src/results.js'
import type { Plan } from '../../src/routing/plan.js'
import {
  natsServerBinary,
  REQUIRE_REAL_SERVERS,
  startNatsServer,
  type NatsServer,
} from '../servers/nats.js'
import {
  errorTestEvent,
  providerManifest,
  resolvedProvider,
  testEvent,
} from '../support/factories.js'

/** §8.1, googlepubsub and nats: the zero event with metadata {"foo":"bar"} (upstream's test). */
const ZERO_EVENT_PAYLOAD =
  '{"involvedObject":{},"severity":"","timestamp":null,"message":"","reason":"","metadata":{"foo":"bar"},"reportingController":""}'

/** §8.1 generic body of testEvent: what NATS publishes for it. */
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

function natsProvider(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('nats', {
    provider: providerManifest('nats', { name: 'nats', namespace: 'flux-system' }),
    address: 'nats://127.0.0.1:4222',
    channel: 'flux.events',
    timeoutMs: 10_000,
    ...overrides,
  })
}

function notification(event: FluxEvent, provider: ResolvedProvider): Notification {
  return { event, alert: {} as Alert, provider }
}

describe('nats payload (§8.1)', () => {
  it('is the event JSON of the zero event with metadata, byte for byte', () => {
    expect(natsPayload(notification(zeroEvent, natsProvider()))).toBe(ZERO_EVENT_PAYLOAD)
  })

  it('has no metadata key without metadata', () => {
    expect(natsPayload(notification({ ...zeroEvent, metadata: {} }, natsProvider()))).toBe(
      '{"involvedObject":{},"severity":"","timestamp":null,"message":"","reason":"","reportingController":""}',
    )
  })

  it('is the generic body for testEvent and escapes HTML in the error event (§8.2)', () => {
    expect(natsPayload(notification(testEvent(), natsProvider()))).toBe(TEST_EVENT_PAYLOAD)
    expect(natsPayload(notification(errorTestEvent(), natsProvider()))).toContain(
      '"message":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line"',
    )
  })

  it('renders no HTTP request and sends through its own transport', () => {
    expect(nats.render(notification(testEvent(), natsProvider()))).toEqual({ requests: [] })
    expect(nats.send).toBeTypeOf('function')
  })
})

describe('nats validate (§5.20 constructor errors)', () => {
  it('needs an address and a subject', () => {
    expect(nats.validate(natsProvider({ address: '' }))).toBe(
      'NATS server (address) cannot be empty',
    )
    expect(nats.validate(natsProvider({ channel: '' }))).toBe(
      'NATS subject (channel) cannot be empty',
    )
    expect(nats.validate(natsProvider({ address: '', channel: '' }))).toBe(
      'NATS server (address) cannot be empty',
    )
    expect(nats.validate(natsProvider())).toBeUndefined()
  })
})

describe('nats auth priority (§5.20): creds > nkey > username and password', () => {
  const all = {
    secretData: { creds: 'CREDS', nkey: 'SUSEED\n' },
    username: 'u',
    password: 'p',
  }

  it('takes creds first', () => {
    expect(natsAuth(natsProvider(all))).toEqual({ kind: 'creds', creds: 'CREDS' })
  })

  it('then the nkey seed, trimmed', () => {
    expect(natsAuth(natsProvider({ ...all, secretData: { nkey: 'SUSEED\n' } }))).toEqual({
      kind: 'nkey',
      seed: 'SUSEED',
    })
  })

  it('then username and password, only both', () => {
    expect(natsAuth(natsProvider({ ...all, secretData: {} }))).toEqual({
      kind: 'user-password',
      user: 'u',
      pass: 'p',
    })
    expect(natsAuth(natsProvider({ username: 'u', password: '' }))).toEqual({ kind: 'none' })
    expect(natsAuth(natsProvider({ username: '', password: 'p' }))).toEqual({ kind: 'none' })
  })

  it("uses the server URL's user info as nats.go does, before username and password", () => {
    expect(
      natsAuth(
        natsProvider({ address: 'nats://a%40b:p%3Aw@host:4222', username: 'u', password: 'p' }),
      ),
    ).toEqual({
      kind: 'user-password',
      user: 'a@b',
      pass: 'p:w',
    })
    expect(natsAuth(natsProvider({ address: 'tok@host:4222, nats://other:4222' }))).toEqual({
      kind: 'token',
      token: 'tok',
    })
    expect(
      natsAuth(natsProvider({ address: 'nats://x:y@host', secretData: { nkey: 'SU' } })),
    ).toEqual({
      kind: 'nkey',
      seed: 'SU',
    })
  })

  it('treats empty creds and nkey values as absent', () => {
    expect(natsAuth(natsProvider({ secretData: { creds: '', nkey: '  ' } }))).toEqual({
      kind: 'none',
    })
  })
})

describe('natsServers', () => {
  it("splits a comma-separated list as nats.go's Connect does", () => {
    expect(natsServers('nats://a:4222, nats://b:4222')).toEqual(['nats://a:4222', 'nats://b:4222'])
    expect(natsServers('nats://a:4222')).toEqual(['nats://a:4222'])
  })
})

describe('nats deadline', () => {
  it('gives up at the provider timeout on a server that never answers', async () => {
    // a TCP listener that accepts and stays silent: no INFO, so the handshake never ends
    const sockets: Socket[] = []
    const silent = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as AddressInfo
    try {
      const provider = natsProvider({ address: `nats://127.0.0.1:${port}` })
      await expect(
        nats.send!(notification(testEvent(), provider), AbortSignal.timeout(300)),
      ).rejects.toThrow(
        'error publishing event to subject flux.events: error connecting to server: context deadline exceeded',
      )
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })
})

// ---- the real nats-server ------------------------------------------------------------------

const binary = natsServerBinary()
if (!binary) {
  if (REQUIRE_REAL_SERVERS)
    throw new Error('REQUIRE_REAL_SERVERS=1 but nats-server is not installed')
  console.warn('SKIPPED: nats-server is not installed (apt-get install nats-server)')
}

/** Subscribes to `subject` with the official client, as a consumer of the events would. */
async function subscriber(
  url: string,
  subject: string,
  auth: { user?: string; pass?: string } = {},
): Promise<{ connection: NatsConnection; subscription: Subscription }> {
  const connection = await connect({ servers: url, ...auth })
  const subscription = connection.subscribe(subject, { max: 1 })
  await connection.flush()
  return { connection, subscription }
}

/** The first message's subject and exact payload bytes. */
async function firstMessage(
  subscription: Subscription,
): Promise<{ subject: string; data: Uint8Array }> {
  for await (const message of subscription) return { subject: message.subject, data: message.data }
  throw new Error('subscription ended without a message')
}

describe.skipIf(!binary)('nats against a real nats-server', () => {
  describe('without auth', () => {
    let server: NatsServer
    beforeAll(async () => {
      server = await startNatsServer(binary!, { monitor: true })
    })
    afterAll(async () => {
      await server.close()
    })

    it('publishes the exact event JSON bytes on the subject', async () => {
      const { connection, subscription } = await subscriber(server.url, 'flux.events')
      const provider = natsProvider({ address: server.url })
      await nats.send!(notification(zeroEvent, provider), AbortSignal.timeout(10_000))
      const message = await firstMessage(subscription)
      expect(message.subject).toBe('flux.events')
      expect(Buffer.from(message.data).toString('utf8')).toBe(ZERO_EVENT_PAYLOAD)
      await connection.close()
    })

    it('connects with the controller client name and closes the connection', async () => {
      const provider = natsProvider({ address: server.url, channel: 'flux.named' })
      await nats.send!(notification(testEvent(), provider), AbortSignal.timeout(10_000))
      // the server lists the connection as closed once the module is done with it
      await expect.poll(() => server.closedConnectionNames()).toContain('NATS Provider Publisher')
    })

    it('reports an invalid subject in the controller wording', async () => {
      const provider = natsProvider({ address: server.url, channel: 'has space' })
      await expect(
        nats.send!(notification(testEvent(), provider), AbortSignal.timeout(10_000)),
      ).rejects.toThrow(
        'error publishing event to subject has space: error publishing message to server: nats: invalid subject',
      )
    })

    it('delivers through deliver(): sent, and a dry run that does no IO', async () => {
      const { connection, subscription } = await subscriber(server.url, 'flux.deliver')
      const provider = natsProvider({ address: server.url, channel: 'flux.deliver' })
      const plan = planFor(provider, testEvent())
      await deliver(plan, { dryRun: true })
      expect(plan.decisions[0]).toMatchObject({
        outcome: 'dry-run',
        reason: 'would publish to flux.deliver',
      })

      const sent = planFor(provider, testEvent())
      await deliver(sent, { dryRun: false })
      expect(sent.decisions[0]).toMatchObject({ outcome: 'sent', reason: 'sent' })
      const message = await firstMessage(subscription)
      // only the real delivery arrived: the dry run published nothing
      expect(Buffer.from(message.data).toString('utf8')).toBe(TEST_EVENT_PAYLOAD)
      await connection.close()
    })
  })

  describe('with username and password', () => {
    let server: NatsServer
    beforeAll(async () => {
      server = await startNatsServer(binary!, { user: 'flux', pass: 's3cret' })
    })
    afterAll(async () => {
      await server.close()
    })

    it('publishes with the username and password', async () => {
      const auth = { user: 'flux', pass: 's3cret' }
      const { connection, subscription } = await subscriber(server.url, 'flux.auth', auth)
      const provider = natsProvider({
        address: server.url,
        channel: 'flux.auth',
        username: 'flux',
        password: 's3cret',
      })
      await nats.send!(notification(testEvent(), provider), AbortSignal.timeout(10_000))
      const message = await firstMessage(subscription)
      expect(Buffer.from(message.data).toString('utf8')).toBe(TEST_EVENT_PAYLOAD)
      await connection.close()
    })

    it("authenticates with the server URL's user info", async () => {
      const auth = { user: 'flux', pass: 's3cret' }
      const { connection, subscription } = await subscriber(server.url, 'flux.url', auth)
      const address = server.url.replace('nats://', 'nats://flux:s3cret@')
      const provider = natsProvider({ address, channel: 'flux.url' })
      await nats.send!(notification(testEvent(), provider), AbortSignal.timeout(10_000))
      const message = await firstMessage(subscription)
      expect(Buffer.from(message.data).toString('utf8')).toBe(TEST_EVENT_PAYLOAD)
      await connection.close()
    })

    it('fails with the authorization violation', async () => {
      const provider = natsProvider({
        address: server.url,
        username: 'flux',
        password: 'wrong',
      })
      await expect(
        nats.send!(notification(testEvent(), provider), AbortSignal.timeout(10_000)),
      ).rejects.toThrow(
        'error publishing event to subject flux.events: error connecting to server: nats: authorization violation',
      )
      // without credentials: the same
      const plan = planFor(natsProvider({ address: server.url }), testEvent())
      await deliver(plan, { dryRun: false })
      expect(plan.decisions[0]).toMatchObject({
        outcome: 'failed',
        reason:
          'error publishing event to subject flux.events: error connecting to server: nats: authorization violation',
      })
    })
  })

  describe('with an NKey user and publish permissions', () => {
    let server: NatsServer
    let dir: string
    const user = nkeys.createUser()
    const seed = new TextDecoder().decode(user.getSeed())
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'flux-notify-nats-'))
      const config = join(dir, 'nats.conf')
      writeFileSync(
        config,
        `authorization {\n  users = [\n    { nkey: ${user.getPublicKey()}, permissions: { publish: ["flux.allowed"], subscribe: [">"] } }\n  ]\n}\n`,
      )
      server = await startNatsServer(binary!, { config })
    })
    afterAll(async () => {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('publishes with the nkey seed of the secret', async () => {
      const { connection, subscription } = await subscribeWithNkey(server.url, seed, 'flux.allowed')
      const provider = natsProvider({
        address: server.url,
        channel: 'flux.allowed',
        secretData: { nkey: `${seed}\n` },
      })
      await nats.send!(notification(testEvent(), provider), AbortSignal.timeout(10_000))
      const message = await firstMessage(subscription)
      expect(Buffer.from(message.data).toString('utf8')).toBe(TEST_EVENT_PAYLOAD)
      await connection.close()
    })

    it('reports a refused publish found by the flush', async () => {
      const provider = natsProvider({
        address: server.url,
        channel: 'flux.denied',
        secretData: { nkey: seed },
      })
      await expect(
        nats.send!(notification(testEvent(), provider), AbortSignal.timeout(10_000)),
      ).rejects.toThrow(
        'error publishing event to subject flux.denied: error publishing message to server: nats: permissions violation: Permissions Violation for Publish to "flux.denied"',
      )
    })
  })

  it('reports a server that is not there as nats.go does', async () => {
    const server = await startNatsServer(binary!)
    const url = server.url
    await server.close()
    const provider = natsProvider({ address: url })
    await expect(
      nats.send!(notification(testEvent(), provider), AbortSignal.timeout(10_000)),
    ).rejects.toThrow(
      'error publishing event to subject flux.events: error connecting to server: nats: no servers available for connection',
    )
  })
})

async function subscribeWithNkey(
  url: string,
  seed: string,
  subject: string,
): Promise<{ connection: NatsConnection; subscription: Subscription }> {
  const { nkeyAuthenticator } = await import('@nats-io/transport-node')
  const connection = await connect({
    servers: url,
    authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
  })
  const subscription = connection.subscribe(subject, { max: 1 })
  await connection.flush()
  return { connection, subscription }
}

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
