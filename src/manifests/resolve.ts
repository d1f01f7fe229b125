/**
 * Applies each Provider's Secrets the way the controller's `createNotifier` does (reference §4.2),
 * in the same order, so that the same secret yields the same address, token, headers, proxy and
 * TLS material, and the same error when something is wrong:
 *
 *   spec (channel, username, proxy) ─► secretRef (address, proxy, headers, token, basic auth)
 *     ─► proxySecretRef ─► certSecretRef / secretRef TLS ─► address
 *
 * The controller does this at each event and reports a failure as that event's dispatch error;
 * here it is done once per run, and a failure becomes the provider's `{ error }` entry (the text
 * the controller would put in its `NotificationDispatchFailed` event) plus a Problem.
 */
import { createRequire } from 'node:module'
import { parseDocument, type Tags } from 'yaml'
import { providerClass } from '../providers/registry.js'
import type { ResolvedProvider } from '../providers/types.js'
import {
  namespacedKey,
  type Config,
  type Location,
  type Problem,
  type Provider,
  type Secret,
  type UnreadableSecret,
} from './model.js'
import { goTrimSpace } from '../util/go-strings.js'
import { goUserinfo, parseGoUrl, withUserinfo } from '../util/go-url.js'
import { findSecret, isSecretKey } from './secrets.js'
import { providerUid } from './uid.js'

export interface ResolveOptions {
  /** the `github-token` input: for GitHub-family providers whose secret has no credentials */
  githubToken?: string
  /**
   * Secrets in the repository that cannot be read here (`Config.unreadableSecrets`): a Provider
   * naming one gets an error saying what it is and which `secrets` entry would supply it.
   */
  unreadableSecrets?: ReadonlyMap<string, UnreadableSecret>
}

export type ProviderResolution = ResolvedProvider | { error: string }

/** Types whose client takes a GitHub token, and so may fall back to the `github-token` input. */
const GITHUB_TYPES: readonly string[] = ['github', 'githubdispatch', 'githubpullrequestcomment']

/** `invalid address in secret`: the controller's limit on a secret `address`, in bytes. */
const MAX_ADDRESS_BYTES = 2048

/**
 * Resolves every Provider of `config`, suspended ones included (routing skips those). Keys are
 * `namespace/name`. A failure is an error Problem when an active Alert uses the Provider (the
 * controller would fail each event sent to it), and a warning otherwise (it would never try).
 */
export function resolveProviders(
  config: Config,
  options: ResolveOptions,
): { providers: Map<string, ProviderResolution>; problems: Problem[] } {
  const used = new Set(
    config.alerts
      .filter((a) => !a.spec.suspend)
      .map((a) => namespacedKey(a.metadata.namespace, a.spec.providerRef.name)),
  )
  const providers = new Map<string, ProviderResolution>()
  const problems: Problem[] = []
  for (const [key, provider] of config.providers) {
    const result = resolveProvider(provider, config.secrets, {
      ...options,
      unreadableSecrets: options.unreadableSecrets ?? config.unreadableSecrets,
    })
    if ('error' in result) {
      const error = `failed to initialize notifier for provider '${provider.metadata.name}': ${result.error}`
      providers.set(key, { error })
      problems.push({
        severity: used.has(key) && !provider.spec.suspend ? 'error' : 'warning',
        message: `Provider/${key}: ${error}`,
        location: provider.location,
      })
    } else {
      providers.set(key, result)
    }
  }
  return { providers, problems }
}

