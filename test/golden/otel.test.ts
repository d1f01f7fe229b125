/**
 * `otel` per reference §5.22: one span per event as OTLP/HTTP protobuf, decoded back here with
 * @bufbuild/protobuf's BinaryReader against the field numbers of opentelemetry-proto's trace.proto.
 */
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire'
import { describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { otel } from '../../src/providers/otel.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { alert, errorTestEvent, resolvedProvider, testEvent } from '../support/factories.js'

// ---- a minimal protobuf reader --------------------------------------------------------------

type Value = bigint | number | Uint8Array
type Message = Map<number, Value[]>

function decode(bytes: Uint8Array): Message {
  const reader = new BinaryReader(bytes)
  const fields: Message = new Map()
  while (reader.pos < reader.len) {
    const [no, type] = reader.tag()
    let value: Value
    if (type === WireType.Varint) value = BigInt(reader.uint64())
    else if (type === WireType.LengthDelimited) value = reader.bytes()
    else if (type === WireType.Bit64) value = BigInt(reader.fixed64())
    else if (type === WireType.Bit32) value = reader.fixed32()
    else throw new Error(`unexpected wire type ${type}`)
    fields.set(no, [...(fields.get(no) ?? []), value])
  }
  return fields
}

const text = (value: Value | undefined) => new TextDecoder().decode(value as Uint8Array)
const one = (message: Message, no: number) => {
  const values = message.get(no) ?? []
  expect(values.length).toBeLessThanOrEqual(1)
  return values[0]
}
const sub = (message: Message, no: number) => decode(one(message, no) as Uint8Array)
const all = (message: Message, no: number) =>
  (message.get(no) ?? []).map((v) => decode(v as Uint8Array))

/** `KeyValue{key, value: AnyValue{string_value}}` list as pairs. */
function keyValues(list: Message[]): [string, string][] {
  return list.map((kv) => [text(one(kv, 1)), text(one(sub(kv, 2), 1))])
}

interface DecodedSpan {
  resource: [string, string][]
  resourceSchemaUrl: string
  scopeName: string
  traceId: string
  spanId: string
  parentSpanId: Value | undefined
  name: string
  kind: Value | undefined
  start: Value | undefined
  end: Value | undefined
  attributes: [string, string][]
  droppedAttributes: Value | undefined
  statusCode: Value | undefined
  statusMessage: Value | undefined
  flags: Value | undefined
}

function decodeExport(body: Uint8Array): DecodedSpan {
  const request = decode(body)
  const resourceSpans = all(request, 1)
  expect(resourceSpans).toHaveLength(1)
  const rs = resourceSpans[0]!
  const scopeSpans = all(rs, 2)
  expect(scopeSpans).toHaveLength(1)
  const spans = all(scopeSpans[0]!, 2)
  expect(spans).toHaveLength(1)
  const span = spans[0]!
  const status = sub(span, 15)
  return {
    resource: keyValues(all(sub(rs, 1), 1)),
    resourceSchemaUrl: text(one(rs, 3)),
    scopeName: text(one(sub(scopeSpans[0]!, 1), 1)),
    traceId: Buffer.from(one(span, 1) as Uint8Array).toString('hex'),
    spanId: Buffer.from(one(span, 2) as Uint8Array).toString('hex'),
    parentSpanId: one(span, 4),
    name: text(one(span, 5)),
    kind: one(span, 6),
    start: one(span, 7),
    end: one(span, 8),
    attributes: keyValues(all(span, 9)),
    droppedAttributes: one(span, 10),
    statusCode: one(status, 3),
    statusMessage: one(status, 2),
    flags: one(span, 16),
  }
}

// ---- fixtures -------------------------------------------------------------------------------

/** upstream otel_test's alert */
const ALERT = (() => {
  const a = alert({ name: 'test-alert', namespace: 'test-namespace' })
  a.metadata.uid = 'test-alert-uid'
  return a
})()

const sha256 = (input: string) => createHash('sha256').update(input).digest()
const traceIdOf = (input: string) => sha256(input).subarray(0, 16).toString('hex')
const spanIdOf = (input: string) => sha256(input).subarray(0, 8).toString('hex')

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('otel', { address: 'http://127.0.0.1:4318/v1/traces', ...overrides })
}

