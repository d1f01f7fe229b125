/**
 * `nats` (reference §5.20, the controller's `nats.go`): connect to the server at the address as
 * `NATS Provider Publisher`, publish the event JSON (the generic body) to the subject named by the
 * channel, flush, and report the connection's error.
 *
 * NATS is not HTTP, so this module has `send`; `render` only says that nothing is skipped. The
 * official client (`@nats-io/transport-node`) is imported inside `send`, so loading the module to
 * validate a Provider stays cheap.
 *
 * Error texts follow the Go client the controller uses (nats.go), as far as a different client
 * lets us: `error publishing event to subject <s>: error connecting to server: nats: no servers
 * available for connection`, `…: nats: authorization violation`, and a permission error seen by
 * the flush as `…: error publishing message to server: nats: permissions violation: …`.
 */
import type { Authenticator, NatsConnection } from '@nats-io/transport-node'
import { contextErrorText } from '../delivery/http.js'
import { eventJson } from './event-json.js'
import type { Notification, NotifierModule, Rendered, ResolvedProvider } from './types.js'
import { cjsExports } from '../util/cjs.js'
import { validateNats } from './validate/notifiers.js'

/** The client name the controller connects with (visible in the server's connection list). */
export const NATS_CLIENT_NAME = 'NATS Provider Publisher'

/**
 * How the publisher authenticates: reference §5.20's priority, first match wins (creds, nkey,
 * username and password), with nats.go's use of the server URL's user info before the last.
 */
export type NatsAuth =
  /** secret `creds`: a user JWT plus its NKey seed, the `.creds` file format */
  | { kind: 'creds'; creds: string }
  /** secret `nkey`: an NKey seed */
  | { kind: 'nkey'; seed: string }
  /** username **and** password, both non-empty; or the user info of the server URL */
  | { kind: 'user-password'; user: string; pass: string }
  /** a server URL with a user but no password: nats.go sends the user as a token */
  | { kind: 'token'; token: string }
  | { kind: 'none' }

/**
 * The user info of the first server URL (`nats://user:pass@host`), which nats.go prefers over
 * the username and password options; the JavaScript client ignores it, so we pass it on.
 */
function urlUserInfo(address: string): NatsAuth | undefined {
  const first = natsServers(address)[0] ?? ''
  const schemeEnd = first.indexOf('://')
  const authority = first.slice(schemeEnd === -1 ? 0 : schemeEnd + 3).split('/')[0] ?? ''
  const at = authority.lastIndexOf('@')
  if (at === -1) return undefined
  const userInfo = authority.slice(0, at)
  const colon = userInfo.indexOf(':')
  if (colon === -1) return { kind: 'token', token: percentDecode(userInfo) }
  return {
    kind: 'user-password',
    user: percentDecode(userInfo.slice(0, colon)),
    pass: percentDecode(userInfo.slice(colon + 1)),
  }
}

/** Percent-decoding that keeps a malformed escape as written instead of throwing. */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

export function natsAuth(provider: ResolvedProvider): NatsAuth {
  const creds = provider.secretData.creds ?? ''
  if (creds !== '') return { kind: 'creds', creds }
  // A seed read from a file or a YAML block often ends in a newline, which the NKey decoder
  // refuses; the seed alphabet has no whitespace, so trimming cannot change a valid seed.
  const seed = (provider.secretData.nkey ?? '').trim()
  if (seed !== '') return { kind: 'nkey', seed }
  const fromUrl = urlUserInfo(provider.address)
  if (fromUrl) return fromUrl
  if (provider.username !== '' && provider.password !== '') {
    return { kind: 'user-password', user: provider.username, pass: provider.password }
  }
  return { kind: 'none' }
}

/** The server list: nats.go's `Connect` takes a comma-separated list of URLs. */
export function natsServers(address: string): string[] {
  return address
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '')
}

