/**
 * How a request reaches its host: directly or through a proxy, trusting the default roots or only
 * the Provider's CA (reference §4.2 step 7, §7).
 *
 * - A Provider's own proxy (`proxySecretRef` > secret `proxy` > `spec.proxy`, already chosen by
 *   `src/manifests/resolve.ts`) is used for every host, as Go's `http.ProxyURL` does.
 * - Without one, the environment decides like Go's `http.ProxyFromEnvironment`: `HTTPS_PROXY`
 *   for https URLs, `HTTP_PROXY` for http URLs (lower-case names too), never for `localhost` or a
 *   loopback address (whatever `NO_PROXY` says), and not for hosts `NO_PROXY` lists.
 * - TLS material makes the connection trust only the given CA (Node's `ca` replaces the default
 *   roots, as the controller's `RootCAs = pool` does) and present the client certificate.
 *
 * Node's global fetch cannot take these settings, so such requests go through undici's own
 * `fetch` with an undici `Agent` or `ProxyAgent`. undici is imported only when one is needed: a
 * run with no proxy and no custom TLS never loads it.
 */
import { BlockList, isIP } from 'node:net'
import type { Dispatcher } from 'undici'
import { cjsExports } from '../util/cjs.js'

export type { Dispatcher } from 'undici'

/** PEM material, as `ResolvedProvider.tls` carries it. */
export interface TlsMaterial {
  caCert?: string
  cert?: string
  key?: string
}

/** What decides the route of a request. */
export interface ConnectionSettings {
  /** the Provider's proxy URL, or '' for "ask the environment" */
  proxy: string
  tls?: TlsMaterial
  /**
   * Ignore `HTTPS_PROXY`/`HTTP_PROXY` too: for a Go client built on a bare `http.Transport`
   * (GitHub Enterprise with a custom CA), which has no proxy function at all.
   */
  noEnvironmentProxy?: boolean
}

/** A Provider as far as its connection is concerned. */
export interface ProviderConnection {
  type: string
  proxy: string
  tls?: TlsMaterial
}

/**
 * Types whose client ignores the Provider's proxy (reference §5, §6: "no proxy"): they still go
 * through the environment's proxy, as the Go default transport does. GitHub-family types use
 * no proxy but for the App token request (which `github-app.ts` routes itself).
 */
const TYPES_WITHOUT_PROVIDER_PROXY: ReadonlySet<string> = new Set([
  'lark',
  'matrix',
  'sentry',
  'bitbucket',
  'bitbucketserver',
  'github',
  'githubdispatch',
  'githubpullrequestcomment',
])

/** Types whose client is not given the TLS config (reference §5: "no TLS"). */
const TYPES_WITHOUT_TLS: ReadonlySet<string> = new Set([
  'discord',
  'googlechat',
  'telegram',
  'lark',
])

/** Types built on the go-github client: TLS only for hosts other than github.com (§6.6). */
const GITHUB_TYPES: ReadonlySet<string> = new Set([
  'github',
  'githubdispatch',
  'githubpullrequestcomment',
])

/**
 * The connection settings the controller's client for `provider.type` would use for `url`.
 * Types the reference says nothing about use both the proxy and the TLS material.
 */
export function connectionFor(provider: ProviderConnection, url: string): ConnectionSettings {
  const settings: ConnectionSettings = {
    proxy: TYPES_WITHOUT_PROVIDER_PROXY.has(provider.type) ? '' : provider.proxy,
  }
  let tls = TYPES_WITHOUT_TLS.has(provider.type) ? undefined : provider.tls
  if (tls && GITHUB_TYPES.has(provider.type)) {
    if (isGitHubDotCom(url)) tls = undefined
    // go-github with a custom CA runs on a bare http.Transport: no proxy from the environment
    else settings.noEnvironmentProxy = true
  }
  if (tls) settings.tls = tls
  return settings
}

/** Whether `url` is github.com's API (the controller compares the address host with github.com). */
function isGitHubDotCom(url: string): boolean {
  try {
    const host = new URL(url).hostname
    return host === 'api.github.com' || host === 'github.com'
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// The environment's proxy, by Go's rules (golang.org/x/net/http/httpproxy)

type Env = Record<string, string | undefined>

/** The first of `names` set to a non-empty value, as httpproxy's `getEnvAny`. */
function envAny(env: Env, ...names: string[]): string {
  for (const name of names) {
    const value = env[name]
    if (value) return value
  }
  return ''
}

/** A URL's host without IPv6 brackets, lower-cased, and its port (default 80/443). */
function hostAndPort(url: URL): { host: string; port: string } {
  let host = url.hostname.toLowerCase()
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80'
  return { host, port }
}

/** Go's `IP.IsLoopback`: 127.0.0.0/8 and ::1 (also as IPv4-mapped IPv6). */
export function isLoopbackIp(host: string): boolean {
  const family = isIP(host)
  if (family === 4) return host.startsWith('127.')
  if (family === 6) {
    const loopback = new BlockList()
    loopback.addAddress('::1', 'ipv6')
    loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6')
    return loopback.check(host, 'ipv6')
  }
  return false
}

/** Whether `host` is one Go never proxies from the environment: `localhost` or a loopback IP. */
export function isLocalHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  return bare.toLowerCase() === 'localhost' || isLoopbackIp(bare)
}

/** `host:port` split the way Go's `net.SplitHostPort` would accept it, or undefined. */
function splitHostPort(entry: string): { host: string; port: string } | undefined {
  const bracketed = /^\[([^\]]*)\]:(\d*)$/u.exec(entry)
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2]! }
  const colon = entry.lastIndexOf(':')
  if (colon < 0 || entry.indexOf(':') !== colon) return undefined
  return { host: entry.slice(0, colon), port: entry.slice(colon + 1) }
}

