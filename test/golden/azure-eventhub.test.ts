/**
 * `azureeventhub` per reference §5.11 / §8.3: the event JSON (the generic goldens of §8.1, §8.2)
 * as one event through Event Hubs' REST send, SAS or JWT auth, the controller's constructor errors.
 */
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import {
  EVENT_HUB_MAX_EVENT_BYTES,
  azureEventHub,
  eventHubRequest,
  fullyQualifiedNamespace,
} from '../../src/providers/azure-eventhub.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import {
  errorTestEvent,
  providerManifest,
  resolvedProvider,
  testEvent,
} from '../support/factories.js'

/** §8.1 generic body: what the hub receives. */
const INFO_BODY =
  '{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp"},"severity":"info","timestamp":"2022-09-30T06:40:29Z","message":"message","reason":"reason","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}'

/** §8.2 generic body. */
const ERROR_BODY =
  '{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp","uid":"7d0cdc51-ddcf-4743-b223-83ca5c699632"},"severity":"error","timestamp":"2022-09-30T06:40:29Z","message":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line","reason":"HealthCheckFailed","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}'

const KEY = 'c2VjcmV0LWtleQ=='
const SAS_ADDRESS = `Endpoint=sb://mynamespace.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${KEY};EntityPath=myhub`
const NOW = 1_700_000_000
const REST_URL =
  'https://mynamespace.servicebus.windows.net/myhub/messages?timeout=60&api-version=2014-01'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('azureeventhub', { address: SAS_ADDRESS, ...overrides })
}

/** Microsoft's documented SAS recipe, written out independently of the module. */
function expectedSas(resource: string, keyName: string, key: string, expiry: number): string {
  const sr = encodeURIComponent(resource)
  const sig = createHmac('sha256', key).update(`${sr}\n${expiry}`).digest('base64')
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiry}&skn=${keyName}`
}

function request(
  event: FluxEvent,
  provider = resolved(),
  authorityHost = '',
  now = NOW,
): HttpRequestSpec {
  const built = eventHubRequest({ event, alert: {} as Alert, provider }, now, authorityHost)
  if ('error' in built) throw new Error(built.error)
  return built
}

describe('azureeventhub with a SAS connection string', () => {
  it('testEvent: the generic body, posted to <namespace>/<EntityPath>/messages, SAS signed', () => {
    expect(request(testEvent())).toEqual({
      method: 'POST',
      url: REST_URL,
      headers: {
        'Content-Type': 'application/atom+xml;type=entry;charset=utf-8',
        Authorization: expectedSas(
          'https://mynamespace.servicebus.windows.net/myhub',
          'RootManageSharedAccessKey',
          KEY,
          NOW + 3600,
        ),
      },
      body: INFO_BODY,
      // the controller's `failed to send msg: ` around a failed batch send
      errorPrefix: 'failed to send msg: ',
    })
  })

  it('error variant (§8.2): the escaped generic body', () => {
    expect(request(errorTestEvent()).body).toBe(ERROR_BODY)
  })

  it('keys are case-insensitive and values may hold "="', () => {
    const address = `endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;sharedaccesskey=a=b=;ENTITYPATH=h`
    expect(request(testEvent(), resolved({ address })).headers['Authorization']).toBe(
      expectedSas('https://ns.servicebus.windows.net/h', 'k', 'a=b=', NOW + 3600),
    )
  })

  it('SAS mode is recognised as the controller does: by the case-sensitive "SharedAccessKey"', () => {
    const address = `endpoint=sb://ns.servicebus.windows.net/;sharedaccesskeyname=k;sharedaccesskey=x;entitypath=h`
    // not SAS, so the address is an event hub name and a token is needed
    expect(azureEventHub.validate(resolved({ address, channel: 'ns' }))).toMatch(
      /^failed to create a eventhub using managed identity: /,
    )
  })

  it("uses a connection string's ready-made SharedAccessSignature as it is", () => {
    const signature = 'SharedAccessSignature sr=x&sig=y&se=1&skn=k'
    const address = `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessSignature=${signature};EntityPath=h`
    expect(request(testEvent(), resolved({ address })).headers['Authorization']).toBe(signature)
  })

  it('the render renews the token from the clock', () => {
    const rendered = azureEventHub.render({
      event: testEvent(),
      alert: {} as Alert,
      provider: resolved(),
    })
    if (!('requests' in rendered)) throw new Error(rendered.skip)
    const expiry = Number(/&se=(\d+)&/.exec(rendered.requests[0]!.headers['Authorization']!)?.[1])
    expect(Math.abs(expiry - (Date.now() / 1000 + 3600))).toBeLessThan(60)
  })
})

