/**
 * `zulip` (reference §5.21, the controller's `zulip.go`): the shared markdown post (§5.25) sent as
 * a stream message, form-encoded, to the address's server at `/api/v1/messages`, with basic auth
 * (the bot's email and API key).
 *
 * Length limits (Zulip API docs, `max_message_length` in `POST /register`): a message holds at most
 * 10000 Unicode code points on a default server, so longer content is cut. The topic comes from
 * the Provider's channel, not from the event, and is left as configured.
 */
import type { FluxEvent } from '../events/model.js'
import { basicAuthorization } from './alertmanager.js'
import { cutToLength } from './limits.js'
import { formatMarkdownPost } from './markdown.js'
import { viaPostMessage } from './post-json.js'
import type { NotifierModule, Notification } from './types.js'
import { validateZulip, zulipMessagesUrl, zulipStreamAndTopic } from './validate/notifiers.js'

export { zulipMessagesUrl, zulipStreamAndTopic }

/** Zulip's default `max_message_length`, in code points. */
export const ZULIP_CONTENT_LIMIT = 10_000

/** Go's `url.QueryEscape`: UTF-8 bytes, `A-Za-z0-9-_.~` kept, space as `+`, the rest `%XX`. */
export function goQueryEscape(s: string): string {
  let out = ''
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte)
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c
    else if (c === ' ') out += '+'
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** `url.Values.Encode()` of the message: keys sorted (content, to, topic, type). */
export function zulipBody(event: FluxEvent, stream: string, topic: string): string {
  const content = cutToLength(formatMarkdownPost(event), ZULIP_CONTENT_LIMIT)
  const fields: [string, string][] = [
    ['content', content],
    ['to', stream],
    ['topic', topic],
    ['type', 'stream'],
  ]
  return fields.map(([key, value]) => `${key}=${goQueryEscape(value)}`).join('&')
}

export const zulip: NotifierModule = {
  type: 'zulip',
  class: 'notification',
  validate: validateZulip,
  render(notification: Notification) {
    const { event, provider } = notification
    const url = zulipMessagesUrl(provider.address)
    const target = zulipStreamAndTopic(provider.channel)
    // validate() refuses such a provider at load time
    if (typeof url !== 'string' || target === undefined) return { skip: validateZulip(provider)! }
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
    }
    // The controller's client applies basic auth when either part is set.
    if (provider.username !== '' || provider.password !== '') {
      headers['Authorization'] = basicAuthorization(provider.username, provider.password)
    }
    return {
      requests: [
        {
          method: 'POST',
          url,
          headers,
          body: zulipBody(event, target.stream, target.topic),
          // the controller returns the client's error without a prefix of its own
          ...viaPostMessage(),
        },
      ],
    }
  },
}
