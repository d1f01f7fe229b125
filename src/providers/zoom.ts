/**
 * `zoom` (reference §5.23, the controller's `zoom.go`, on `main` after v1.9.3): a rich message
 * posted to Zoom Team Chat's Incoming Webhook app, which takes its verification token raw in
 * `Authorization`.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, sortedKeys } from '../util/go-json.js'
import { parseRequestUri } from '../util/go-url.js'
import { cutToLength } from './limits.js'
import { objName } from './slack.js'
import type { NotifierModule, Notification } from './types.js'
import { POST_MESSAGE_FAILED, postJson } from './post-json.js'
import { validateZoom } from './validate/notifiers.js'

/**
 * Zoom Team Chat caps a chat message at 4,096 characters (Team Chat API, "Send a chat message":
 * `message`, max 4,096). The Incoming Webhook app documents no limit of its own; we hold its
 * message text to the same.
 */
export const ZOOM_MESSAGE_LIMIT = 4096

/**
 * The address with `format=full` (the rich message format) unless its query already has a
 * non-empty `format`. Adding it re-encodes the query as Go's `url.Values.Encode` does: keys
 * sorted, every key and value query-escaped, pairs Go cannot parse dropped. An address that is
 * kept is sent as written.
 */
export function zoomUrl(address: string): string {
  const parsed = parseRequestUri(address)
  if ('error' in parsed) return address // validate() refused it already
  const values = parseQuery(parsed.url.rawQuery)
  if ((values.get('format')?.[0] ?? '') !== '') return address
  values.set('format', ['full'])
  const question = address.indexOf('?')
  const base = question < 0 ? address : address.slice(0, question)
  // Go's URL.String() writes the scheme lower-case
  const scheme = parsed.url.scheme
  const rest = scheme === '' ? base : `${scheme}${base.slice(scheme.length)}`
  return `${rest}?${encodeQuery(values)}`
}

/**
 * Go's `url.ParseQuery`, keeping what it keeps: `&`-separated pairs, `+` as space, `%XX`
 * decoded; a pair with a `;` or a bad escape is dropped, and so is an empty one.
 */
function parseQuery(query: string): Map<string, string[]> {
  const values = new Map<string, string[]>()
  for (const pair of query.split('&')) {
    if (pair === '' || pair.includes(';')) continue
    const equals = pair.indexOf('=')
    const key = queryUnescape(equals < 0 ? pair : pair.slice(0, equals))
    const value = queryUnescape(equals < 0 ? '' : pair.slice(equals + 1))
    if (key === undefined || value === undefined) continue
    values.set(key, [...(values.get(key) ?? []), value])
  }
  return values
}

/** Go's `url.QueryUnescape` over UTF-8 bytes; undefined for a malformed `%` escape. */
function queryUnescape(text: string): string | undefined {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '%') {
      const hex = text.slice(i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined
      bytes.push(parseInt(hex, 16))
      i += 2
    } else if (c === '+') {
      bytes.push(0x20)
    } else {
      const char = String.fromCodePoint(text.codePointAt(i)!)
      bytes.push(...Buffer.from(char, 'utf8'))
      i += char.length - 1
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

/** Go's `url.QueryEscape`: letters, digits and `-_.~` stay, space is `+`, the rest `%XX`. */
function queryEscape(text: string): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte)
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c
    else if (c === ' ') out += '+'
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** Go's `url.Values.Encode`: keys sorted, each value in order. */
function encodeQuery(values: Map<string, string[]>): string {
  const pairs: string[] = []
  for (const key of sortedKeys(values.keys())) {
    for (const value of values.get(key)!) pairs.push(`${queryEscape(key)}=${queryEscape(value)}`)
  }
  return pairs.join('&')
}

/**
 * The `ZoomPayload`: the object and severity as the head, the message, and a `fields` item (keys
 * sorted, as upstream sorts them) only when there is metadata.
 */
export function zoomBody(event: FluxEvent): string {
  const metadata = event.metadata ?? {}
  const keys = sortedKeys(Object.keys(metadata))
  const body: Record<string, unknown>[] = [
    // `text` is omitempty
    { type: 'message', text: cutToLength(event.message, ZOOM_MESSAGE_LIMIT) || undefined },
  ]
  if (keys.length > 0) {
    body.push({ type: 'fields', items: keys.map((key) => ({ key, value: metadata[key]! })) })
  }
  return goJson({
    content: {
      head: { text: objName(event), sub_head: { text: event.severity } },
      body,
    },
  })
}

export const zoom: NotifierModule = {
  type: 'zoom',
  class: 'notification',
  validate: validateZoom,
  render(notification: Notification) {
    const { event, provider } = notification
    return postJson(
      zoomUrl(provider.address),
      zoomBody(event),
      { Authorization: provider.token },
      POST_MESSAGE_FAILED,
    )
  },
}
