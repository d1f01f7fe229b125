/**
 * `googlechat` (reference §5.7, the controller's `google_chat.go`): a legacy card message posted
 * to a Google Chat incoming webhook; the message in one section, the metadata as key/value
 * widgets in a second one.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, sortedKeys } from '../util/go-json.js'
import { cutToFit, utf8Length } from './limits.js'
import { objName } from './slack.js'
import type { NotifierModule, Notification } from './types.js'
import { POST_MESSAGE_FAILED, postJson } from './post-json.js'
import { validateGoogleChat } from './validate/notifiers.js'

/**
 * Google Chat: "The maximum message size, including text and cards, is 32,000 bytes" (Google
 * Chat API reference, `spaces.messages`, and "Send a message"). Google measures its own form of
 * the message; our JSON, with its keys and escapes, is never smaller, so we keep it under that.
 */
export const GOOGLE_CHAT_MAX_BODY_BYTES = 32_000

function render(event: FluxEvent, message: string, keys: string[], values: string[]): string {
  const text = event.severity === 'error' ? `<font color="#ff0000">${message}</font>` : message
  const sections: unknown[] = [
    { header: '', widgets: [{ textParagraph: { text }, keyValue: null }] },
  ]
  if (keys.length > 0) {
    sections.push({
      header: '',
      widgets: keys.map((key, i) => ({
        textParagraph: null,
        keyValue: {
          topLabel: key,
          content: values[i]!,
          contentMultiline: false,
          bottomLabel: null,
          icon: null,
        },
      })),
    })
  }
  return goJson({
    cards: [
      {
        header: {
          title: objName(event),
          subtitle: event.reportingController,
          imageUrl: null,
          imageStyle: null,
        },
        sections,
      },
    ],
  })
}

/** The card; widgets sorted by key (upstream: map order); cut only when over Google's limit. */
export function googleChatBody(event: FluxEvent): string {
  const metadata = event.metadata ?? {}
  const keys = sortedKeys(Object.keys(metadata))
  const [message = '', ...values] = cutToFit(
    [event.message, ...keys.map((key) => metadata[key]!)],
    (texts) =>
      utf8Length(render(event, texts[0]!, keys, texts.slice(1))) <= GOOGLE_CHAT_MAX_BODY_BYTES,
  )
  return render(event, message, keys, values)
}

export const googleChat: NotifierModule = {
  type: 'googlechat',
  class: 'notification',
  validate: validateGoogleChat,
  render(notification: Notification) {
    const { event, provider } = notification
    return postJson(provider.address, googleChatBody(event), {}, POST_MESSAGE_FAILED)
  },
}
