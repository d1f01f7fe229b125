/**
 * `matrix` (reference §5.14, the controller's `matrix.go`): an `m.room.message` sent with the
 * client-server API's PUT `/send/{eventType}/{txnId}`. The transaction id is the hex SHA-1 of the
 * event's JSON, so sending the same event twice gives the same id and the homeserver keeps one.
 */
import { createHash } from 'node:crypto'
import type { FluxEvent } from '../events/model.js'
import { goJson, sortedKeys } from '../util/go-json.js'
import { eventJson } from './event-json.js'
import { cutToFit, utf8Length } from './limits.js'
import { objName } from './slack.js'
import { POST_MESSAGE_FAILED, viaPostMessage } from './post-json.js'
import type { NotifierModule, Notification } from './types.js'
import { validateMatrix } from './validate/notifiers.js'

/**
 * The Matrix spec caps a whole event at 65,536 bytes in its federation form, signatures, hashes
 * and room/sender ids included (spec, "Room Events" → "Size limits"). The content we send gets
 * 60,000 of them, leaving the rest to what the homeserver wraps around it.
 */
export const MATRIX_BODY_LIMIT_BYTES = 60_000

/** Hex SHA-1 of the event as the controller marshals it (§1.1), before anything is cut. */
export function matrixTxnId(event: FluxEvent): string {
  return createHash('sha1').update(eventJson(event), 'utf8').digest('hex')
}

/**
 * Plain concatenation, as upstream: the room id is not escaped and an address with a trailing
 * slash gives `//_matrix`.
 */
export function matrixUrl(address: string, room: string, txnId: string): string {
  return `${address}/_matrix/client/r0/rooms/${room}/send/m.room.message/${txnId}`
}

/**
 * `{"body":"<emoji> <objName>\n<message>\n- k: v\n…","msgtype":"m.text"}`, metadata in key order
 * (upstream ranges over a Go map). Over the size limit, the message and the longest metadata
 * values are cut.
 */
export function matrixBody(event: FluxEvent): string {
  const emoji = event.severity === 'error' ? '🚨' : '💫'
  const metadata = event.metadata ?? {}
  const keys = sortedKeys(Object.keys(metadata))
  const build = ([message, ...values]: string[]) => {
    let body = `${emoji} ${objName(event)}\n${message!}\n`
    keys.forEach((key, i) => {
      body += `- ${key}: ${values[i]!}\n`
    })
    return goJson({ body, msgtype: 'm.text' })
  }
  const texts = cutToFit(
    [event.message, ...keys.map((key) => metadata[key]!)],
    (candidate) => utf8Length(build(candidate)) <= MATRIX_BODY_LIMIT_BYTES,
  )
  return build(texts)
}

export const matrix: NotifierModule = {
  type: 'matrix',
  class: 'notification',
  validate: validateMatrix,
  render(notification: Notification) {
    const { event, provider } = notification
    return {
      requests: [
        {
          method: 'PUT',
          url: matrixUrl(provider.address, provider.channel, matrixTxnId(event)),
          headers: {
            'Content-Type': 'application/json',
            // set even when the token is empty: the controller adds it unconditionally
            Authorization: `Bearer ${provider.token}`,
          },
          body: matrixBody(event),
          ...viaPostMessage(POST_MESSAGE_FAILED),
        },
      ],
    }
  },
}
