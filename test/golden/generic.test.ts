/**
 * Goldens of reference §8.1 / §8.2 for `generic` and `generic-hmac`. The bodies and both HMAC
 * signatures are the controller's (the `sha256=65b0185…` one is also upstream's forwarder_test).
 */
import { describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { eventJson } from '../../src/providers/event-json.js'
import { canonicalHeaderKey, generic, genericHmac } from '../../src/providers/generic.js'
import type { HttpRequestSpec, Notification, ResolvedProvider } from '../../src/providers/types.js'
import {
  errorTestEvent,
  providerManifest,
  resolvedProvider,
  testEvent,
} from '../support/factories.js'

const HMAC_KEY = '7152fed34dd6149a7c75a276c510da27cb6f82b0'

const GENERIC_INFO_BODY =
  '{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp"},"severity":"info","timestamp":"2022-09-30T06:40:29Z","message":"message","reason":"reason","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}'

/** The hook Provider of flux-system, resolved with a secret address. */
function resolved(type: string, overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider(type, {
    provider: providerManifest(type, { name: 'hook', namespace: 'flux-system', address: '' }),
    uid: '0c9c2e41',
    address: 'http://127.0.0.1:9999/hook',
    ...overrides,
  })
}

function notification(event: FluxEvent, provider: ResolvedProvider): Notification {
  return { event, alert: {} as Alert, provider }
}

function onlyRequest(rendered: ReturnType<typeof generic.render>): HttpRequestSpec {
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

describe('eventJson', () => {
  it('is the controller body for testEvent', () => {
    expect(eventJson(testEvent())).toBe(GENERIC_INFO_BODY)
  })

  it('escapes HTML characters and keeps the uid in the involvedObject order', () => {
    expect(eventJson(errorTestEvent())).toBe(
      '{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp","uid":"7d0cdc51-ddcf-4743-b223-83ca5c699632"},"severity":"error","timestamp":"2022-09-30T06:40:29Z","message":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line","reason":"HealthCheckFailed","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}',
    )
  })

  it('omits empty metadata and reportingInstance, writes a null timestamp, sorts metadata', () => {
    // The googlepubsub/nats golden of §8.1: a zero event with metadata {"foo":"bar"}.
    const zero: FluxEvent = {
      involvedObject: {},
      severity: '',
      timestamp: null,
      message: '',
      reason: '',
      metadata: { foo: 'bar' },
      reportingController: '',
    }
    expect(eventJson(zero)).toBe(
      '{"involvedObject":{},"severity":"","timestamp":null,"message":"","reason":"","metadata":{"foo":"bar"},"reportingController":""}',
    )
    expect(eventJson({ ...zero, metadata: {}, reportingInstance: '' })).toBe(
      '{"involvedObject":{},"severity":"","timestamp":null,"message":"","reason":"","reportingController":""}',
    )
    expect(eventJson({ ...zero, metadata: { b: '2', B: '1', a: '3' } })).toContain(
      '"metadata":{"B":"1","a":"3","b":"2"}',
    )
  })
})

describe('generic', () => {
  it('posts the event JSON with the controller headers', () => {
    const request = onlyRequest(generic.render(notification(testEvent(), resolved('generic'))))
    expect(request).toEqual({
      method: 'POST',
      url: 'http://127.0.0.1:9999/hook',
      headers: { 'Content-Type': 'application/json', 'Gotk-Component': 'source-controller' },
      body: GENERIC_INFO_BODY,
      // §5.2: errors are prefixed `postMessage failed: `, after the shared client's own layer
      errorPrefix: 'postMessage failed: ',
      postMessage: true,
    })
  })

  it("lets the secret's headers override, canonicalised like Go's Header.Set", () => {
    const provider = resolved('generic', {
      headers: { 'content-type': 'text/plain', 'x-api-key': 'k', 'GOTK-COMPONENT': 'me' },
    })
    const request = onlyRequest(generic.render(notification(testEvent(), provider)))
    expect(request.headers).toEqual({
      'Content-Type': 'text/plain',
      'Gotk-Component': 'me',
      'X-Api-Key': 'k',
    })
  })

  it('validates the address like url.ParseRequestURI, with the controller text', () => {
    expect(generic.validate(resolved('generic'))).toBeUndefined()
    expect(generic.validate(resolved('generic', { address: '' }))).toBe(
      'invalid hook URL : parse "": empty url',
    )
    expect(generic.validate(resolved('generic', { address: 'example.com/hook' }))).toBe(
      'invalid hook URL example.com/hook: parse "example.com/hook": invalid URI for request',
    )
  })

  it('is a forwarder', () => {
    expect(generic.class).toBe('forwarder')
    expect(genericHmac.class).toBe('forwarder')
  })
})

describe('generic-hmac', () => {
  it('signs the info body: sha256=65b0185…', () => {
    const provider = resolved('generic-hmac', { token: HMAC_KEY })
    const request = onlyRequest(genericHmac.render(notification(testEvent(), provider)))
    expect(request.body).toBe(GENERIC_INFO_BODY)
    expect(request.headers).toEqual({
      'Content-Type': 'application/json',
      'Gotk-Component': 'source-controller',
      'X-Signature': 'sha256=65b018549b1254e7226d1c08f9567ee45bc9de0fc4e7b1a40253f9a018b08be7',
    })
  })

  it('signs the escaped error body: sha256=d4ff57b…', () => {
    const provider = resolved('generic-hmac', { token: HMAC_KEY })
    const request = onlyRequest(genericHmac.render(notification(errorTestEvent(), provider)))
    expect(request.headers['X-Signature']).toBe(
      'sha256=d4ff57b29a400443ad88e6146fe14c46eeb3a6448946696f837858e027204c94',
    )
  })

  it('sets X-Signature last, over a user-supplied one', () => {
    const provider = resolved('generic-hmac', {
      token: HMAC_KEY,
      headers: { 'x-signature': 'forged' },
    })
    const request = onlyRequest(genericHmac.render(notification(testEvent(), provider)))
    expect(request.headers['X-Signature']).toBe(
      'sha256=65b018549b1254e7226d1c08f9567ee45bc9de0fc4e7b1a40253f9a018b08be7',
    )
  })

  it('refuses an empty key, after the URL check', () => {
    expect(genericHmac.validate(resolved('generic-hmac'))).toBe('HMAC key is empty')
    expect(genericHmac.validate(resolved('generic-hmac', { address: '' }))).toBe(
      'invalid hook URL : parse "": empty url',
    )
    expect(genericHmac.validate(resolved('generic-hmac', { token: HMAC_KEY }))).toBeUndefined()
  })
})

describe('canonicalHeaderKey', () => {
  it.each([
    ['gotk-component', 'Gotk-Component'],
    ['X-SIGNATURE', 'X-Signature'],
    ['x_custom_key', 'X_custom_key'],
    ['1st-header', '1st-Header'],
    ['bad header', 'bad header'],
  ])('%s → %s', (key, canonical) => {
    expect(canonicalHeaderKey(key)).toBe(canonical)
  })
})