describe('azureeventhub by name with a JWT', () => {
  const byName = (overrides: Partial<ResolvedProvider> = {}) =>
    resolved({ address: 'myhub', channel: 'mynamespace', token: 'eyJ.jwt', ...overrides })

  it('appends the public-cloud suffix and sends the token as a bearer', () => {
    const built = request(testEvent(), byName())
    expect(built.url).toBe(REST_URL)
    expect(built.headers['Authorization']).toBe('Bearer eyJ.jwt')
    expect(built.body).toBe(INFO_BODY)
  })

  it.each([
    ['', 'mynamespace', 'mynamespace.servicebus.windows.net'],
    ['https://login.chinacloudapi.cn/', 'mynamespace', 'mynamespace.servicebus.chinacloudapi.cn'],
    [
      'https://login.microsoftonline.us/',
      'mynamespace',
      'mynamespace.servicebus.usgovcloudapi.net',
    ],
    ['', 'mynamespace.servicebus.windows.net', 'mynamespace.servicebus.windows.net'],
  ])('AZURE_AUTHORITY_HOST %j, namespace %s → %s', (authority, namespace, host) => {
    expect(fullyQualifiedNamespace(namespace, authority)).toBe(host)
    expect(request(testEvent(), byName({ channel: namespace }), authority).url).toBe(
      `https://${host}/myhub/messages?timeout=60&api-version=2014-01`,
    )
  })

  it('a channel that is a URL is the base URL (mirrors, proxies, tests)', () => {
    expect(request(testEvent(), byName({ channel: 'http://127.0.0.1:8080/' })).url).toBe(
      'http://127.0.0.1:8080/myhub/messages?timeout=60&api-version=2014-01',
    )
  })
})

describe('azureeventhub validate (the controller constructor errors)', () => {
  const withServiceAccount = (overrides: Partial<ResolvedProvider>) =>
    resolved({
      provider: providerManifest('azureeventhub', { serviceAccountName: 'sa' }),
      ...overrides,
    })

  it.each<[string, Partial<ResolvedProvider>, string | undefined]>([
    ['a full connection string', {}, undefined],
    [
      'SAS without EntityPath (§8.3)',
      {
        address: `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=${KEY}`,
      },
      'failed to create a eventhub using SAS: connection string does not contain an EntityPath. eventHub cannot be an empty string',
    ],
    [
      'an empty address',
      { address: '' },
      'invalid authentication options: endpoint URL cannot be empty',
    ],
    [
      'SAS with a token',
      { token: 'jwt' },
      'invalid authentication options: jwt token and SAS authentication cannot be set at the same time',
    ],
    [
      'SAS without a key name',
      { address: `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=${KEY};EntityPath=h` },
      'failed to create a eventhub using SAS: key "SharedAccessKeyName" must not be empty',
    ],
    [
      'SAS without an endpoint',
      { address: `SharedAccessKeyName=k;SharedAccessKey=${KEY};EntityPath=h` },
      'failed to create a eventhub using SAS: key "Endpoint" must not be empty',
    ],
    [
      'a pair without "="',
      { address: `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey;EntityPath=h` },
      "failed to create a eventhub using SAS: failed parsing connection string due to unmatched key value separated by '='",
    ],
    [
      'the emulator switch on a remote endpoint',
      {
        address: `Endpoint=sb://ns.servicebus.windows.net;SharedAccessKeyName=k;SharedAccessKey=x;EntityPath=h;UseDevelopmentEmulator=true`,
      },
      'failed to create a eventhub using SAS: UseDevelopmentEmulator=true can only be used with sb://localhost or sb://localhost:<port number>, not sb://ns.servicebus.windows.net',
    ],
    [
      'a name without token (managed identity needs the cluster)',
      { address: 'myhub', channel: 'ns' },
      "failed to create a eventhub using managed identity: workload identity needs the cluster; set the secret's token to a JWT for Event Hubs, or use a SAS connection string as address",
    ],
    [
      'a name without namespace',
      { address: 'myhub', channel: '', token: 'jwt' },
      'failed to create a eventhub using authentication token: empty namespace (channel)',
    ],
  ])('%s', (_, overrides, error) => {
    expect(azureEventHub.validate(resolved(overrides))).toBe(error)
  })

  it('serviceAccountName conflicts with SAS and with a token', () => {
    expect(azureEventHub.validate(withServiceAccount({}))).toBe(
      'invalid authentication options: serviceAccountName and SAS authentication cannot be set at the same time',
    )
    expect(
      azureEventHub.validate(withServiceAccount({ address: 'hub', channel: 'ns', token: 'jwt' })),
    ).toBe(
      'invalid authentication options: serviceAccountName and jwt token authentication cannot be set at the same time',
    )
  })

  it('render skips what validate refuses', () => {
    expect(
      azureEventHub.render({
        event: testEvent(),
        alert: {} as Alert,
        provider: resolved({ address: '' }),
      }),
    ).toEqual({ skip: 'invalid authentication options: endpoint URL cannot be empty' })
  })
})