/** Whether `NO_PROXY` exempts `host`/`port`, by httpproxy's matchers. */
export function noProxyMatches(noProxy: string, host: string, port: string): boolean {
  const hostIsIp = isIP(host) !== 0
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase()
    if (entry === '') continue
    if (entry === '*') return true
    // an IP range: 10.0.0.0/8, fd00::/8
    const cidr = /^([^/]+)\/(\d{1,3})$/u.exec(entry)
    if (cidr && isIP(cidr[1]!) !== 0) {
      const family = isIP(cidr[1]!) === 4 ? 'ipv4' : 'ipv6'
      const range = new BlockList()
      try {
        range.addSubnet(cidr[1]!, Number(cidr[2]), family)
      } catch {
        continue
      }
      if (hostIsIp && range.check(host, isIP(host) === 4 ? 'ipv4' : 'ipv6')) return true
      continue
    }
    const split = splitHostPort(entry)
    let entryHost = split ? split.host : entry
    const entryPort = split ? split.port : ''
    if (split && entryHost === '') continue
    if (entryHost.startsWith('[') && entryHost.endsWith(']')) entryHost = entryHost.slice(1, -1)
    if (isIP(entryHost) !== 0) {
      if (hostIsIp && sameIp(entryHost, host) && (entryPort === '' || entryPort === port)) {
        return true
      }
      continue
    }
    if (entryHost === '') continue
    // `*.foo.com` and `.foo.com` match subdomains only; `foo.com` matches itself and subdomains
    if (entryHost.startsWith('*.')) entryHost = entryHost.slice(1)
    const matchesItself = !entryHost.startsWith('.')
    const suffix = matchesItself ? `.${entryHost}` : entryHost
    const hostMatches = host.endsWith(suffix) || (matchesItself && host === suffix.slice(1))
    if (hostMatches && (entryPort === '' || entryPort === port)) return true
  }
  return false
}

function sameIp(a: string, b: string): boolean {
  if (a === b) return true
  const list = new BlockList()
  const family = isIP(a) === 4 ? 'ipv4' : 'ipv6'
  list.addAddress(a, family)
  return list.check(b, isIP(b) === 4 ? 'ipv4' : 'ipv6')
}

/**
 * The proxy the environment gives `url`, by Go's `ProxyFromEnvironment`, or '' for a direct
 * connection. A value without a scheme (`proxy:3128`) means `http://proxy:3128`, as in Go.
 * Go refuses `HTTP_PROXY` in a CGI environment (`REQUEST_METHOD` set); so do we.
 */
export function proxyFromEnvironment(url: string, env: Env = process.env): string {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return ''
  }
  let proxy = ''
  if (target.protocol === 'https:') proxy = envAny(env, 'HTTPS_PROXY', 'https_proxy')
  else if (target.protocol === 'http:') {
    proxy = envAny(env, 'HTTP_PROXY', 'http_proxy')
    if (proxy !== '' && env.REQUEST_METHOD) return ''
  }
  if (proxy === '') return ''
  const { host, port } = hostAndPort(target)
  if (isLocalHost(host)) return ''
  if (noProxyMatches(envAny(env, 'NO_PROXY', 'no_proxy'), host, port)) return ''
  return withDefaultScheme(proxy)
}

/** Go's `parseProxy`: a value that does not parse as `scheme://host` is tried as `http://…`. */
function withDefaultScheme(proxy: string): string {
  try {
    const parsed = new URL(proxy)
    if (parsed.host !== '') return proxy
  } catch {
    // fall through
  }
  return `http://${proxy}`
}

// ---------------------------------------------------------------------------------------------
// Dispatchers

/** One dispatcher per (proxy, TLS material) for the whole run: connections are reused. */
const dispatchers = new Map<string, Promise<Dispatcher>>()

type Undici = Pick<typeof import('undici'), 'Agent' | 'ProxyAgent' | 'fetch'>
let undiciModule: Promise<Undici> | undefined
// undici is CommonJS: see cjsExports for why its exports are taken from `default` when bundled.
const loadUndici = (): Promise<Undici> =>
  (undiciModule ??= import('undici').then((module) => cjsExports(module) as Undici))

/** An error in the settings (an unsupported proxy), meant to be shown as it is. */
export class TransportError extends Error {
  override name = 'TransportError'
}

/** The proxy URL for messages: without its password. */
function shownProxy(proxy: URL): string {
  const copy = new URL(proxy.href)
  if (copy.password !== '') copy.password = 'xxxxx'
  return copy.href
}

