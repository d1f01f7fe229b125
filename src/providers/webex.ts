/**
 * `webex` (reference §5.9, the controller's `webex.go`): a markdown message posted to the Webex
 * messages API (`https://webexapis.com/v1/messages`) as a bot, into the room named by `channel`.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, sortedKeys } from '../util/go-json.js'
import { cutToFit, utf8Length } from './limits.js'
import { objName } from './slack.js'
import { POST_MESSAGE_FAILED, viaPostMessage } from './post-json.js'
import type { NotifierModule, Notification } from './types.js'
import { validateWebex } from './validate/notifiers.js'

/**
 * Webex: "markdown … The maximum message length is 7439 bytes" (Webex developer docs, Messages →
 * Create a Message). Over it the API answers 400.
 */
export const WEBEX_MAX_MARKDOWN_BYTES = 7439

function markdown(event: FluxEvent, message: string, keys: string[], values: string[]): string {
  const emoji = event.severity === 'error' ? '💣' : '✅'
  let text = `${emoji} **${objName(event)}**\n${message}\n`
  keys.forEach((key, i) => (text += `>**${key}**: ${values[i]!}\n`))
  return text
}

/**
 * The message as upstream's `CreateMarkdown` writes it, metadata lines sorted by key (upstream:
 * map order); the message and values are cut only when the markdown is over Webex's limit.
 */
export function webexMarkdown(event: FluxEvent): string {
  const metadata = event.metadata ?? {}
  const keys = sortedKeys(Object.keys(metadata))
  const [message = '', ...values] = cutToFit(
    [event.message, ...keys.map((key) => metadata[key]!)],
    (texts) =>
      utf8Length(markdown(event, texts[0]!, keys, texts.slice(1))) <= WEBEX_MAX_MARKDOWN_BYTES,
  )
  return markdown(event, message, keys, values)
}

export const webex: NotifierModule = {
  type: 'webex',
  class: 'notification',
  validate: validateWebex,
  render(notification: Notification) {
    const { event, provider } = notification
    // `roomId` and `markdown` are both omitempty upstream
    const body = goJson({
      roomId: provider.channel || undefined,
      markdown: webexMarkdown(event) || undefined,
    })
    return {
      requests: [
        {
          method: 'POST',
          url: provider.address,
          headers: {
            'Content-Type': 'application/json',
            // Always sent, even with an empty token, as upstream does.
            Authorization: `Bearer ${provider.token}`,
          },
          body,
          ...viaPostMessage(POST_MESSAGE_FAILED),
        },
      ],
    }
  },
}
