/**
 * The constructor checks of the notification and forwarder types (the errors the controller's
 * `New<Type>` functions return), kept apart from the renderers: every run validates every
 * Provider before it reads any event, and start-up time (design.md §5) counts each module a run
 * loads. This module needs only the Go URL parser; each provider module uses the same function as
 * its `validate`.
 *
 * Types whose checks need the module's own machinery (Sentry's DSN, OTLP endpoints, Event Hubs
 * connection strings) are not here: validating them loads their module (see the registry).
 */
import { goQuote } from '../../util/go-strings.js'
import { parseGoUrl, parseRequestUri } from '../../util/go-url.js'
import type { ResolvedProvider } from '../types.js'

/** A type's constructor checks: the controller's error, or undefined when the Provider is valid. */
export type ProviderCheck = (provider: ResolvedProvider) => string | undefined

export function validateSlack(provider: ResolvedProvider): string | undefined {
  const parsed = parseRequestUri(provider.address)
  if ('error' in parsed) return `invalid Slack hook URL ${provider.address}: '${parsed.error}'`
  return undefined
}

export function validateDiscord(provider: ResolvedProvider): string | undefined {
  const parsed = parseRequestUri(provider.address)
  if ('error' in parsed) return `invalid Discord hook URL ${provider.address}: '${parsed.error}'`
  return undefined
}

export function validateMsTeams(provider: ResolvedProvider): string | undefined {
  const parsed = parseRequestUri(provider.address)
  if ('error' in parsed)
    return `invalid MS Teams webhook URL ${provider.address}: '${parsed.error}'`
  return undefined
}

export function validateRocket(provider: ResolvedProvider): string | undefined {
  const parsed = parseRequestUri(provider.address)
  if ('error' in parsed) return `invalid Rocket hook URL ${provider.address}: '${parsed.error}'`
  return undefined
}

/** `generic` and `generic-hmac` (the controller's `NewForwarder`). */
export function validateForwarder(provider: ResolvedProvider, hmac: boolean): string | undefined {
  const parsed = parseRequestUri(provider.address)
  if ('error' in parsed) return `invalid hook URL ${provider.address}: ${parsed.error}`
  if (hmac && provider.token === '') return 'HMAC key is empty'
  return undefined
}

export function validateGeneric(provider: ResolvedProvider): string | undefined {
  return validateForwarder(provider, false)
}

export function validateGenericHmac(provider: ResolvedProvider): string | undefined {
  return validateForwarder(provider, true)
}

export function validateGoogleChat(provider: ResolvedProvider): string | undefined {
  // The controller drops the parser's reason from this one message.
  if ('error' in parseRequestUri(provider.address)) {
    return `invalid Google Chat hook URL ${provider.address}`
  }
  return undefined
}

export function validateGooglePubSub(provider: ResolvedProvider): string | undefined {
  if (provider.address === '') return 'GCP project ID cannot be empty'
  if (provider.channel === '') return 'GCP Pub/Sub topic ID cannot be empty'
  return undefined
}

export function validateWebex(provider: ResolvedProvider): string | undefined {
  const parsed = parseRequestUri(provider.address)
  if ('error' in parsed) return `invalid Webex hook URL ${provider.address}: '${parsed.error}'`
  return undefined
}

export function validateTelegram(provider: ResolvedProvider): string | undefined {
  if (provider.channel === '') return 'empty Telegram channel'
  if (provider.token === '') return 'empty Telegram token'
  return undefined
}

export function validateLark(provider: ResolvedProvider): string | undefined {
  // (sic) the controller names Slack here, and quotes no parse error
  if ('error' in parseRequestUri(provider.address)) {
    return `invalid Slack hook URL ${provider.address}`
  }
  return undefined
}

export function validateMatrix(provider: ResolvedProvider): string | undefined {
  const parsed = parseRequestUri(provider.address)
  if ('error' in parsed) {
    return `invalid Matrix homeserver URL ${provider.address}: '${parsed.error}'`
  }
  return undefined
}

export function validateOpsgenie(provider: ResolvedProvider): string | undefined {
  const parsed = parseRequestUri(provider.address)
  if ('error' in parsed) return `invalid Opsgenie hook URL ${provider.address}: '${parsed.error}'`
  if (provider.token === '') return 'empty Opsgenie apikey/token'
  return undefined
}

export function validateAlertmanager(provider: ResolvedProvider): string | undefined {
  const parsed = parseRequestUri(provider.address)
  if ('error' in parsed) return `invalid Alertmanager URL ${provider.address}: '${parsed.error}'`
  return undefined
}

export function validateGrafana(provider: ResolvedProvider): string | undefined {
  // The controller drops the parse error from this message.
  if ('error' in parseRequestUri(provider.address)) return `invalid Grafana URL ${provider.address}`
  return undefined
}

