/**
 * `rocket` (reference §5.5, the controller's `rocket.go`): the Slack payload posted to a
 * Rocket.Chat incoming webhook, with the channel and username exactly as configured (no default)
 * and Rocket.Chat's blue/red colours.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, sortedKeys } from '../util/go-json.js'
import { codePointLength, cutToFit } from './limits.js'
import { objName } from './slack.js'
import type { NotifierModule, Notification } from './types.js'
import { POST_MESSAGE_FAILED, postJson } from './post-json.js'
import { validateRocket } from './validate/notifiers.js'

/**
 * Rocket.Chat's `Message_MaxAllowedSize` setting, 5,000 characters by default (Administration →
 * Settings → Message → "Maximum Allowed Characters Per Message"; Rocket.Chat docs, "Message
 * settings"). A server may raise it; we keep the text plus the field values within the default so
 * a stock server shows the whole card.
 */
export const ROCKET_MAX_MESSAGE_CHARS = 5000

/** The `SlackPayload` Rocket.Chat gets; only an oversized message or metadata is ever cut. */
export function rocketBody(event: FluxEvent, channel: string, username: string): string {
  const metadata = event.metadata ?? {}
  // Upstream ranges over the metadata map (random order); we sort by key to be deterministic.
  const keys = sortedKeys(Object.keys(metadata))
  const [text = '', ...values] = cutToFit(
    [event.message, ...keys.map((key) => metadata[key]!)],
    (texts) => sum(texts.map(codePointLength)) <= ROCKET_MAX_MESSAGE_CHARS,
  )
  const payload = {
    channel,
    username,
    icon_url: '',
    icon_emoji: '',
    text: undefined, // omitempty, and never set
    attachments: [
      {
        fallback: '',
        color: event.severity === 'error' ? '#FF0000' : '#0076D7',
        author_name: objName(event),
        text,
        mrkdwn_in: ['text'],
        fields: keys.map((key, i) => ({ title: key, value: values[i]!, short: false })),
      },
    ],
  }
  return goJson(payload)
}

function sum(numbers: number[]): number {
  return numbers.reduce((a, b) => a + b, 0)
}

export const rocket: NotifierModule = {
  type: 'rocket',
  class: 'notification',
  validate: validateRocket,
  render(notification: Notification) {
    const { event, provider } = notification
    return postJson(
      provider.address,
      rocketBody(event, provider.channel, provider.username),
      {},
      POST_MESSAGE_FAILED,
    )
  },
}
