/**
 * `discord` (reference §5.4, the controller's `discord.go`): the Slack payload posted to the
 * webhook's Slack-compatible endpoint (`<webhook>/slack`), with no channel, no fallback and the
 * Slack colours. Discord turns the attachment into an embed.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, sortedKeys } from '../util/go-json.js'
import { parseRequestUri } from '../util/go-url.js'
import type { GoUrl } from '../util/go-url.js'
import { codePointLength, cutToFit, cutToLength, CUT_MARKER } from './limits.js'
import { objName } from './slack.js'
import type { NotifierModule, Notification } from './types.js'
import { POST_MESSAGE_FAILED, postJson } from './post-json.js'
import { validateDiscord } from './validate/notifiers.js'

/**
 * Discord's limits for what the Slack endpoint makes of our attachment: `author_name` becomes the
 * embed author, `text` its description, `fields` its fields. Source: Discord developer docs,
 * "Embed Limits" (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
 * and "Execute Webhook" (username 1–80 characters). Over any of them Discord answers 400. We never
 * set the top-level `text` (message content, 2,000 characters), so that limit does not apply.
 */
export const DISCORD_LIMITS = {
  username: 80,
  authorName: 256,
  description: 4096,
  fieldName: 256,
  fieldValue: 1024,
  fields: 25,
  /** author name + description + every field name and value, together */
  embedTotal: 6000,
} as const

/**
 * The URL the controller posts to: an address not ending in `/slack` gets `slack` joined onto its
 * path (Go's `path.Join`, which also cleans the path) and is re-serialised as Go's `URL.String()`
 * would, query kept. The test is on the raw string, so `…/slack?wait=true` still gets a suffix.
 */
export function discordUrl(address: string): { url: string } | { error: string } {
  const parsed = parseRequestUri(address)
  if ('error' in parsed) return { error: parsed.error }
  if (address.endsWith('/slack')) return { url: address }
  const url = { ...parsed.url, path: joinPath(parsed.url.path, 'slack') }
  return { url: goUrlString(url, omitsHost(address, url)) }
}

/** Go's `path.Join` of two elements: empty ones are skipped, the result is cleaned. */
function joinPath(base: string, element: string): string {
  return cleanPath(base === '' ? element : `${base}/${element}`)
}

/** Go's `path.Clean`: no empty or `.` segments, `..` resolved, no trailing slash. */
export function cleanPath(path: string): string {
  if (path === '') return '.'
  const rooted = path.startsWith('/')
  const kept: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') {
      if (kept.length > 0 && kept[kept.length - 1] !== '..') kept.pop()
      else if (!rooted) kept.push('..')
      continue
    }
    kept.push(segment)
  }
  const joined = kept.join('/')
  if (rooted) return `/${joined}`
  return joined === '' ? '.' : joined
}

/** Go sets `OmitHost` for `scheme:/path`: a scheme, then a path, and no `//` authority. */
function omitsHost(raw: string, url: GoUrl): boolean {
  return url.scheme !== '' && url.host === '' && !/^[^:]*:\/\//.test(raw)
}

/** Go's `URL.String()` for a URL from `ParseRequestURI` (no fragment), path freshly escaped. */
function goUrlString(url: GoUrl, omitHost: boolean): string {
  let out = url.scheme === '' ? '' : `${url.scheme}:`
  if (url.opaque !== '') {
    out += url.opaque
  } else {
    if (url.scheme !== '' || url.host !== '' || url.user !== undefined) {
      if (!(omitHost && url.host === '' && url.user === undefined)) {
        if (url.host !== '' || url.path !== '' || url.user !== undefined) out += '//'
        if (url.user !== undefined) out += `${escapeUserinfo(url.user)}@`
        out += goEscape(Buffer.from(url.host, 'utf8'), 'host')
      }
    }
    // EscapedPath: the raw path no longer matches the joined path, so Go escapes it afresh
    const path = url.path === '*' ? '*' : goEscape(Buffer.from(url.path, 'utf8'), 'path')
    if (path !== '' && !path.startsWith('/') && url.host !== '') out += '/'
    if (out === '' && (path.split('/')[0] ?? '').includes(':')) out += './'
    out += path
  }
  if (url.rawQuery !== '') out += `?${url.rawQuery}`
  return out
}