/** `scheme://host` of the address: the controller drops any path (`/v2/enqueue` included). */
export function pagerDutyEndpoint(address: string): string | { error: string } {
  const parsed = parseRequestUri(address)
  if ('error' in parsed) return { error: parsed.error }
  return `${parsed.url.scheme}://${parsed.url.host}`
}

export function validatePagerDuty(provider: ResolvedProvider): string | undefined {
  const endpoint = pagerDutyEndpoint(provider.address)
  if (typeof endpoint !== 'string') {
    return `invalid PagerDuty endpoint URL ${goQuote(provider.address)}: '${endpoint.error}'`
  }
  return undefined
}

/** The SDK's default server, used for whatever the address leaves empty (scheme, host). */
const DATADOG_DEFAULT_SCHEME = 'https'
const DATADOG_DEFAULT_HOST = 'api.datadoghq.com'

/**
 * The events URL: the SDK replaces its default server's scheme and host by the address's, when
 * they are non-empty, and ignores the address's path. An empty address therefore posts to
 * `https://api.datadoghq.com`, as in the controller.
 */
export function datadogEventsUrl(address: string): string | { error: string } {
  const parsed = parseGoUrl(address)
  if ('error' in parsed) return { error: parsed.error }
  const scheme = parsed.url.scheme || DATADOG_DEFAULT_SCHEME
  const host = parsed.url.host || DATADOG_DEFAULT_HOST
  return `${scheme}://${host}/api/v1/events`
}

export function validateDatadog(provider: ResolvedProvider): string | undefined {
  if (provider.token === '') return 'token cannot be empty'
  const url = datadogEventsUrl(provider.address)
  if (typeof url !== 'string') {
    return `failed to parse address ${goQuote(provider.address)}: ${url.error}`
  }
  return undefined
}

export function validateNats(provider: ResolvedProvider): string | undefined {
  if (provider.address === '') return 'NATS server (address) cannot be empty'
  if (provider.channel === '') return 'NATS subject (channel) cannot be empty'
  return undefined
}

const ZULIP_MESSAGES_PATH = '/api/v1/messages'

/**
 * The address with its path replaced by `/api/v1/messages`, as `u.Path = …; u.String()` gives it:
 * the scheme (lower-cased), user-info, host, query and fragment stay; any context path is lost.
 */
export function zulipMessagesUrl(address: string): string | { error: string } {
  const parsed = parseGoUrl(address)
  if ('error' in parsed) return { error: parsed.error }
  const hash = address.indexOf('#')
  const fragment = hash < 0 ? '' : address.slice(hash + 1)
  let rest = hash < 0 ? address : address.slice(0, hash)
  const question = rest.indexOf('?')
  // `x?` keeps its `?` (Go's ForceQuery), `x?q` its query.
  const query = question < 0 ? '' : rest.slice(question)
  if (question >= 0) rest = rest.slice(0, question)

  const { scheme } = parsed.url
  let prefix = ''
  if (scheme !== '') {
    rest = rest.slice(scheme.length + 1)
    // `mailto:x`-like (opaque) URLs have no path to replace; Go prints them as they were.
    if (!rest.startsWith('/')) return `${scheme}:${rest}${query}${fragment ? `#${fragment}` : ''}`
    prefix = `${scheme}:`
  }
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2)
    prefix += slash < 0 ? rest : rest.slice(0, slash)
  }
  return `${prefix}${ZULIP_MESSAGES_PATH}${query}${fragment ? `#${fragment}` : ''}`
}

/** `<stream>/<topic>`, split at the first `/`; both parts must be non-empty. */
export function zulipStreamAndTopic(
  channel: string,
): { stream: string; topic: string } | undefined {
  const slash = channel.indexOf('/')
  if (slash <= 0 || slash === channel.length - 1) return undefined
  return { stream: channel.slice(0, slash), topic: channel.slice(slash + 1) }
}

export function validateZulip(provider: ResolvedProvider): string | undefined {
  const url = zulipMessagesUrl(provider.address)
  if (typeof url !== 'string') return `invalid Zulip endpoint URL: ${url.error}`
  if (zulipStreamAndTopic(provider.channel) === undefined) {
    return `invalid Zulip channel format, expected <channel>/<topic>, got '${provider.channel}'`
  }
  return undefined
}

export function validateZoom(provider: ResolvedProvider): string | undefined {
  const parsed = parseRequestUri(provider.address)
  if ('error' in parsed) {
    return `invalid Zoom incoming webhook URL ${provider.address}: '${parsed.error}'`
  }
  if (provider.token === '') return 'empty Zoom verification token'
  return undefined
}

export function validateIncidentIo(provider: ResolvedProvider): string | undefined {
  const parsed = parseRequestUri(provider.address)
  if ('error' in parsed) {
    return `invalid incident.io alert source URL ${provider.address}: '${parsed.error}'`
  }
  if (provider.token === '') return 'empty incident.io API token'
  return undefined
}
