/**
 * `incident.io` (reference §5.24, the controller's `incidentio.go`, on `main` after v1.9.3): an
 * alert event posted to an incident.io HTTP alert source. Error events fire the alert, any other
 * severity resolves it; the involved object's UID is the deduplication key that ties the two.
 *
 * Length: incident.io documents no limit for `title`, `description` or `metadata` of an alert
 * event (API reference, "Alert Events V2" → "CreateHTTP"), so nothing is cut.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, goMap } from '../util/go-json.js'
import { objName } from './slack.js'
import { POST_MESSAGE_FAILED, viaPostMessage } from './post-json.js'
import type { NotifierModule, Notification } from './types.js'
import { validateIncidentIo } from './validate/notifiers.js'

/** Flux's `meta.ProgressingReason`: neither a failure nor a recovery, so not sent. */
const PROGRESSING_REASON = 'Progressing'

/**
 * The `IncidentioPayload`: `title`, `status`, `deduplication_key` (always present),
 * `description` (omitted when empty), `metadata`: the event's plus `severity`, `reason` and a
 * non-empty `reportingController`, which win over metadata keys of those names.
 */
export function incidentIoBody(event: FluxEvent): string {
  const metadata: Record<string, string> = { ...(event.metadata ?? {}) }
  metadata['severity'] = event.severity
  metadata['reason'] = event.reason
  if (event.reportingController !== '') {
    metadata['reportingController'] = event.reportingController
  }
  return goJson({
    title: `${objName(event)}: ${event.reason}`,
    status: event.severity === 'error' ? 'firing' : 'resolved',
    deduplication_key: event.involvedObject.uid ?? '',
    description: event.message === '' ? undefined : event.message,
    source_url: undefined, // omitempty, never set
    metadata: goMap(metadata),
  })
}

export const incidentIo: NotifierModule = {
  type: 'incident.io',
  class: 'notification',
  validate: validateIncidentIo,
  render(notification: Notification) {
    const { event, provider } = notification
    if (event.reason === PROGRESSING_REASON) {
      return { skip: 'incident.io gets no Progressing events, only failures and recoveries' }
    }
    return {
      requests: [
        {
          method: 'POST',
          url: provider.address,
          headers: {
            'Content-Type': 'application/json',
            Authorization: `Bearer ${provider.token}`,
          },
          body: incidentIoBody(event),
          ...viaPostMessage(POST_MESSAGE_FAILED),
        },
      ],
    }
  },
}