/** One Provider, by reference §4.2; `{ error }` carries the controller's message. */
export function resolveProvider(
  provider: Provider,
  secrets: ReadonlyMap<string, Secret>,
  options: ResolveOptions = {},
): ProviderResolution {
  const { spec, metadata } = provider
  const namespace = metadata.namespace
  const secretValues = new Set<string>()
  const remember = (value: string | undefined): void => {
    if (!value) return
    secretValues.add(value)
    const trimmed = goTrimSpace(value)
    if (trimmed) secretValues.add(trimmed)
  }
  const getSecret = (name: string, usualKeys: readonly string[]): Secret | { error: string } => {
    const secret = findSecret(secrets, namespace, name)
    if (!secret) {
      const error = `failed to get secret '${namespace}/${name}': secret not found`
      const unreadable = options.unreadableSecrets?.get(namespacedKey(namespace, name))
      return { error: unreadable ? `${error}${unreadableHint(unreadable, usualKeys)}` : error }
    }
    for (const [key, value] of Object.entries(secret.data)) if (isSecretKey(key)) remember(value)
    return secret
  }

  // 3–4. From the spec.
  let address = spec.address
  let username = spec.username
  let password = ''
  let token = ''
  let headers: Record<string, string> = {}
  let secretData: Record<string, string> = {}
  let proxy = spec.proxy
  let tls: ResolvedProvider['tls']

  // 5. secretRef.
  let secret: Secret | undefined
  if (spec.secretRef) {
    const found = getSecret(spec.secretRef.name, SECRET_REF_KEYS)
    if ('error' in found) return found
    secret = found
    const data = secret.data
    const ref = `${namespace}/${spec.secretRef.name}`
    if (data.address !== undefined && Buffer.byteLength(data.address) > MAX_ADDRESS_BYTES) {
      return {
        error: `invalid address in secret: address exceeds maximum length of ${MAX_ADDRESS_BYTES} bytes`,
      }
    }
    if (data.proxy !== undefined) {
      const deprecatedProxy = goTrimSpace(data.proxy)
      if ('error' in parseGoUrl(deprecatedProxy)) {
        return { error: `invalid 'proxy' in secret '${ref}'` }
      }
      proxy = deprecatedProxy
    }
    if (data.headers !== undefined) {
      const parsed = parseHeaders(data.headers)
      if ('error' in parsed) return { error: `failed to read headers from secret: ${parsed.error}` }
      headers = parsed.headers
    }
    // `AuthMethodsFromSecret`: when it fails (a lone username or password, unparsable TLS data),
    // the controller ignores the error, and with it the token and basic auth (reference §4.2).
    if (authMethodsError(data, ref) === undefined) {
      if (data.token) token = data.token // untrimmed, as the notifier receives it
      if (data.username !== undefined && data.password !== undefined) {
        username = data.username
        password = data.password
      }
    }
    secretData = { ...data }
    if (data.address !== undefined) address = goTrimSpace(data.address)
  }

  // 6. proxySecretRef: wins over the secret's `proxy` and `spec.proxy`.
  if (spec.proxySecretRef) {
    const found = getSecret(spec.proxySecretRef.name, ['address'])
    if ('error' in found) return found
    const url = proxyUrlFromSecret(found.data, `${namespace}/${spec.proxySecretRef.name}`)
    if ('error' in url) return { error: `failed to get proxy URL: ${url.error}` }
    proxy = url.proxy
    remember(proxy)
  }

  // 7. TLS: certSecretRef, else (commit-status types only) the secretRef's certificates.
  if (spec.certSecretRef) {
    const found = getSecret(spec.certSecretRef.name, ['ca.crt'])
    if ('error' in found) return found
    const material = tlsFromSecret(found.data, `${namespace}/${spec.certSecretRef.name}`)
    if ('error' in material) return { error: `failed to get TLS config: ${material.error}` }
    tls = material
  } else if (secret && providerClass(spec.type) === 'commit-status') {
    const ref = `${namespace}/${spec.secretRef!.name}`
    const authError = authMethodsError(secret.data, ref)
    if (authError !== undefined) return { error: `failed to get TLS config: ${authError}` }
    const material = tlsFromSecret(secret.data, ref)
    if (!('error' in material)) tls = material
  }

  // flux-notify's own fallback: a GitHub-family provider with no credentials uses `github-token`.
  // (A password counts: the GitHub client takes it as the token when `token` is empty.)
  if (
    GITHUB_TYPES.includes(spec.type) &&
    token === '' &&
    password === '' &&
    secretData.githubAppID === undefined &&
    options.githubToken
  ) {
    token = options.githubToken
    remember(token)
  }

  const resolved: ResolvedProvider = {
    provider,
    type: spec.type,
    key: namespacedKey(namespace, metadata.name),
    uid: providerUid(metadata),
    address,
    channel: spec.channel,
    username,
    password,
    token,
    headers,
    secretData,
    timeoutMs: spec.timeoutMs,
    proxy,
    secretValues: [...secretValues],
  }
  if (tls) resolved.tls = tls
  return resolved
}

