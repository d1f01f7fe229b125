/**
 * `pagerduty` (reference §5.18, the controller's `pagerduty.go` with go-pagerduty's JSON tags):
 * Events API v2. An error triggers an incident keyed by the object's UID; anything else resolves
 * it, and an `info` event is also recorded as a change event. `Progressing` events are skipped.
 *
 * Length limits (PagerDuty Events API v2 docs, "Send an Alert Event" and "Send a Change Event"):
 * `payload.summary` may hold at most 1024 characters, so a longer summary is cut.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, goMap } from '../util/go-json.js'
import { eventTimeRfc3339 } from './alertmanager.js'
import { formatNameAndDescription } from './git/status-text.js'
import { cutToLength } from './limits.js'
import type { HttpRequestSpec, NotifierModule, Notification } from './types.js'
import { pagerDutyEndpoint, validatePagerDuty } from './validate/notifiers.js'

export { pagerDutyEndpoint }

/** PagerDuty's documented maximum for `payload.summary`, in characters. */
export const PAGERDUTY_SUMMARY_LIMIT = 1024

/** `toPagerDutySeverity`: info and trace are `info`, everything else is `error`. */
export function pagerDutySeverity(severity: string): string {
  return severity === 'info' || severity === 'trace' ? 'info' : 'error'
}

/** `<desc>: <name>`, e.g. `failed: gitrepository/test-app`, cut to PagerDuty's limit. */
function summary(event: FluxEvent): string {
  const { name, description } = formatNameAndDescription(event)
  return cutToLength(`${description}: ${name}`, PAGERDUTY_SUMMARY_LIMIT)
}

/**
 * `custom_details`, a Go `map[string]interface{}` (keys sorted). `metadata` is the event's map as
 * it is: `null` when the event has none, `{}` when it has an empty one.
 */
function customDetails(event: FluxEvent): Map<string, unknown> {
  return new Map<string, unknown>([
    ['message', event.message],
    ['metadata', event.metadata === undefined ? null : goMap(event.metadata)],
  ])
}

/** The `V2Event` body: `trigger` with a payload for errors, a bare `resolve` otherwise. */
export function pagerDutyEventBody(event: FluxEvent, routingKey: string): string {
  const ref = event.involvedObject
  const isError = event.severity === 'error'
  return goJson({
    routing_key: routingKey,
    event_action: isError ? 'trigger' : 'resolve',
    dedup_key: ref.uid || undefined,
    payload: isError
      ? {
          summary: summary(event),
          source: `Flux ${event.reportingController}`,
          severity: pagerDutySeverity(event.severity),
          timestamp: eventTimeRfc3339(event),
          component: ref.name || undefined,
          group: ref.kind || undefined,
          custom_details: customDetails(event),
        }
      : undefined,
  })
}

/** The `ChangeEvent` body (go-pagerduty's field order: summary, source, timestamp, details). */
export function pagerDutyChangeEventBody(event: FluxEvent, routingKey: string): string {
  return goJson({
    routing_key: routingKey,
    payload: {
      summary: summary(event),
      source: `Flux ${event.reportingController}`,
      timestamp: eventTimeRfc3339(event),
      custom_details: customDetails(event),
    },
  })
}

export const pagerduty: NotifierModule = {
  type: 'pagerduty',
  class: 'notification',
  validate: validatePagerDuty,
  render(notification: Notification) {
    const { event, provider } = notification
    // The controller wants outcomes only: success or failure, not progress.
    if (event.reason === 'Progressing') return { skip: 'PagerDuty skips Progressing events' }
    // Commit status updates never reach a notification type; the controller skips them too.
    if (event.metadata?.['commit_status'] === 'update') {
      return { skip: 'PagerDuty skips commit status updates' }
    }
    const endpoint = pagerDutyEndpoint(provider.address)
    // validate() refuses such a provider at load time
    if (typeof endpoint !== 'string') return { skip: validatePagerDuty(provider)! }
    const headers = { 'Content-Type': 'application/json' }
    const requests: HttpRequestSpec[] = [
      {
        method: 'POST',
        url: `${endpoint}/v2/enqueue`,
        headers,
        body: pagerDutyEventBody(event, provider.channel),
        // go-pagerduty's client, not postMessage: no layer between the prefix and the error
        errorPrefix: 'failed sending event: ',
      },
    ]
    // Delivery sends these in order and stops at the first failure, as the controller does.
    if (event.severity === 'info') {
      requests.push({
        method: 'POST',
        url: `${endpoint}/v2/change/enqueue`,
        headers: { ...headers },
        body: pagerDutyChangeEventBody(event, provider.channel),
        errorPrefix: 'failed sending change event: ',
      })
    }
    return { requests }
  },
}
