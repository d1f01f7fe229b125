/**
 * `azureeventhub` (reference §5.11, the controller's `azure_eventhub.go` over azeventhubs v2):
 * the event JSON as one event on an Azure Event Hub.
 *
 * The controller speaks AMQP through Azure's SDK. One event needs no AMQP session: Event Hubs'
 * documented REST "Send event" (`POST https://<namespace>/<hub>/messages`, Microsoft Learn, "Event
 * Hubs REST: Send event" and "Common parameters and headers") carries the same body, and the
 * consumer receives the same bytes. The two ways the controller authenticates map onto it:
 *
 * - **SAS**: the address is a connection string (it contains `SharedAccessKey`) with `Endpoint`,
 *   `SharedAccessKeyName`, `SharedAccessKey` and `EntityPath`. We sign a `SharedAccessSignature`
 *   token with HMAC-SHA256 (Microsoft Learn, "Generate a Shared Access Signature token"), or use the
 *   connection string's ready-made `SharedAccessSignature`.
 * - **Name**: the address is the event hub's name, the channel its namespace (the Azure public
 *   cloud's `.servicebus.windows.net` appended unless the name holds `.servicebus.`, the suffix per
 *   `AZURE_AUTHORITY_HOST` as the controller picks it). The secret's `token` is a static JWT sent
 *   as `Authorization: Bearer`. The controller's other option, a managed/workload identity, needs
 *   the cluster: we refuse such a provider clearly instead.
 *
 * Deviations, so that mirrors, proxies and tests can reach the hub:
 * - a connection string with `UseDevelopmentEmulator=true` (the SDK's own local-emulator switch)
 *   sends over plain HTTP to its `Endpoint`; as in the SDK, only a loopback endpoint may do so
 *   (we accept `127.0.0.1` and `[::1]` besides the SDK's `localhost`);
 * - in name mode, a channel that is an `http://` or `https://` URL is used as the base URL as is.
 *
 * Size limit (Microsoft Learn, "Azure Event Hubs quotas and limits"): an event may be at most
 * 256 KB on the Basic tier (1 MB on the others). A body over 256 KB has its `message` cut to fit;
 * messages are capped at 39,000 characters by Flux, so only huge metadata could get there.
 */
import { createHmac } from 'node:crypto'
import type { FluxEvent } from '../events/model.js'
import { parseGoUrl } from '../util/go-url.js'
import { goQuote } from '../util/go-strings.js'
import { eventJson } from './event-json.js'
import { cutToFit, utf8Length } from './limits.js'
import type { HttpRequestSpec, NotifierModule, Notification, ResolvedProvider } from './types.js'

/** The smallest tier's event size limit (Basic: 256 KB), in bytes. */
export const EVENT_HUB_MAX_EVENT_BYTES = 256 * 1024

/** How long a SAS token we sign stays valid; one send needs seconds, the SDK's tokens an hour. */
export const SAS_TOKEN_LIFETIME_SECONDS = 60 * 60

/** Query parameters of the documented REST call. */
const REST_QUERY = 'timeout=60&api-version=2014-01'

/** Content type the REST API documents for sends. */
const REST_CONTENT_TYPE = 'application/atom+xml;type=entry;charset=utf-8'

/** The parts of a connection string azeventhubs reads (`ParseConnectionString`). */
export interface ConnectionString {
  endpoint: string
  /** host[:port] of the endpoint */
  namespace: string
  keyName?: string
  key?: string
  entityPath?: string
  signature?: string
  emulator: boolean
}

/** The controller's test for SAS mode: the address mentions `SharedAccessKey`. */
export function isSasAddress(address: string): boolean {
  return address.includes('SharedAccessKey')
}

/** Go's `strconv.ParseBool`. */
function parseGoBool(value: string): boolean | { error: string } {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false
  return { error: `strconv.ParseBool: parsing ${goQuote(value)}: invalid syntax` }
}

/**
 * A connection string read as azeventhubs reads it, with its error texts: `;`-separated
 * `key=value` pairs, keys case-insensitive, unknown keys ignored; the event hub comes from
 * `EntityPath` (the controller passes no separate name).
 */