/** The key a `secretRef` most often holds, shown when the encrypted Secret's keys are unknown. */
const SECRET_REF_KEYS = ['address']

/**
 * What follows "secret not found" when the Secret is in the repository but unreadable: what it
 * is, where, and the `secrets` input entry that would supply it. Keys are named, never values.
 */
function unreadableHint(secret: UnreadableSecret, usualKeys: readonly string[]): string {
  const keys = secret.keys.length > 0 ? secret.keys : usualKeys
  const entry = `${secret.metadata.name}: {${keys.map((k) => `${k}: …`).join(', ')}}`
  return ` here: it is in the repository as ${secret.description} (${where(secret.location)}), which flux-notify cannot read; supply its values with the \`secrets\` input: \`${entry}\``
}

function where(location: Location): string {
  return location.line === undefined ? location.file : `${location.file}:${location.line}`
}

// ---------------------------------------------------------------------------------------------
// Secret keys

/**
 * The error `AuthMethodsFromSecret` would return, if any: basic auth with only one of its two
 * keys, or TLS material present but unparsable. Missing keys are not errors.
 */
function authMethodsError(data: Record<string, string>, ref: string): string | undefined {
  const hasUsername = data.username !== undefined
  const hasPassword = data.password !== undefined
  if (hasUsername !== hasPassword) {
    const [present, missing] = hasUsername ? ['username', 'password'] : ['password', 'username']
    return `secret '${ref}': malformed basic auth: '${present}' is set but '${missing}' is missing`
  }
  const material = tlsFromSecret(data, ref)
  // An incomplete set of TLS keys is a validation error, which AuthMethodsFromSecret ignores.
  if ('error' in material && !material.incomplete) return material.error
  return undefined
}

type TlsMaterial = NonNullable<ResolvedProvider['tls']>

/**
 * `TLSConfigFromSecret`: `tls.crt`/`tls.key`/`ca.crt`, each falling back to its legacy key
 * (`certFile`, `keyFile`, `caFile`) only when the standard key is absent. Needs a CA or a full
 * pair; both are parsed. `incomplete` marks the "which keys are missing" errors.
 */
function tlsFromSecret(
  data: Record<string, string>,
  ref: string,
): TlsMaterial | { error: string; incomplete: boolean } {
  const pick = (key: string, legacy: string): string => data[key] ?? data[legacy] ?? ''
  const cert = pick('tls.crt', 'certFile')
  const key = pick('tls.key', 'keyFile')
  const caCert = pick('ca.crt', 'caFile')
  if ((cert !== '') !== (key !== '')) {
    const [present, missing] = cert !== '' ? ['tls.crt', 'tls.key'] : ['tls.key', 'tls.crt']
    return {
      error: `secret '${ref}' contains '${present}' but missing '${missing}'`,
      incomplete: true,
    }
  }
  if (cert === '' && caCert === '') {
    return {
      error: `secret '${ref}' must contain either 'ca.crt' or both 'tls.crt' and 'tls.key'`,
      incomplete: true,
    }
  }
  const material: TlsMaterial = {}
  if (cert !== '') {
    try {
      nodeTls().createSecureContext({ cert, key })
    } catch (error) {
      return {
        error: `failed to parse TLS certificate and key: ${(error as Error).message}`,
        incomplete: false,
      }
    }
    material.cert = cert
    material.key = key
  }
  if (caCert !== '') {
    if (!hasCertificate(caCert))
      return { error: 'failed to parse CA certificate', incomplete: false }
    material.caCert = caCert
  }
  return material
}

