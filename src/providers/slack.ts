/**
 * `slack` (reference §5.3, the controller's `slack.go`): one attachment per event, posted to an
 * incoming webhook or to the Web API's `chat.postMessage` (with a bot token).
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, sortedKeys } from '../util/go-json.js'
import type { NotifierModule, Notification } from './types.js'
import { POST_MESSAGE_FAILED, viaPostMessage } from './post-json.js'
import { cutToLength } from './limits.js'
import { validateSlack } from './validate/notifiers.js'

/** Only this exact address gets its 200 body checked for `{"ok":false}`. */
export const SLACK_POST_MESSAGE_URL = 'https://slack.com/api/chat.postMessage'

/** `kind/name.namespace` with the kind lower-cased: how Slack-style notifiers name an object. */
export function objName(event: FluxEvent): string {
  const ref = event.involvedObject
  return `${(ref.kind ?? '').toLowerCase()}/${ref.name ?? ''}.${ref.namespace ?? ''}`
}

/** The `SlackPayload` body, fields in the controller's struct order. */
/**
 * Slack truncates message text past 40,000 characters (chat.postMessage, "Truncating content");
 * we cut first, on a character boundary with a marker, so what is lost is visible.
 */
export const SLACK_TEXT_LIMIT = 40_000

export function slackBody(event: FluxEvent, channel: string, username: string): string {
  const name = objName(event)
  const message = cutToLength(event.message, SLACK_TEXT_LIMIT)
  const metadata = event.metadata ?? {}
  // Upstream ranges over the metadata map (random order); we sort by key to be deterministic.
  const fields = sortedKeys(Object.keys(metadata)).map((key) => ({
    title: key,
    value: metadata[key]!,
    short: false,
  }))
  const payload = {
    channel,
    username: username || event.reportingController,
    icon_url: '',
    icon_emoji: '',
    text: undefined, // omitempty, and never set
    attachments: [
      {
        fallback: `${name}: ${message.split('\n')[0]!}`,
        color: event.severity === 'error' ? 'danger' : 'good',
        author_name: name,
        text: message,
        mrkdwn_in: ['text'],
        fields,
      },
    ],
  }
  return goJson(payload)
}

/**
 * The Web API answers 200 even when it refused the message; its `{"ok","error"}` says so.
 * Returns the controller's error text, or undefined when the message was accepted.
 */
export function checkSlackApiResponse(_status: number, body: string): string | undefined {
  const decoded = decodeSlackResponse(body)
  if ('error' in decoded) return `unable to unmarshal response body: ${decoded.error}`
  if (!decoded.ok) return `Slack responded with error: ${decoded.message}`
  return undefined
}

/** The anonymous struct the controller decodes into, as Go's errors name it. */
const SLACK_RESPONSE_TYPE = 'struct { Ok bool "json:\\"ok\\""; Error string "json:\\"error\\"" }'

/**
 * Decodes `{"ok":bool,"error":string}` as Go's `json.Decoder` would into that struct: keys match
 * case-insensitively, unknown keys are ignored, a missing `ok` is false, `null` leaves a field
 * alone, and a value of the wrong type is an error (with Go's wording where we can give it).
 */
function decodeSlackResponse(body: string): { ok: boolean; message: string } | { error: string } {
  // A Decoder reading an empty stream says EOF (json.Unmarshal would say something else).
  if (body.trim() === '') return { error: 'EOF' }
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch (error) {
    const first = body.trimStart()[0]!
    if (!/[[{"\-0-9tfn]/.test(first)) {
      return { error: `invalid character '${first}' looking for beginning of value` }
    }
    return { error: (error as Error).message }
  }
  if (value === null) return { ok: false, message: '' }
  if (typeof value !== 'object' || Array.isArray(value)) {
    return {
      error: `json: cannot unmarshal ${jsonKind(value)} into Go value of type ${SLACK_RESPONSE_TYPE}`,
    }
  }
  let ok = false
  let message = ''
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const lower = key.toLowerCase()
    if (lower === 'ok' && field !== null) {
      if (typeof field !== 'boolean') return { error: fieldTypeError(field, 'ok', 'bool') }
      ok = field
    } else if (lower === 'error' && field !== null) {
      if (typeof field !== 'string') return { error: fieldTypeError(field, 'error', 'string') }
      message = field
    }
  }
  return { ok, message }
}

function fieldTypeError(value: unknown, field: string, type: string): string {
  // The struct is anonymous, so Go names the field `.ok`.
  return `json: cannot unmarshal ${jsonKind(value)} into Go struct field .${field} of type ${type}`
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'boolean') return 'bool'
  return typeof value // 'number', 'string', 'object'
}

export const slack: NotifierModule = {
  type: 'slack',
  class: 'notification',
  validate: validateSlack,
  render(notification: Notification) {
    const { event, provider } = notification
    const headers: Record<string, string> = { 'Content-Type': 'application/json' }
    if (provider.token !== '') headers['Authorization'] = `Bearer ${provider.token}`
    return {
      requests: [
        {
          method: 'POST',
          url: provider.address,
          headers,
          body: slackBody(event, provider.channel, provider.username),
          ...viaPostMessage(POST_MESSAGE_FAILED),
          ...(provider.address === SLACK_POST_MESSAGE_URL
            ? { checkResponse: checkSlackApiResponse }
            : {}),
        },
      ],
    }
  },
}