/** `url.UserPassword(...).String()` of the raw userinfo: each part unescaped, then re-escaped. */
function escapeUserinfo(raw: string): string {
  const colon = raw.indexOf(':')
  const parts = colon < 0 ? [raw] : [raw.slice(0, colon), raw.slice(colon + 1)]
  return parts.map((part) => goEscape(percentDecode(part), 'userinfo')).join(':')
}

/** `%XX` escapes to bytes (the parser already refused malformed ones). */
function percentDecode(s: string): Buffer {
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      const char = String.fromCodePoint(s.codePointAt(i)!)
      bytes.push(...Buffer.from(char, 'utf8'))
      i += char.length - 1
    }
  }
  return Buffer.from(bytes)
}

/** Go's `escape(s, mode)` with its `shouldEscape` rules for the three modes used here. */
function goEscape(bytes: Uint8Array, mode: 'host' | 'path' | 'userinfo'): string {
  let out = ''
  for (const byte of bytes) {
    const c = String.fromCharCode(byte)
    out += byte < 0x80 && !shouldEscape(c, mode) ? c : `%${hex(byte)}`
  }
  return out
}

function shouldEscape(c: string, mode: 'host' | 'path' | 'userinfo'): boolean {
  if (/[A-Za-z0-9]/.test(c)) return false
  if (mode === 'host' && `!$&'()*+,;=:[]<>"`.includes(c)) return false
  if ('-_.~'.includes(c)) return false
  if ('$&+,/:;=?@'.includes(c)) {
    // paths escape only `?`; user names and passwords `@ / ? :`; hosts everything else here
    if (mode === 'path') return c === '?'
    if (mode === 'userinfo') return '@/?:'.includes(c)
  }
  return true
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0')
}

interface DiscordField {
  title: string
  value: string
  short: boolean
}

/** The `SlackPayload` Discord gets, cut to Discord's embed limits (only ever when over them). */
export function discordBody(event: FluxEvent, username: string): string {
  const metadata = event.metadata ?? {}
  // Upstream ranges over the metadata map (random order); we sort by key to be deterministic.
  let keys = sortedKeys(Object.keys(metadata))
  let hidden = 0
  if (keys.length > DISCORD_LIMITS.fields) {
    // Discord refuses more than 25 fields: show 24 and say how many more there were.
    hidden = keys.length - (DISCORD_LIMITS.fields - 1)
    keys = keys.slice(0, DISCORD_LIMITS.fields - 1)
  }
  const fields: DiscordField[] = keys.map((key) => ({
    title: cutToLength(key, DISCORD_LIMITS.fieldName),
    value: cutToLength(metadata[key]!, DISCORD_LIMITS.fieldValue),
    short: false,
  }))
  if (hidden > 0) fields.push({ title: CUT_MARKER, value: `${hidden} more`, short: false })

  const authorName = cutToLength(objName(event), DISCORD_LIMITS.authorName)
  const fixed = codePointLength(authorName) + sum(fields.map((f) => codePointLength(f.title)))
  // The message and the values share what the embed total leaves.
  const [text = '', ...values] = cutToFit(
    [cutToLength(event.message, DISCORD_LIMITS.description), ...fields.map((f) => f.value)],
    (texts) => fixed + sum(texts.map(codePointLength)) <= DISCORD_LIMITS.embedTotal,
  )
  values.forEach((value, i) => (fields[i]!.value = value))

  const payload = {
    channel: '', // spec.channel is ignored: a Discord webhook posts to its own channel
    username: cutToLength(username || event.reportingController, DISCORD_LIMITS.username),
    icon_url: '',
    icon_emoji: '',
    text: undefined, // omitempty, and never set
    attachments: [
      {
        fallback: '',
        color: event.severity === 'error' ? 'danger' : 'good',
        author_name: authorName,
        text,
        mrkdwn_in: ['text'],
        fields,
      },
    ],
  }
  return goJson(payload)
}

function sum(numbers: number[]): number {
  return numbers.reduce((a, b) => a + b, 0)
}

export const discord: NotifierModule = {
  type: 'discord',
  class: 'notification',
  validate: validateDiscord,
  render(notification: Notification) {
    const { event, provider } = notification
    const target = discordUrl(provider.address)
    if ('error' in target) {
      // validate() refuses this provider when manifests load; never post to a guessed URL
      return { skip: `invalid Discord hook URL ${provider.address}: '${target.error}'` }
    }
    return postJson(target.url, discordBody(event, provider.username), {}, POST_MESSAGE_FAILED)
  },
}