/**
 * `node:tls` and `node:crypto`, loaded when a Provider has TLS material to check: loading them
 * costs every run start-up time (design.md §5), and few Providers have any.
 */
const requireBuiltin = createRequire(import.meta.url)

function nodeTls(): typeof import('node:tls') {
  return requireBuiltin('node:tls') as typeof import('node:tls')
}

function nodeCrypto(): typeof import('node:crypto') {
  return requireBuiltin('node:crypto') as typeof import('node:crypto')
}

/** Go's `AppendCertsFromPEM` succeeds when at least one CERTIFICATE block parses. */
function hasCertificate(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
  return blocks.some((block) => {
    try {
      new (nodeCrypto().X509Certificate)(block)
      return true
    } catch {
      return false
    }
  })
}

/** `ProxyURLFromSecret`: `address` (required), optional `username`/`password` as userinfo. */
function proxyUrlFromSecret(
  data: Record<string, string>,
  ref: string,
): { proxy: string } | { error: string } {
  const address = data.address
  if (address === undefined) return { error: `key 'address' not found in secret '${ref}'` }
  if (address === '') return { error: `secret '${ref}': proxy address is empty` }
  if (Buffer.byteLength(address) > MAX_ADDRESS_BYTES) {
    return {
      error: `secret '${ref}': proxy URL exceeds maximum length of ${MAX_ADDRESS_BYTES} characters`,
    }
  }
  const parsed = parseGoUrl(address)
  if ('error' in parsed) {
    return { error: `secret '${ref}': failed to parse proxy address '${address}': ${parsed.error}` }
  }
  if (!['http', 'https', 'socks5'].includes(parsed.url.scheme)) {
    return {
      error: `secret '${ref}': proxy URL must use http, https or socks5 scheme, got '${parsed.url.scheme}'`,
    }
  }
  if (data.username === undefined) return { proxy: address }
  return { proxy: withUserinfo(address, goUserinfo(data.username, data.password)) }
}

/**
 * The `headers` key: YAML read the way `sigs.k8s.io/yaml` reads it into `map[string]string`
 * (YAML 1.1 scalars, converted to JSON, decoded strictly), with Go-like error texts.
 */
export function parseHeaders(
  text: string,
): { headers: Record<string, string> } | { error: string } {
  const doc = parseDocument(text, {
    version: '1.1',
    prettyErrors: false,
    customTags: (tags: Tags) =>
      tags.filter((t) => (t as { tag?: string }).tag !== 'tag:yaml.org,2002:timestamp'),
  })
  if (doc.errors.length > 0) {
    const message = doc.errors[0]!.message.replace(/\s*\n\s*/g, ' ')
    return { error: `error converting YAML to JSON: yaml: ${message}` }
  }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: 100 })
  } catch (error) {
    return { error: `error converting YAML to JSON: yaml: ${(error as Error).message}` }
  }
  const typeError = (got: unknown, into: string): { error: string } => ({
    error: `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonType(got)} into Go value of type ${into}`,
  })
  if (value === null || value === undefined) return { headers: {} }
  if (typeof value !== 'object' || Array.isArray(value)) {
    return typeError(value, 'map[string]string')
  }
  const headers: Record<string, string> = {}
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null) headers[name] = ''
    else if (typeof v === 'string') headers[name] = v
    else return typeError(v, 'string')
  }
  return { headers }
}

function jsonType(value: unknown): string {
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'number' || typeof value === 'bigint') return 'number'
  if (typeof value === 'string') return 'string'
  if (Array.isArray(value)) return 'array'
  return 'object'
}