export function parseConnectionString(raw: string): ConnectionString | { error: string } {
  const parsed: ConnectionString = { endpoint: '', namespace: '', emulator: false }
  for (const part of raw.split(';')) {
    if (part === '') continue
    const equals = part.indexOf('=')
    if (equals < 0) {
      return {
        error: "failed parsing connection string due to unmatched key value separated by '='",
      }
    }
    const key = part.slice(0, equals).toLowerCase()
    const value = part.slice(equals + 1)
    if (key === 'endpoint') {
      const url = parseGoUrl(value)
      if ('error' in url) {
        return {
          error: 'failed parsing connection string due to an incorrectly formatted Endpoint value',
        }
      }
      parsed.endpoint = value
      parsed.namespace = url.url.host
    } else if (key === 'sharedaccesskeyname') parsed.keyName = value
    else if (key === 'sharedaccesskey') parsed.key = value
    else if (key === 'entitypath') parsed.entityPath = value
    else if (key === 'sharedaccesssignature') parsed.signature = value
    else if (key === 'usedevelopmentemulator') {
      const flag = parseGoBool(value)
      if (typeof flag !== 'boolean') return flag
      parsed.emulator = flag
    }
  }
  if (parsed.emulator && !isLoopbackEndpoint(parsed.endpoint)) {
    return {
      error: `UseDevelopmentEmulator=true can only be used with sb://localhost or sb://localhost:<port number>, not ${parsed.endpoint}`,
    }
  }
  if (parsed.namespace === '') return { error: 'key "Endpoint" must not be empty' }
  if (parsed.signature === undefined && parsed.keyName === undefined) {
    return { error: 'key "SharedAccessKeyName" must not be empty' }
  }
  if (parsed.key === undefined && parsed.signature === undefined) {
    return { error: 'key "SharedAccessKey" or "SharedAccessSignature" cannot both be empty' }
  }
  if (parsed.entityPath === undefined) {
    return {
      error: 'connection string does not contain an EntityPath. eventHub cannot be an empty string',
    }
  }
  return parsed
}

/** `sb://localhost[:port]` as the SDK allows for its emulator, plus the loopback addresses. */
function isLoopbackEndpoint(endpoint: string): boolean {
  return /^sb:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d*)?\/?$/.test(endpoint)
}

/** The namespace suffix for the cloud `AZURE_AUTHORITY_HOST` names, as the controller maps it. */
export function eventHubSuffix(authorityHost: string): string {
  if (authorityHost.includes('chinacloudapi.cn')) return '.servicebus.chinacloudapi.cn'
  if (authorityHost.includes('microsoftonline.us')) return '.servicebus.usgovcloudapi.net'
  return '.servicebus.windows.net'
}

/** A namespace name made fully qualified, unless it already is. */
export function fullyQualifiedNamespace(namespace: string, authorityHost: string): string {
  return namespace.includes('.servicebus.') ? namespace : namespace + eventHubSuffix(authorityHost)
}

/**
 * A SAS token for `resourceUri` (Microsoft's documented recipe): the URL-encoded resource and the
 * expiry, signed with HMAC-SHA256 keyed with the key's text, base64, URL-encoded.
 */
export function sharedAccessSignature(
  resourceUri: string,
  keyName: string,
  key: string,
  expirySeconds: number,
): string {
  const resource = encodeURIComponent(resourceUri)
  const signature = createHmac('sha256', Buffer.from(key, 'utf8'))
    .update(`${resource}\n${expirySeconds}`, 'utf8')
    .digest('base64')
  return (
    `SharedAccessSignature sr=${resource}&sig=${encodeURIComponent(signature)}` +
    `&se=${expirySeconds}&skn=${encodeURIComponent(keyName)}`
  )
}

/** Where to send and how to authenticate, or the controller's constructor error. */
interface Target {
  /** scheme://host[:port], no trailing slash */
  base: string
  hub: string
  /** a ready `Authorization` value, or the SAS key to sign with at send time */
  auth: { header: string } | { keyName: string; key: string }
}