/**
 * The undici dispatcher that routes a request to `url` with `settings`, or undefined when the
 * defaults do (no proxy, default trust): then the caller keeps Node's global fetch.
 */
export async function dispatcherFor(
  settings: ConnectionSettings,
  url: string,
  env: Env = process.env,
): Promise<Dispatcher | undefined> {
  let proxy = settings.proxy
  if (proxy === '' && !settings.noEnvironmentProxy) proxy = proxyFromEnvironment(url, env)
  const tls = settings.tls
  if (proxy === '' && !tls) return undefined
  const key = JSON.stringify([proxy, tls?.caCert ?? '', tls?.cert ?? '', tls?.key ?? ''])
  let dispatcher = dispatchers.get(key)
  if (!dispatcher) {
    dispatcher = createDispatcher(proxy, tls)
    dispatchers.set(key, dispatcher)
    // a setting we cannot honour is reported at each use, not cached as a broken dispatcher
    dispatcher.catch(() => dispatchers.delete(key))
  }
  return dispatcher
}

async function createDispatcher(proxy: string, tls: TlsMaterial | undefined): Promise<Dispatcher> {
  const connect: { ca?: string; cert?: string; key?: string } = {}
  if (tls?.caCert) connect.ca = tls.caCert
  if (tls?.cert) connect.cert = tls.cert
  if (tls?.key) connect.key = tls.key
  let proxyUrl: URL | undefined
  if (proxy !== '') {
    try {
      proxyUrl = new URL(proxy)
    } catch {
      throw new TransportError(`invalid proxy URL ${JSON.stringify(proxy)}`)
    }
    if (proxyUrl.protocol !== 'http:' && proxyUrl.protocol !== 'https:') {
      throw new TransportError(
        `proxy ${shownProxy(proxyUrl)}: the ${proxyUrl.protocol.slice(0, -1)} scheme is not supported by flux-notify (use an http or https proxy)`,
      )
    }
  }
  const undici = await loadUndici()
  if (!proxyUrl) return new undici.Agent({ connect })
  return new undici.ProxyAgent({
    uri: proxyUrl.href,
    // Like Go: an http target goes to an http proxy as an absolute-URI request; https tunnels
    // through CONNECT. Go's transport uses its one TLS config for an https proxy as well.
    proxyTunnel: false,
    requestTls: connect,
    proxyTls: connect,
  })
}

/**
 * A fetch that sends through `dispatcher` (undici's own fetch: Node's global one does not
 * reliably accept a dispatcher from another copy of undici), or the global fetch without one.
 */
export async function fetchVia(dispatcher: Dispatcher | undefined): Promise<typeof fetch> {
  if (!dispatcher) return globalThis.fetch
  const undici = await loadUndici()
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undici.fetch(input as Parameters<Undici['fetch']>[0], {
      ...(init as Parameters<Undici['fetch']>[1]),
      dispatcher,
    })) as unknown as typeof fetch
}

/** Closes every dispatcher made during the run (tests; a CLI run may simply exit). */
export async function closeDispatchers(): Promise<void> {
  const all = [...dispatchers.values()]
  dispatchers.clear()
  await Promise.all(all.map((d) => d.then((x) => x.close()).catch(() => {})))
}

// ---------------------------------------------------------------------------------------------
// Errors

/** Node/OpenSSL codes of certificate failures, which Go's clients do not retry either. */
const CERT_ERROR_CODE =
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH/u

/** The innermost cause of a fetch failure. */
export function innermostError(error: unknown): unknown {
  let inner: unknown = error
  for (;;) {
    if (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause
    // several addresses tried (IPv4 and IPv6): the first failure speaks for all
    else if (inner instanceof AggregateError && inner.errors[0] instanceof Error) {
      inner = inner.errors[0]
    } else break
  }
  return inner
}

/** Whether a fetch failure is a certificate verification error. */
export function isCertificateError(error: unknown): boolean {
  const inner = innermostError(error)
  if (!(inner instanceof Error)) return false
  const code: unknown = (inner as NodeJS.ErrnoException).code
  return (
    (typeof code === 'string' && CERT_ERROR_CODE.test(code)) || CERT_ERROR_CODE.test(inner.message)
  )
}

/**
 * A certificate failure in Go's words, where Go's text is known: an unknown issuer reads
 * `tls: failed to verify certificate: x509: certificate signed by unknown authority`; an expired
 * or not yet valid certificate `…: x509: certificate has expired or is not yet valid`; a name
 * mismatch `…: x509: <Node's explanation>`. Undefined when the error is not a certificate error.
 */
export function goCertificateErrorText(error: unknown): string | undefined {
  if (!isCertificateError(error)) return undefined
  const inner = innermostError(error) as NodeJS.ErrnoException
  const code = inner.code ?? ''
  const prefix = 'tls: failed to verify certificate: x509: '
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `${prefix}certificate has expired or is not yet valid`
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /HOSTNAME_MISMATCH/u.test(code)) {
    return `${prefix}${inner.message}`
  }
  return `${prefix}certificate signed by unknown authority`
}
