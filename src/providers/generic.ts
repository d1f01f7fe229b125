/**
 * `generic` and `generic-hmac` (reference §5.2, the controller's `forwarder.go`): POST the
 * processed event as JSON to the address. `generic-hmac` signs the body with the secret's token.
 */
import { createHmac } from 'node:crypto'
import { eventJson } from './event-json.js'
import { POST_MESSAGE_FAILED, viaPostMessage } from './post-json.js'
import type { HttpRequestSpec, NotifierModule, Notification } from './types.js'
import { validateGeneric, validateGenericHmac } from './validate/notifiers.js'

/** Go's `textproto.CanonicalMIMEHeaderKey`, which `Header.Set` applies to every name. */
export function canonicalHeaderKey(key: string): string {
  // Names with bytes outside an HTTP token are left as they are, as Go does.
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key)) return key
  return key
    .toLowerCase()
    .replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())
}

/** Sets a header the way Go's `Header.Set` does: one value under the canonical name. */
function setHeader(headers: Record<string, string>, key: string, value: string): void {
  headers[canonicalHeaderKey(key)] = value
}

function renderForwarder(notification: Notification, hmac: boolean): HttpRequestSpec {
  const { event, provider } = notification
  const body = eventJson(event)
  const headers: Record<string, string> = {}
  setHeader(headers, 'Content-Type', 'application/json')
  setHeader(headers, 'gotk-component', event.reportingController)
  // The secret's `headers` come after, so they may override both of the above.
  for (const [key, value] of Object.entries(provider.headers)) setHeader(headers, key, value)
  if (hmac) {
    // Set last: a user-supplied X-Signature never survives.
    setHeader(headers, 'X-Signature', `sha256=${hmacSha256Hex(provider.token, body)}`)
  }
  return {
    method: 'POST',
    url: provider.address,
    headers,
    body,
    ...viaPostMessage(POST_MESSAGE_FAILED),
  }
}

/** Hex HMAC-SHA256 of the body bytes, keyed with the token's bytes. */
export function hmacSha256Hex(key: string, body: string): string {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(body, 'utf8').digest('hex')
}

export const generic: NotifierModule = {
  type: 'generic',
  class: 'forwarder',
  validate: validateGeneric,
  render: (notification) => ({ requests: [renderForwarder(notification, false)] }),
}

export const genericHmac: NotifierModule = {
  type: 'generic-hmac',
  class: 'forwarder',
  validate: validateGenericHmac,
  render: (notification) => {
    // validate() refuses this provider at load time; never sign with an empty key regardless.
    if (notification.provider.token === '') return { skip: 'HMAC key is empty' }
    return { requests: [renderForwarder(notification, true)] }
  },
}