function sasTarget(address: string): Target | { error: string } {
  const parsed = parseConnectionString(address)
  if ('error' in parsed) return { error: `failed to create a eventhub using SAS: ${parsed.error}` }
  const scheme = parsed.emulator ? 'http' : 'https'
  const auth =
    parsed.signature !== undefined
      ? { header: parsed.signature }
      : { keyName: parsed.keyName ?? '', key: parsed.key ?? '' }
  return { base: `${scheme}://${parsed.namespace}`, hub: parsed.entityPath ?? '', auth }
}

function nameTarget(provider: ResolvedProvider, authorityHost: string): Target | { error: string } {
  if (provider.token === '') {
    return {
      error:
        'failed to create a eventhub using managed identity: workload identity needs the cluster; ' +
        "set the secret's token to a JWT for Event Hubs, or use a SAS connection string as address",
    }
  }
  if (provider.channel === '') {
    // The SDK would accept it and fail on every send; say so when the manifests load instead.
    return {
      error: 'failed to create a eventhub using authentication token: empty namespace (channel)',
    }
  }
  const base = /^https?:\/\//i.test(provider.channel)
    ? provider.channel.replace(/\/+$/, '')
    : `https://${fullyQualifiedNamespace(provider.channel, authorityHost)}`
  return { base, hub: provider.address, auth: { header: `Bearer ${provider.token}` } }
}

/** The controller's checks, in its order, then the target. */
function target(provider: ResolvedProvider, authorityHost: string): Target | { error: string } {
  const address = provider.address
  const serviceAccount = provider.provider.spec.serviceAccountName
  if (address === '')
    return { error: 'invalid authentication options: endpoint URL cannot be empty' }
  if (isSasAddress(address)) {
    if (serviceAccount !== '') {
      return {
        error:
          'invalid authentication options: serviceAccountName and SAS authentication cannot be set at the same time',
      }
    }
    if (provider.token !== '') {
      return {
        error:
          'invalid authentication options: jwt token and SAS authentication cannot be set at the same time',
      }
    }
    return sasTarget(address)
  }
  if (serviceAccount !== '' && provider.token !== '') {
    return {
      error:
        'invalid authentication options: serviceAccountName and jwt token authentication cannot be set at the same time',
    }
  }
  return nameTarget(provider, authorityHost)
}

/** The body: the event JSON, its message cut when the event would exceed the Basic tier's limit. */
export function eventHubBody(event: FluxEvent): string {
  const [message] = cutToFit(
    [event.message],
    ([m]) => utf8Length(eventJson({ ...event, message: m ?? '' })) <= EVENT_HUB_MAX_EVENT_BYTES,
  )
  return eventJson({ ...event, message: message ?? '' })
}

/**
 * The send request. `nowSeconds` dates the SAS token (the only use of the clock); the
 * `authorityHost` is `AZURE_AUTHORITY_HOST`, as in the controller.
 */
export function eventHubRequest(
  notification: Notification,
  nowSeconds: number,
  authorityHost: string,
): HttpRequestSpec | { error: string } {
  const found = target(notification.provider, authorityHost)
  if ('error' in found) return found
  const resource = `${found.base}/${encodeURIComponent(found.hub)}`
  const authorization =
    'header' in found.auth
      ? found.auth.header
      : sharedAccessSignature(
          resource,
          found.auth.keyName,
          found.auth.key,
          nowSeconds + SAS_TOKEN_LIFETIME_SECONDS,
        )
  return {
    method: 'POST',
    url: `${resource}/messages?${REST_QUERY}`,
    headers: { 'Content-Type': REST_CONTENT_TYPE, Authorization: authorization },
    body: eventHubBody(notification.event),
    // the controller's wording for a failed send of the batch (azeventhubs, not postMessage)
    errorPrefix: 'failed to send msg: ',
  }
}

function authorityHost(): string {
  return process.env.AZURE_AUTHORITY_HOST ?? ''
}

export const azureEventHub: NotifierModule = {
  type: 'azureeventhub',
  class: 'notification',
  validate(provider) {
    const found = target(provider, authorityHost())
    return 'error' in found ? found.error : undefined
  },
  render(notification) {
    const request = eventHubRequest(notification, Math.floor(Date.now() / 1000), authorityHost())
    // validate() refuses such a provider at load time
    if ('error' in request) return { skip: request.error }
    return { requests: [request] }
  },
}
