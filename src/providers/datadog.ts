/**
 * `datadog` (reference §5.19, the controller's `datadog.go` over datadog-api-client-go's v1 Events
 * API): one event POSTed to `<scheme>://<host>/api/v1/events` with the API key in `DD-API-KEY`.
 * The SDK is not needed for one JSON request; we build the request it would send.
 *
 * Length limits (Datadog API reference, "Post an event", v1): `text` is "limited to 4000
 * characters", so a longer message is cut. The v1 `title` has no documented limit (the 100-character
 * limit belongs to v1's `aggregation_key` and to the v2 Events API; Datadog's own v1 example posts
 * a title over 100 characters), so the title is left whole.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, sortedKeys } from '../util/go-json.js'
import { eventUnixSeconds } from './grafana.js'
import { cutToLength } from './limits.js'
import type { NotifierModule, Notification } from './types.js'
import { datadogEventsUrl, validateDatadog } from './validate/notifiers.js'

export { datadogEventsUrl }

/** Datadog's documented maximum for an event's `text`, in characters. */
export const DATADOG_TEXT_LIMIT = 4000

/** The tags: the object's and controller's first, then one per metadata entry, all lower-cased. */
export function datadogTags(event: FluxEvent): string[] {
  const ref = event.involvedObject
  const tags = [
    `flux_reporting_controller:${event.reportingController}`,
    `flux_reason:${event.reason}`,
    `kube_kind:${ref.kind ?? ''}`,
    `kube_name:${ref.name ?? ''}`,
    `kube_namespace:${ref.namespace ?? ''}`,
  ]
  const metadata = event.metadata ?? {}
  // Upstream ranges over the metadata map (random order). The body sorts nothing inside `tags`,
  // so we sort the metadata tags by key to be deterministic.
  for (const key of sortedKeys(Object.keys(metadata))) tags.push(`${key}:${metadata[key]}`)
  // Datadog lower-cases tags itself; the controller does it first to keep events consistent.
  return tags.map((tag) => tag.toLowerCase())
}

/**
 * The `EventCreateRequest` body. The SDK marshals it through a map, so the keys come out sorted;
 * unset optional fields are left out.
 */
export function datadogBody(event: FluxEvent): string {
  const ref = event.involvedObject
  return goJson(
    new Map<string, unknown>([
      ['alert_type', event.severity === 'error' ? 'error' : 'info'],
      ['date_happened', eventUnixSeconds(event)],
      ['source_type_name', 'fluxcd'],
      ['tags', datadogTags(event)],
      ['text', cutToLength(event.message, DATADOG_TEXT_LIMIT)],
      // the same wording as Datadog's own Kubernetes integration
      ['title', `Events from the ${ref.kind ?? ''} ${ref.name ?? ''}/${ref.namespace ?? ''}`],
    ]),
  )
}

export const datadog: NotifierModule = {
  type: 'datadog',
  class: 'notification',
  validate: validateDatadog,
  render(notification: Notification) {
    const { event, provider } = notification
    const url = datadogEventsUrl(provider.address)
    // validate() refuses such a provider at load time
    const problem = validateDatadog(provider)
    if (problem !== undefined || typeof url !== 'string') return { skip: problem ?? '' }
    return {
      requests: [
        {
          method: 'POST',
          url,
          headers: {
            'Content-Type': 'application/json',
            Accept: 'application/json',
            'DD-API-KEY': provider.token,
          },
          body: datadogBody(event),
          // the Datadog API client, not postMessage: no layer between the prefix and the error
          errorPrefix: 'failed to post event to DataDog: ',
        },
      ],
    }
  },
}