describe('azureeventhub length', () => {
  it('an event within 256 KB is sent whole', () => {
    const message = 'm'.repeat(39_000)
    expect(JSON.parse(request({ ...testEvent(), message }).body as string).message).toBe(message)
  })

  it("an event over 256 KB has its message cut with a marker to fit the Basic tier's limit", () => {
    const metadata = { big: 'x'.repeat(250_000) }
    const event = { ...testEvent(), metadata, message: '😀'.repeat(20_000) }
    const body = request(event).body as string
    const size = Buffer.byteLength(body, 'utf8')
    expect(size).toBeLessThanOrEqual(EVENT_HUB_MAX_EVENT_BYTES)
    expect(size).toBeGreaterThan(EVENT_HUB_MAX_EVENT_BYTES - 8)
    const parsed = JSON.parse(body) as { message: string; metadata: Record<string, string> }
    expect(parsed.message.endsWith('😀…')).toBe(true)
    expect(parsed.metadata['big']).toBe(metadata.big)
  })
})

describe('azureeventhub over loopback', () => {
  let recorder: Recorder
  beforeAll(async () => {
    recorder = await startRecorder({ defaultResponse: { status: 201 } })
  })
  afterAll(() => recorder.close())

  it('the emulator switch sends over plain HTTP; the SAS header verifies', async () => {
    const host = recorder.url.replace('http://', '')
    const address = `Endpoint=sb://${host};SharedAccessKeyName=send;SharedAccessKey=${KEY};EntityPath=flux-events;UseDevelopmentEmulator=true`
    const response = await sendRequest(request(testEvent(), resolved({ address }), '', NOW), {
      signal: AbortSignal.timeout(5000),
    })
    expect(response.status).toBe(201)
    const received = recorder.requests.at(-1)!
    expect(received.method).toBe('POST')
    expect(received.path).toBe('/flux-events/messages?timeout=60&api-version=2014-01')
    expect(received.headers['content-type']).toBe('application/atom+xml;type=entry;charset=utf-8')
    expect(received.headers['authorization']).toBe(
      expectedSas(`http://${host}/flux-events`, 'send', KEY, NOW + 3600),
    )
    expect(received.body).toBe(INFO_BODY)
  })

  it('by name with a JWT, through a base-URL channel', async () => {
    const provider = resolved({ address: 'hub', channel: recorder.url, token: 'eyJ.jwt' })
    await sendRequest(request(errorTestEvent(), provider), { signal: AbortSignal.timeout(5000) })
    const received = recorder.requests.at(-1)!
    expect(received.path).toBe('/hub/messages?timeout=60&api-version=2014-01')
    expect(received.headers['authorization']).toBe('Bearer eyJ.jwt')
    expect(received.body).toBe(ERROR_BODY)
  })
})
