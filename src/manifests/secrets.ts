/**
 * Secrets: the `secrets` input (a YAML or JSON map standing in for Kubernetes Secrets), the
 * decoding of Secret manifests, and the lookup a Provider's `secretRef` goes through.
 *
 * Lookup rules (a product decision; the controller only ever reads the Provider's namespace):
 * - a Provider's `secretRef` is looked up in the Provider's namespace;
 * - an input secret written `namespace/name` serves that namespace only;
 * - an input secret written as a plain `name` serves every namespace: a CI run has one set of
 *   credentials, and the Provider that needs it may live in any namespace;
 * - input secrets win over Secret manifests of the same name (the manifest in Git is usually
 *   SOPS-encrypted or a placeholder), and `namespace/name` wins over a plain `name`.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, stringify, type Document } from 'yaml'
import { ANY_NAMESPACE, namespacedKey, type Problem, type Secret } from './model.js'
import { oneLineMessage } from './yaml.js'

/**
 * Secret keys whose values are identifiers, not credentials. They are not masked: masking a
 * username such as `flux` or an installation id such as `1` would blank those words out of every
 * log line, summary and event message (the runner masks registered values everywhere).
 */
const NOT_SECRET_KEYS = new Set([
  'username',
  'githubAppID',
  'githubAppInstallationID',
  'githubAppInstallationOwner',
  'githubAppBaseURL',
  'ca.crt',
  'caFile',
  'tls.crt',
  'certFile',
])

/** Whether the value under `key` in a Secret must be masked. */
export function isSecretKey(key: string): boolean {
  return !NOT_SECRET_KEYS.has(key)
}

/** The Secret a Provider in `namespace` gets for `name`, by the rules above. */
export function findSecret(
  secrets: ReadonlyMap<string, Secret>,
  namespace: string,
  name: string,
): Secret | undefined {
  const exact = secrets.get(namespacedKey(namespace, name))
  if (exact?.fromInput) return exact
  return secrets.get(namespacedKey(ANY_NAMESPACE, name)) ?? exact
}

/**
 * Parses the `secrets` input: `{secretName: {key: value}}`, names optionally `namespace/name`.
 * Values are kept as written (`token: 0123` is `"0123"`, not 83); a nested map or list value is
 * turned back into YAML text, so `headers: {X-Key: v}` works like a `headers` key holding YAML.
 * Messages name keys and lines, never values.
 */
export function secretsFromInput(
  text: string,
  /** not used: a plain name serves every namespace, not just the default one (see above) */
  _defaultNamespace: string,
  label = 'secrets input',
): { secrets: Secret[]; problems: Problem[] } {
  const problems: Problem[] = []
  const secrets: Secret[] = []
  if (text.trim() === '') return { secrets, problems }

  const doc = parseDocument(text, { prettyErrors: false })
  const lineOf = (offset: number | undefined): number =>
    offset === undefined ? 1 : text.slice(0, offset).split('\n').length
  const problem = (message: string, offset?: number): void => {
    problems.push({
      severity: 'error',
      // a secret name quoted in the message may hold a line break: keep the message one line
      message: oneLineMessage(`${label}: ${message}`),
      location: { file: label, line: lineOf(offset) },
    })
  }

  if (doc.errors.length > 0) {
    const error = doc.errors[0]!
    problem(`not valid YAML or JSON: ${error.message.replace(/\s*\n\s*/g, ' ')}`, error.pos[0])
    return { secrets, problems }
  }
  // Expanding once refuses alias bombs; the values themselves come from the nodes below.
  let js: unknown
  try {
    js = doc.toJS({ maxAliasCount: 100 })
  } catch (error) {
    problem(`refused: ${(error as Error).message}`)
    return { secrets, problems }
  }
  const root = resolve(doc, doc.contents)
  if (js === null || js === undefined || js === '') return { secrets, problems }
  if (!isMap(root)) {
    problem(
      'expected a map of secret names to {key: value} maps, e.g. "slack-url: {address: https://…}"',
    )
    return { secrets, problems }
  }

  for (const pair of root.items) {
    const keyNode = resolve(doc, pair.key)
    const keyOffset = isScalar(keyNode) ? keyNode.range?.[0] : undefined
    const fullName = isScalar(keyNode) ? String(keyNode.value) : ''
    const parts = fullName.split('/')
    const [namespace, name] = parts.length === 2 ? parts : [ANY_NAMESPACE, fullName]
    if (!namespace || !name || parts.length > 2) {
      problem(`secret name '${fullName}' must be 'name' or 'namespace/name'`, keyOffset)
      continue
    }
    const valueNode = resolve(doc, pair.value)
    if (!isMap(valueNode) && !(isScalar(valueNode) && valueNode.value === null)) {
      problem(
        `secret '${fullName}' must be a map of keys to values, e.g. "${fullName}: {token: …}"`,
        keyOffset,
      )
      continue
    }
    const data: Record<string, string> = {}
    const jsEntries = ((js as Record<string, unknown>)[fullName] ?? {}) as Record<string, unknown>
    for (const entry of isMap(valueNode) ? valueNode.items : []) {
      const k = resolve(doc, entry.key)
      const key = isScalar(k) ? String(k.value) : String(k)
      setEntry(data, key, valueText(resolve(doc, entry.value), jsEntries[key]))
    }
    secrets.push({
      metadata: { name, namespace },
      data,
      location: { file: label, line: lineOf(keyOffset) },
      fromInput: true,
    })
  }
  return { secrets, problems }
}

function resolve(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node
}

/** A value as its text: strings as they are, other scalars as written, collections as YAML. */
function valueText(node: unknown, js: unknown): string {
  if (isScalar(node)) {
    if (node.value === null || node.value === undefined) return ''
    if (typeof node.value === 'string') return node.value
    return node.source ?? String(node.value)
  }
  if (isMap(node) || isSeq(node)) return stringify(js).trimEnd()
  return ''
}

/** The result of decoding one Secret manifest's `data` and `stringData`. */
export interface DecodedSecretData {
  data: Record<string, string>
  /** keys of `data` whose value is not valid base64 */
  invalidKeys: string[]
}

/**
 * `data` values are base64 (standard alphabet, padded; line breaks ignored, as Go's decoder does);
 * `stringData` values are plain and win over `data` for the same key, as the API server merges
 * them on write.
 */
export function decodeSecretData(
  data: Record<string, string> | undefined,
  stringData: Record<string, string> | undefined,
): DecodedSecretData {
  const decoded: Record<string, string> = {}
  const invalidKeys: string[] = []
  for (const [key, value] of Object.entries(data ?? {})) {
    const compact = value.replace(/[\r\n]/g, '')
    if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
      invalidKeys.push(key)
      continue
    }
    setEntry(decoded, key, Buffer.from(compact, 'base64').toString('utf8'))
  }
  for (const [key, value] of Object.entries(stringData ?? {})) setEntry(decoded, key, value)
  return { data: decoded, invalidKeys }
}

/** Sets a key as an own property, so that a key named `__proto__` is just a key. */
function setEntry(target: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  })
}