function render(event: FluxEvent, provider = resolved(), forAlert: Alert = ALERT): HttpRequestSpec {
  const rendered = otel.render({ event, alert: forAlert, provider })
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

const span = (event: FluxEvent, forAlert: Alert = ALERT) =>
  decodeExport(render(event, resolved(), forAlert).body as Uint8Array)

// ---- tests ----------------------------------------------------------------------------------

describe('otel span (§5.22)', () => {
  it('testEvent: resource, scope, name, times, attributes, Ok status, ids', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe('http://127.0.0.1:4318/v1/traces')
    expect(request.headers).toEqual({ 'Content-Type': 'application/x-protobuf' })
    expect(decodeExport(request.body as Uint8Array)).toEqual({
      resource: [
        ['service.instance.id', 'test-alert-uid'],
        ['service.name', 'test-namespace/test-alert'],
        ['service.namespace', 'test-namespace'],
      ],
      resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.40.0',
      scopeName: 'flux:notification-controller',
      // no revision in testEvent's metadata: `unknown`
      traceId: traceIdOf('test-alert-uid:unknown'),
      spanId: spanIdOf(':unknown'),
      parentSpanId: undefined,
      name: 'GitRepository: gitops-system/webapp',
      kind: 1n, // SPAN_KIND_INTERNAL
      start: 1664520029000000000n,
      end: 1664520029000000000n,
      attributes: [
        ['object.uid', ''],
        ['object.kind', 'GitRepository'],
        ['object.name', 'webapp'],
        ['object.namespace', 'gitops-system'],
        ['test', 'metadata'],
      ],
      droppedAttributes: undefined,
      statusCode: 1n, // STATUS_CODE_OK, without a message as the Go SDK sends it
      statusMessage: undefined,
      flags: 0x100,
    })
  })

  it('error variant (§8.2): Error status with the message, span id from the object uid', () => {
    const decoded = span(errorTestEvent())
    expect(decoded.statusCode).toBe(2n)
    expect(text(decoded.statusMessage)).toBe('apply failed: <b>&"x"</b>\nsecond line')
    expect(decoded.spanId).toBe(spanIdOf('7d0cdc51-ddcf-4743-b223-83ca5c699632:unknown'))
    expect(decoded.attributes[0]).toEqual(['object.uid', '7d0cdc51-ddcf-4743-b223-83ca5c699632'])
  })

  it.each<[string, Record<string, string>, string]>([
    ['revision', { revision: 'main@sha1:abc' }, 'main@sha1:abc'],
    ['commit before originRevision and revision', { commit: 'c', revision: 'r' }, 'c'],
    ['originRevision before revision', { originRevision: 'o', revision: 'r' }, 'o'],
    ['source-revision wins', { revision: 'r', 'source-revision': 's' }, 's'],
    [
      'app-version@oci-digest',
      { revision: 'r', 'app-version': '1.2.3', 'oci-digest': 'sha256:d' },
      '1.2.3@sha256:d',
    ],
    ['OCI keys alone are no revision', { 'app-version': '1', 'oci-digest': 'sha256:d' }, 'unknown'],
  ])('trace id revision: %s', (_, metadata, revision) => {
    const decoded = span({ ...testEvent(), metadata })
    expect(decoded.traceId).toBe(traceIdOf(`test-alert-uid:${revision}`))
    expect(decoded.spanId).toBe(spanIdOf(`:${revision}`))
  })

  it('an Alert without metadata.uid gets the derived stable id', () => {
    const derived = sha256('flux-system/on-deploy').toString('hex').slice(0, 8)
    const decoded = span(testEvent(), alert({ name: 'on-deploy', namespace: 'flux-system' }))
    expect(decoded.resource[0]).toEqual(['service.instance.id', derived])
    expect(decoded.traceId).toBe(traceIdOf(`${derived}:unknown`))
  })

  it('metadata attributes are sorted; a repeated key keeps its place and takes the last value', () => {
    const decoded = span({ ...testEvent(), metadata: { b: '2', 'object.kind': 'X', a: '1' } })
    expect(decoded.attributes).toEqual([
      ['object.uid', ''],
      ['object.kind', 'X'],
      ['object.name', 'webapp'],
      ['object.namespace', 'gitops-system'],
      ['a', '1'],
      ['b', '2'],
    ])
  })

  it('HelmRepository events are skipped', () => {
    const event = { ...testEvent(), involvedObject: { kind: 'HelmRepository', name: 'r' } }
    expect(otel.render({ event, alert: ALERT, provider: resolved() })).toEqual({
      skip: 'HelmRepository events are not traced (the controller skips them)',
    })
  })
})

describe('otel limits', () => {
  it('past 128 attributes the rest are dropped and counted, as the SDK does', () => {
    const metadata = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`k${String(i).padStart(3, '0')}`, 'v']),
    )
    const decoded = span({ ...testEvent(), metadata })
    expect(decoded.attributes).toHaveLength(128)
    expect(decoded.attributes.at(-1)).toEqual(['k123', 'v'])
    expect(decoded.droppedAttributes).toBe(76n)
  })

  it('OTLP has no field limit: a 39,000-character error message is sent whole', () => {
    const message = '😀'.repeat(39_000)
    expect(text(span({ ...errorTestEvent(), message }).statusMessage)).toBe(message)
  })
})

