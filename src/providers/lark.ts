/**
 * `lark` (reference §5.13, the controller's `lark.go`): an interactive card posted to a Lark
 * (Feishu) custom bot webhook. No auth header: the webhook URL is the credential.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, sortedKeys } from '../util/go-json.js'
import { cutToFit, utf8Length } from './limits.js'
import { objName } from './slack.js'
import type { NotifierModule, Notification } from './types.js'
import { postJson } from './post-json.js'
import { validateLark } from './validate/notifiers.js'

/**
 * Lark's custom bot refuses a request body over 20 KB (Lark Open Platform, "Custom bot usage
 * guide", limits: "the request body size cannot exceed 20 KB").
 */
export const LARK_BODY_LIMIT_BYTES = 20 * 1024

/** The `LarkPayload` for a message and metadata values already cut to size. */
function larkPayload(
  event: FluxEvent,
  message: string,
  metadata: readonly (readonly [string, string])[],
): string {
  const error = event.severity === 'error'
  let content = `**${message}**\n\n`
  for (const [key, value] of metadata) content += `${key}: ${value}\n`
  return goJson({
    msg_type: 'interactive',
    card: {
      config: { wide_screen_mode: true },
      header: {
        title: { tag: 'plain_text', content: `${error ? '🚨' : '💫'} ${objName(event)}` },
        template: error ? 'red' : 'turquoise',
      },
      elements: [{ tag: 'div', text: { tag: 'lark_md', content } }],
    },
  })
}

/**
 * The body: metadata lines in key order (upstream ranges over a Go map). Over Lark's size limit,
 * the message and the longest metadata values are cut.
 */
export function larkBody(event: FluxEvent): string {
  const metadata = event.metadata ?? {}
  const keys = sortedKeys(Object.keys(metadata))
  const build = ([message, ...values]: string[]) =>
    larkPayload(
      event,
      message!,
      keys.map((key, i) => [key, values[i]!] as const),
    )
  const texts = cutToFit(
    [event.message, ...keys.map((key) => metadata[key]!)],
    (candidate) => utf8Length(build(candidate)) <= LARK_BODY_LIMIT_BYTES,
  )
  return build(texts)
}

export const lark: NotifierModule = {
  type: 'lark',
  class: 'notification',
  validate: validateLark,
  render(notification: Notification) {
    const { event, provider } = notification
    return postJson(provider.address, larkBody(event))
  },
}
