/**
 * `alertmanager` (reference §5.16, the controller's `alertmanager.go`): one firing alert, POSTed
 * as a one-element JSON array to the address (Alertmanager's `/api/v2/alerts`).
 *
 * Length limits: Alertmanager documents none for label values or annotations (its API and the
 * clients page at prometheus.io/docs/alerting/latest/clients/ give only the label-name grammar), so
 * nothing is cut here.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, goMap } from '../util/go-json.js'
import { POST_MESSAGE_FAILED, viaPostMessage } from './post-json.js'
import type { NotifierModule, Notification } from './types.js'
import { validateAlertmanager } from './validate/notifiers.js'

/** Go's zero `time.Time` formatted with `time.RFC3339`. */
export const GO_ZERO_TIME_RFC3339 = '0001-01-01T00:00:00Z'

/**
 * `event.Timestamp.Format(time.RFC3339)`. The controller formats in its local time zone, which is
 * UTC in the official image (reference §10.4); our timestamps are already normalised to UTC whole
 * seconds. An event without a timestamp carries Go's zero time.
 */
export function eventTimeRfc3339(event: FluxEvent): string {
  return event.timestamp ?? GO_ZERO_TIME_RFC3339
}

// x/text's title caser: a character that ends a word resets it; "mid" characters (`.`, `:`, `'`,
// …; Unicode word-break MidLetter, MidNumLet, Single_Quote) do not, unless two come in a row.
// Letters, marks, digits and connector punctuation (`_`) never end a word.
const CASED = /^[\p{Lu}\p{Ll}\p{Lt}]$/u
const IN_WORD = /^[\p{L}\p{M}\p{Nd}\p{Pc}]$/u
const MID = new Set(["'", '.', ':', '·', '‘', '’', '․', '‧', '﹒', '＇', '．', '︓', '﹕', '：'])

/** The title case of one character: `ß` → `Ss`, as Go's special casing gives it. */
function titleRune(ch: string): string {
  const upper = ch.toUpperCase()
  const first = String.fromCodePoint(upper.codePointAt(0)!)
  return first + upper.slice(first.length).toLowerCase()
}

/**
 * `cases.Title(language.Und).String(s)`: the first cased letter of every word upper-case, every
 * other cased letter LOWER-case, so `HealthCheckFailed` → `Healthcheckfailed`. A word only starts
 * after a cased letter was seen, so `3rd` → `3Rd`, as x/text does. Word-break edge cases beyond
 * ASCII punctuation were not verified against x/text (reference §10.3).
 */
export function goTitle(s: string): string {
  let out = ''
  let midWord = false
  let previousWasMid = false
  for (const ch of s) {
    const isMid = MID.has(ch)
    if (previousWasMid && isMid) midWord = false
    if (CASED.test(ch)) {
      out += midWord ? ch.toLowerCase() : titleRune(ch)
      midWord = true
    } else {
      out += ch
      if (!isMid && !IN_WORD.test(ch)) midWord = false
    }
    previousWasMid = isMid
  }
  return out
}

/** The `[]AlertManagerAlert` body: labels and annotations are Go maps, so their keys are sorted. */
export function alertmanagerBody(event: FluxEvent): string {
  // The controller mutates the event's metadata map; we work on a copy.
  const labels: Record<string, string> = { ...event.metadata }
  const annotations: Record<string, string> = { message: event.message }
  if (Object.hasOwn(labels, 'summary')) {
    annotations['summary'] = labels['summary']!
    delete labels['summary']
  }
  const ref = event.involvedObject
  // Set after the metadata, so these win over metadata keys of the same name.
  Object.assign(labels, {
    alertname: `Flux${ref.kind ?? ''}${goTitle(event.reason)}`,
    severity: event.severity,
    reason: event.reason,
    kind: ref.kind ?? '',
    name: ref.name ?? '',
    namespace: ref.namespace ?? '',
    reportingcontroller: event.reportingController,
  })
  return goJson([
    {
      status: 'firing',
      labels: goMap(labels),
      annotations: goMap(annotations),
      startsAt: eventTimeRfc3339(event),
      // `omitempty` does nothing for a struct, so the zero time always goes out.
      endsAt: GO_ZERO_TIME_RFC3339,
    },
  ])
}

/** `Basic base64(username:password)`, as Go's `SetBasicAuth` builds it. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`
}

export const alertmanager: NotifierModule = {
  type: 'alertmanager',
  class: 'notification',
  validate: validateAlertmanager,
  render(notification: Notification) {
    const { event, provider } = notification
    const headers: Record<string, string> = { 'Content-Type': 'application/json' }
    if (provider.token !== '') headers['Authorization'] = `Bearer ${provider.token}`
    // The controller keeps only the last request modifier: with a username and password set, basic
    // auth replaces the bearer token rather than joining it.
    if (provider.username !== '' && provider.password !== '') {
      headers['Authorization'] = basicAuthorization(provider.username, provider.password)
    }
    return {
      requests: [
        {
          method: 'POST',
          url: provider.address,
          headers,
          body: alertmanagerBody(event),
          ...viaPostMessage(POST_MESSAGE_FAILED),
        },
      ],
    }
  },
}