describe('otel endpoint, headers, proxy', () => {
  it.each([
    ['http://collector:4318/v1/traces?x=1#f', 'http://collector:4318/v1/traces'],
    ['https://otel.example.com/v1/traces', 'https://otel.example.com/v1/traces'],
    ['grpc://collector:4317/v1/traces', 'http://collector:4317/v1/traces'],
    ['http://collector:4318', 'http://collector:4318'],
    ['http://collector/a%2Fb', 'http://collector/a%2Fb'],
  ])('%s → %s', (address, url) => {
    expect(otel.validate(resolved({ address }))).toBeUndefined()
    expect(render(testEvent(), resolved({ address })).url).toBe(url)
  })

  it.each([
    ['', 'invalid OTLP endpoint URL : missing host'],
    [
      'collector:4318/v1/traces',
      'invalid OTLP endpoint URL collector:4318/v1/traces: missing host',
    ],
    [
      'http://[::1',
      `invalid OTLP endpoint URL http://[::1: parse "http://[::1": missing ']' in host`,
    ],
  ])('validate(%j)', (address, error) => {
    expect(otel.validate(resolved({ address }))).toBe(error)
  })

  it('no secret headers: no Authorization, whatever the credentials', () => {
    const request = render(testEvent(), resolved({ token: 't', username: 'u', password: 'p' }))
    expect(request.headers).toEqual({ 'Content-Type': 'application/x-protobuf' })
  })

  it('with headers: Bearer <token> without a username, canonical header names', () => {
    const request = render(testEvent(), resolved({ headers: { 'x-scope-orgid': 'a' }, token: 't' }))
    expect(request.headers).toEqual({
      'Content-Type': 'application/x-protobuf',
      Authorization: 'Bearer t',
      'X-Scope-Orgid': 'a',
    })
  })

  it('with headers: the password stands in for an empty token', () => {
    const request = render(testEvent(), resolved({ headers: { a: 'b' }, password: 'p' }))
    expect(request.headers['Authorization']).toBe('Bearer p')
  })

  it('with headers and a username: Basic', () => {
    const request = render(
      testEvent(),
      resolved({ headers: { a: 'b' }, username: 'user', password: 'password' }),
    )
    // util_test.go's basicAuth("user","password")
    expect(request.headers['Authorization']).toBe('Basic dXNlcjpwYXNzd29yZA==')
  })

  it("a user's own Authorization header stays", () => {
    expect(
      render(testEvent(), resolved({ headers: { Authorization: 'Api-Key k' }, token: 't' }))
        .headers['Authorization'],
    ).toBe('Api-Key k')
    expect(
      render(testEvent(), resolved({ headers: { authorization: 'Api-Key k' }, token: 't' }))
        .headers['Authorization'],
    ).toBe('Api-Key k')
  })

  it('prepare puts username and password into the proxy URL, only when both are set', async () => {
    const withProxy = resolved({ proxy: 'http://proxy:3128', username: 'u', password: 'p@ss' })
    expect((await otel.prepare!(withProxy, AbortSignal.timeout(1000))).proxy).toBe(
      'http://u:p%40ss@proxy:3128',
    )
    const withoutPassword = resolved({ proxy: 'http://proxy:3128', username: 'u' })
    expect((await otel.prepare!(withoutPassword, AbortSignal.timeout(1000))).proxy).toBe(
      'http://proxy:3128',
    )
  })
})

describe('otel over loopback', () => {
  it('the collector receives the protobuf bytes at the path', async () => {
    const received: { path: string; type: string; auth: string; body: Buffer }[] = []
    const server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        received.push({
          path: request.url ?? '',
          type: request.headers['content-type'] ?? '',
          auth: request.headers['authorization'] ?? '',
          body: Buffer.concat(chunks),
        })
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const provider = resolved({
        address: `http://127.0.0.1:${port}/v1/traces`,
        headers: { 'X-Tenant': 'flux' },
        token: 'otel-token',
      })
      const request = render(errorTestEvent(), provider)
      await sendRequest(request, { signal: AbortSignal.timeout(5000) })
      expect(received).toHaveLength(1)
      const [got] = received
      expect(got?.path).toBe('/v1/traces')
      expect(got?.type).toBe('application/x-protobuf')
      expect(got?.auth).toBe('Bearer otel-token')
      expect(new Uint8Array(got!.body)).toEqual(request.body)
      const decoded = decodeExport(new Uint8Array(got!.body))
      expect(decoded.name).toBe('GitRepository: gitops-system/webapp')
      expect(decoded.traceId).toBe(traceIdOf('test-alert-uid:unknown'))
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
