/**
 * `grafana` (reference §5.17, the controller's `grafana.go`): a Graphite-format annotation POSTed
 * to the address (Grafana's `/api/annotations/graphite`). The event message is not sent.
 *
 * Length limits: Grafana documents none for an annotation's text or tags (HTTP API, "Annotations"),
 * and the text is only the object's name, so nothing is cut here.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, sortedKeys } from '../util/go-json.js'
import { basicAuthorization } from './alertmanager.js'
import { objName } from './slack.js'
import { POST_MESSAGE_FAILED, viaPostMessage } from './post-json.js'
import type { NotifierModule, Notification } from './types.js'
import { validateGrafana } from './validate/notifiers.js'

/** Go's zero `time.Time` as `Unix()` seconds. */
const GO_ZERO_TIME_UNIX = -62135596800

/**
 * `event.Timestamp.Unix()`: whole seconds since the epoch (the controller's comment says
 * milliseconds; the code sends seconds). An event without a timestamp carries Go's zero time.
 */
export function eventUnixSeconds(event: FluxEvent): number {
  if (event.timestamp === null) return GO_ZERO_TIME_UNIX
  return Math.floor(Date.parse(event.timestamp) / 1000)
}

/** `:` separates a Graphite tag's key from its value, so the controller turns it into `|`. */
function tagPart(s: string): string {
  return s.replaceAll(':', '|')
}

export function grafanaBody(event: FluxEvent): string {
  const ref = event.involvedObject
  const metadata = event.metadata ?? {}
  const tags = ['flux', event.reportingController]
  // Upstream ranges over the metadata map (random order); we sort by key to be deterministic.
  for (const key of sortedKeys(Object.keys(metadata))) {
    tags.push(`${tagPart(key)}: ${tagPart(metadata[key]!)}`)
  }
  tags.push(
    `kind: ${ref.kind ?? ''}`,
    `name: ${ref.name ?? ''}`,
    `namespace: ${ref.namespace ?? ''}`,
  )
  // GraphitePayload {when, text, tags}; `tags` is omitempty but never empty.
  return goJson({ when: eventUnixSeconds(event), text: objName(event), tags })
}

export const grafana: NotifierModule = {
  type: 'grafana',
  class: 'notification',
  validate: validateGrafana,
  render(notification: Notification) {
    const { event, provider } = notification
    const headers: Record<string, string> = { 'Content-Type': 'application/json' }
    // A token wins; basic auth only when there is no token and both username and password are set.
    if (provider.token !== '') {
      headers['Authorization'] = `Bearer ${provider.token}`
    } else if (provider.username !== '' && provider.password !== '') {
      headers['Authorization'] = basicAuthorization(provider.username, provider.password)
    }
    return {
      requests: [
        {
          method: 'POST',
          url: provider.address,
          headers,
          body: grafanaBody(event),
          ...viaPostMessage(POST_MESSAGE_FAILED),
        },
      ],
    }
  },
}
