/** `matrix` (reference §5.14): txn-id goldens of §8.1 / §8.2, PUT URL, body, limit, loopback. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { matrix, matrixTxnId } from '../../src/providers/matrix.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { errorTestEvent, resolvedProvider, testEvent } from '../support/factories.js'

const ROOM = '!room:matrix.org'

/** §8.1, exact bytes. */
const INFO_BODY =
  '{"body":"💫 gitrepository/webapp.gitops-system\\nmessage\\n- test: metadata\\n","msgtype":"m.text"}'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('matrix', {
    address: 'https://matrix.example.org',
    channel: ROOM,
    token: 'syt_token',
    ...overrides,
  })
}

function render(event: FluxEvent, provider: ResolvedProvider = resolved()): HttpRequestSpec {
  const rendered = matrix.render({ event, alert: {} as Alert, provider })
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

const bodyText = (request: HttpRequestSpec) =>
  (JSON.parse(request.body as string) as { body: string }).body

describe('matrix transaction id', () => {
  it('§8.1: testEvent gives c93b00ed…', () => {
    expect(matrixTxnId(testEvent())).toBe('c93b00ed30c4305f7128cd98ef51762a150fa0ad')
  })

  it('§8.1 † matrix_test.go: the bare event gives 37d91b4f…', () => {
    const event: FluxEvent = {
      involvedObject: {},
      severity: 'info',
      timestamp: '2021-08-24T16:18:00Z',
      message: 'update successful',
      reason: 'update sucesful',
      reportingController: '',
    }
    expect(matrixTxnId(event)).toBe('37d91b4f6a1e44c6a38273b0a0fd408fade7b0f5')
  })

  it('§8.2: the error event gives f62831951…', () => {
    expect(matrixTxnId(errorTestEvent())).toBe('f62831951ecb7543d869e00f86f03bc95e8e47d3')
  })
})

describe('matrix request', () => {
  it('§8.1: PUT to the room send URL with the txn id, Bearer token, golden body', () => {
    const request = render(testEvent())
    expect(request.method).toBe('PUT')
    expect(request.url).toBe(
      'https://matrix.example.org/_matrix/client/r0/rooms/!room:matrix.org/send/m.room.message/c93b00ed30c4305f7128cd98ef51762a150fa0ad',
    )
    expect(request.headers).toEqual({
      'Content-Type': 'application/json',
      Authorization: 'Bearer syt_token',
    })
    expect(request.body).toBe(INFO_BODY)
  })

  it('§8.2: 🚨, message escaped as Go does, error txn id in the URL', () => {
    const request = render(errorTestEvent())
    expect(request.url.endsWith('/f62831951ecb7543d869e00f86f03bc95e8e47d3')).toBe(true)
    expect(request.body).toBe(
      '{"body":"🚨 gitrepository/webapp.gitops-system\\napply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line\\n- test: metadata\\n","msgtype":"m.text"}',
    )
  })

  it('is plain concatenation: a trailing slash stays, the room is not escaped', () => {
    const request = render(
      testEvent(),
      resolved({ address: 'https://m.example/', channel: '#a b' }),
    )
    expect(request.url).toBe(
      'https://m.example//_matrix/client/r0/rooms/#a b/send/m.room.message/c93b00ed30c4305f7128cd98ef51762a150fa0ad',
    )
  })

  it('sorts metadata lines by key; an empty token still sends the header', () => {
    const event = { ...testEvent(), metadata: { zone: 'b', app: 'a' } }
    const request = render(event, resolved({ token: '' }))
    expect(bodyText(request)).toBe(
      '💫 gitrepository/webapp.gitops-system\nmessage\n- app: a\n- zone: b\n',
    )
    expect(request.headers['Authorization']).toBe('Bearer ')
  })
})

describe('matrix validate', () => {
  it('accepts a homeserver URL', () => {
    expect(matrix.validate(resolved())).toBeUndefined()
  })

  it('rejects a bad URL with the controller text', () => {
    expect(matrix.validate(resolved({ address: '' }))).toBe(
      `invalid Matrix homeserver URL : 'parse "": empty url'`,
    )
    expect(matrix.validate(resolved({ address: 'matrix.org' }))).toBe(
      `invalid Matrix homeserver URL matrix.org: 'parse "matrix.org": invalid URI for request'`,
    )
  })
})

describe('matrix length limit (60,000 of the 65,536 event bytes)', () => {
  it('a huge message is cut, ending in …; the txn id is still the whole event’s', () => {
    const event = { ...testEvent(), message: 'z'.repeat(100_000) }
    const request = render(event)
    const size = Buffer.byteLength(request.body as string)
    expect(size).toBeLessThanOrEqual(60_000)
    expect(size).toBeGreaterThan(59_990)
    expect(bodyText(request)).toMatch(
      /^💫 gitrepository\/webapp\.gitops-system\nz+…\n- test: metadata\n$/,
    )
    // the id hashes the event as received, so a re-send dedups on the homeserver
    expect(request.url.endsWith(`/${matrixTxnId(event)}`)).toBe(true)
    expect(matrixTxnId(event)).not.toBe('c93b00ed30c4305f7128cd98ef51762a150fa0ad')
  })

  it('characters Go escapes count at their escaped size', () => {
    // each `<` is six bytes on the wire (\u003c)
    const request = render({ ...testEvent(), message: '<'.repeat(20_000) })
    expect(Buffer.byteLength(request.body as string)).toBeLessThanOrEqual(60_000)
    expect(bodyText(request)).toMatch(/<…\n/)
  })
})

describe('matrix over loopback', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder()
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('the PUT arrives as rendered', async () => {
    const request = render(testEvent(), resolved({ address: recorder.url }))
    await sendRequest(request, { signal: AbortSignal.timeout(10_000) })
    const [received] = recorder.requests
    expect(received!.method).toBe('PUT')
    expect(received!.path).toBe(
      '/_matrix/client/r0/rooms/!room:matrix.org/send/m.room.message/c93b00ed30c4305f7128cd98ef51762a150fa0ad',
    )
    expect(received!.headers['authorization']).toBe('Bearer syt_token')
    expect(received!.headers['content-type']).toBe('application/json')
    expect(received!.body).toBe(INFO_BODY)
  })
})