/** The bytes published: the event exactly as the generic webhook would post it. */
export function natsPayload(notification: Notification): string {
  return eventJson(notification.event)
}

/** NATS goes through `send`; there is no HTTP request and nothing the controller skips. */
function render(): Rendered {
  return { requests: [] }
}

/** An error from the client or server, in nats.go's words where we know them. */
function goNatsErrorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const message = error.message
  // nats.go turns a refused connection to every server into ErrNoServers
  if (/connection refused/iu.test(message)) return 'nats: no servers available for connection'
  if (/authorization violation/iu.test(message)) return 'nats: authorization violation'
  if (/^permissions violation/iu.test(message)) return `nats: permissions violation: ${message}`
  if (error.name === 'InvalidSubjectError') return 'nats: invalid subject'
  return message
}

/** Rejects as soon as `signal` aborts, with Go's context error text. */
function whenAborted(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort = () => {}
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error(contextErrorText(signal)))
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  // never an unhandled rejection when nobody races it any more
  promise.catch(() => {})
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) }
}

async function authenticator(auth: NatsAuth): Promise<Authenticator | undefined> {
  const client = cjsExports(await import('@nats-io/transport-node'))
  const bytes = (text: string) => new TextEncoder().encode(text)
  switch (auth.kind) {
    case 'creds':
      return client.credsAuthenticator(bytes(auth.creds))
    case 'nkey':
      return client.nkeyAuthenticator(bytes(auth.seed))
    case 'user-password':
      return client.usernamePasswordAuthenticator(auth.user, auth.pass)
    case 'token':
      return client.tokenAuthenticator(auth.token)
    case 'none':
      return undefined
  }
}

async function publish(notification: Notification, signal: AbortSignal): Promise<void> {
  const { provider } = notification
  const { connect } = cjsExports(await import('@nats-io/transport-node'))
  const aborted = whenAborted(signal)
  let connection: NatsConnection | undefined
  try {
    try {
      const auth = await authenticator(natsAuth(provider))
      const connecting = connect({
        servers: natsServers(provider.address),
        name: NATS_CLIENT_NAME,
        // one publish per connection, as the controller does: nothing to reconnect for
        reconnect: false,
        timeout: provider.timeoutMs,
        ...(auth ? { authenticator: auth } : {}),
      })
      // a connection that completes after the deadline gave up on it is closed, not leaked
      connecting.then(
        (late) => {
          if (signal.aborted && late !== connection) void late.close().catch(() => {})
        },
        () => {},
      )
      connection = await Promise.race([connecting, aborted.promise])
    } catch (error) {
      throw new Error(`error connecting to server: ${goNatsErrorText(error)}`, { cause: error })
    }

    // The server reports a refused publish asynchronously; nats.go keeps it as LastError, which
    // the controller checks after the flush. Collect the same from the status stream.
    const asyncErrors: unknown[] = []
    const statuses = connection.status()
    void (async () => {
      for await (const status of statuses) {
        if (status.type === 'error') asyncErrors.push(status.error)
      }
    })().catch(() => {})

    try {
      connection.publish(provider.channel, natsPayload(notification))
      await Promise.race([connection.flush(), aborted.promise])
      // let the status stream hand over what arrived before the flush's PONG
      await new Promise((resolve) => setImmediate(resolve))
    } catch (error) {
      throw new Error(`error publishing message to server: ${goNatsErrorText(error)}`, {
        cause: error,
      })
    }
    const [first] = asyncErrors
    if (first !== undefined) {
      throw new Error(`error publishing message to server: ${goNatsErrorText(first)}`)
    }
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error)
    throw new Error(`error publishing event to subject ${provider.channel}: ${text}`, {
      cause: error,
    })
  } finally {
    aborted.dispose()
    await connection?.close().catch(() => {})
  }
}

export const nats: NotifierModule = {
  type: 'nats',
  class: 'notification',
  validate: validateNats,
  render,
  send: publish,
}
