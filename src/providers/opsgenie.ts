/**
 * `opsgenie` (reference §5.15, the controller's `opsgenie.go` on `main` after v1.9.3): an alert
 * created through Opsgenie's Alert API. The `alias` groups repeated events of one object and
 * reason into one alert.
 */
import { createHash } from 'node:crypto'
import type { FluxEvent } from '../events/model.js'
import { goJson, goMap } from '../util/go-json.js'
import { codePointLength, cutToFit, cutToLength } from './limits.js'
import { POST_MESSAGE_FAILED, viaPostMessage } from './post-json.js'
import type { NotifierModule, Notification } from './types.js'
import { validateOpsgenie } from './validate/notifiers.js'

/**
 * Opsgenie's Alert API limits (Opsgenie docs, "Alert API" → "Create alert"): `message` at most
 * 130 characters, `description` 15,000, `details` 8,000 characters in total (keys and values).
 */
export const OPSGENIE_MESSAGE_LIMIT = 130
export const OPSGENIE_DESCRIPTION_LIMIT = 15_000
export const OPSGENIE_DETAILS_LIMIT = 8_000

/**
 * Hex SHA-256 of `<providerUID>/<Kind>/<namespace>/<name>/<reason>`: one alert per object and
 * reason per provider. Our provider UID is `metadata.uid` when the manifest has one, else a
 * stable id (design §3), so aliases match an in-cluster controller's only with `metadata.uid` set.
 */
export function opsgenieAlias(providerUid: string, event: FluxEvent): string {
  const ref = event.involvedObject
  const key = `${providerUid}/${ref.kind ?? ''}/${ref.namespace ?? ''}/${ref.name ?? ''}/${event.reason}`
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/**
 * `details`: the metadata plus `severity` (which wins over a metadata key of that name, as the
 * controller writes it last). Over the total limit, the longest values are cut.
 */
function details(event: FluxEvent): Map<string, string> {
  const entries: Record<string, string> = { ...(event.metadata ?? {}) }
  entries['severity'] = event.severity
  const keys = Object.keys(entries)
  const keyLength = keys.reduce((sum, key) => sum + codePointLength(key), 0)
  const values = cutToFit(
    keys.map((key) => entries[key]!),
    (texts) =>
      keyLength + texts.reduce((sum, text) => sum + codePointLength(text), 0) <=
      OPSGENIE_DETAILS_LIMIT,
  )
  return goMap(Object.fromEntries(keys.map((key, i) => [key, values[i]!])))
}

/** The `OpsgenieAlert` body: `message`, `alias`, `description`, `details` (a sorted map). */
export function opsgenieBody(providerUid: string, event: FluxEvent): string {
  const ref = event.involvedObject
  return goJson({
    message: cutToLength(`${ref.kind ?? ''}/${ref.name ?? ''}`, OPSGENIE_MESSAGE_LIMIT),
    alias: opsgenieAlias(providerUid, event),
    description: cutToLength(event.message, OPSGENIE_DESCRIPTION_LIMIT),
    details: details(event),
  })
}

export const opsgenie: NotifierModule = {
  type: 'opsgenie',
  class: 'notification',
  validate: validateOpsgenie,
  render(notification: Notification) {
    const { event, provider } = notification
    return {
      requests: [
        {
          method: 'POST',
          url: provider.address,
          headers: {
            'Content-Type': 'application/json',
            Authorization: `GenieKey ${provider.token}`,
          },
          body: opsgenieBody(provider.uid, event),
          ...viaPostMessage(POST_MESSAGE_FAILED),
        },
      ],
    }
  },
}
