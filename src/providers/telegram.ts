/**
 * `telegram` (reference §5.12, the controller's `telegram.go`): a Bot API `sendMessage` call with
 * a MarkdownV2 text. The bot token travels in the URL path, so every error text that quotes the
 * URL holds it: delivery masks the provider's `secretValues`, which carry the secret's `token`.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, sortedKeys } from '../util/go-json.js'
import { parseGoUrl, parseRequestUri } from '../util/go-url.js'
import { cutToFit } from './limits.js'
import type { NotifierModule, Notification } from './types.js'
import { postJson } from './post-json.js'
import { validateTelegram } from './validate/notifiers.js'

/** Where the controller always sends. */
export const TELEGRAM_API_BASE = 'https://api.telegram.org'

/**
 * Telegram's limit for `sendMessage`'s `text`: "1-4096 characters after entities parsing"
 * (https://core.telegram.org/bots/api#sendmessage). The escapes and `*` markers are not counted;
 * characters are counted in UTF-16 code units, like the API's entity offsets, which is never less
 * than the code points, so a text within it fits either reading.
 */
export const TELEGRAM_TEXT_LIMIT = 4096

/**
 * The characters MarkdownV2 reserves (https://core.telegram.org/bots/api#markdownv2-style), as
 * the controller lists them: `\` first, so the backslashes it inserts are never escaped again.
 * `<` is not in the list (Telegram does not reserve it), `>` is.
 */
const RESERVED = /[\\.\-_[\]()~>`#+=|{}!*]/g

/** A backslash before every reserved character, in one pass (same result as the controller's). */
export function escapeMarkdownV2(text: string): string {
  return text.replace(RESERVED, '\\$&')
}

/**
 * The API base: the controller always uses api.telegram.org and ignores `address`. We let an
 * http(s) `address` replace the base (a documented deviation, issue 4: it serves proxies and
 * mirrors, and lets tests point at loopback). Anything else in `address` is ignored, as the
 * controller ignores it, so manifests written for the controller (Flux's docs set
 * `address: https://api.telegram.org`) behave the same.
 */
export function telegramApiBase(address: string): string {
  const parsed = parseRequestUri(address)
  if ('error' in parsed) return TELEGRAM_API_BASE
  const { scheme, host } = parsed.url
  if ((scheme !== 'http' && scheme !== 'https') || host === '') return TELEGRAM_API_BASE
  return address
}

/**
 * `<base>/bot<token>/sendMessage`, joined like Go's `url.JoinPath` (the path cleaned, so a base
 * ending in `/` gives no `//`), the base's query kept. Returns Go's parse error for a token that
 * makes no URL (`%zz`), worded as the controller words it.
 */
export function telegramUrl(base: string, token: string): { url: string } | { error: string } {
  const cut = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*)([^?#]*)(\?[^#]*)?/.exec(base)
  const origin = cut?.[1] ?? base
  const basePath = cut?.[2] ?? ''
  const query = cut?.[3] ?? ''
  const url = `${origin}${cleanPath(`${basePath}/bot${token}/sendMessage`)}${query}`
  const parsed = parseGoUrl(url)
  if ('error' in parsed) return { error: `failed to construct API URL: ${parsed.error}` }
  return { url }
}

/** Go's `path.Clean` for a rooted path: no empty or `.` segments, `..` resolved. */
function cleanPath(path: string): string {
  const kept: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') kept.pop()
    else kept.push(segment)
  }
  return `/${kept.join('/')}`
}

/** The metadata in the order we send it: upstream ranges over a Go map, we sort by key. */
function metadataEntries(event: FluxEvent): [string, string][] {
  const metadata = event.metadata ?? {}
  return sortedKeys(Object.keys(metadata)).map((key) => [key, metadata[key]!])
}

/** `💫 kind/name/namespace` (note the `/` before the namespace, unlike other chat types). */
function heading(event: FluxEvent): string {
  const emoji = event.severity === 'error' ? '🚨' : '💫'
  const ref = event.involvedObject
  return `${emoji} ${(ref.kind ?? '').toLowerCase()}/${ref.name ?? ''}/${ref.namespace ?? ''}`
}

/**
 * The message text: the heading in bold, the message, then `- *key*: value` per metadata entry,
 * every piece escaped. When what Telegram would show is over its limit, the message and then the
 * longest metadata values are cut (before escaping, so no escape is split).
 */
export function telegramText(event: FluxEvent): string {
  const head = heading(event)
  const entries = metadataEntries(event)
  // What the reader sees: the text without escapes and `*` markers.
  const shownLength = ([message, ...values]: string[]) =>
    head.length +
    1 +
    message!.length +
    1 +
    entries.reduce((sum, [key], i) => sum + `- ${key}: ${values[i]!}\n`.length, 0)
  const [message, ...values] = cutToFit(
    [event.message, ...entries.map(([, value]) => value)],
    (texts) => shownLength(texts) <= TELEGRAM_TEXT_LIMIT,
  )
  let text = `*${escapeMarkdownV2(head)}*\n${escapeMarkdownV2(message!)}\n`
  entries.forEach(([key], i) => {
    text += `\\- *${escapeMarkdownV2(key)}*: ${escapeMarkdownV2(values[i]!)}\n`
  })
  return text
}

/** The `TelegramPayload` body; the channel is `chat` or `chat:thread` (a forum topic). */
export function telegramBody(event: FluxEvent, channel: string): string {
  const colon = channel.indexOf(':')
  const chatId = colon < 0 ? channel : channel.slice(0, colon)
  const thread = colon < 0 ? '' : channel.slice(colon + 1)
  return goJson({
    chat_id: chatId,
    message_thread_id: thread === '' ? undefined : thread, // omitempty
    text: telegramText(event),
    parse_mode: 'MarkdownV2',
  })
}

export const telegram: NotifierModule = {
  type: 'telegram',
  class: 'notification',
  validate: validateTelegram,
  render(notification: Notification) {
    const { event, provider } = notification
    const target = telegramUrl(telegramApiBase(provider.address), provider.token)
    // Only a token that is no URL gets here; the text holds the token, and delivery masks it.
    if ('error' in target) throw new Error(target.error)
    return postJson(target.url, telegramBody(event, provider.channel))
  },
}
