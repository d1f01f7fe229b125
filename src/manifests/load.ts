/**
 * Turns manifest files into the run's `Config`: Alerts and Providers (any supported API version,
 * converted to the v1beta3 shape), Secrets, and the labels of every other Flux object.
 *
 * Each problem is reported once, on the file and line of the field at fault, and only the object
 * at fault is left out: a bad document never stops the others from loading.
 */
import { createRequire } from 'node:module'
import type { RE2JS } from 're2js'
import { isKnownType, PROVIDER_TYPES } from '../providers/registry.js'
import { parseGoDuration } from '../util/duration.js'
import {
  namespacedKey,
  type Alert,
  type CompiledPattern,
  type Config,
  type EventSourceRef,
  type FluxObject,
  type Location,
  type ObjectMeta,
  type Problem,
  type Provider,
  type Secret,
  type UnreadableSecret,
} from './model.js'
import {
  ALERT_SPEC,
  ALERT_SPEC_FIELDS,
  API_VERSIONS,
  COMMIT_STATUS_EXPR_MESSAGE,
  COMMIT_STATUS_EXPR_TYPES,
  EVENT_SOURCE_FIELDS,
  fieldPath,
  isApiVersion,
  issueMessage,
  NOTIFICATION_GROUP,
  objectMetaSchema,
  PROVIDER_SPEC,
  PROVIDER_SPEC_FIELDS,
  secretSchema,
  type ApiVersion,
} from './schemas.js'
import { labelSelectorErrors } from './label-selector.js'
import { decodeSecretData } from './secrets.js'
import { expand, substituteDocument, type Placeholder } from './substitute.js'
import { providerUid } from './uid.js'
import { oneLineMessage, parseYamlDocuments, type FieldPath, type YamlDocument } from './yaml.js'
import type * as z from 'zod/mini'

export { findSecret, secretsFromInput } from './secrets.js'

export interface ManifestFile {
  /** relative to the working directory, POSIX separators: what annotations name */
  path: string
  text: string
  /** namespace from the nearest kustomization.yaml, if any */
  namespace?: string
}

export interface LoadOptions {
  /** namespace of objects that carry none and have no kustomization namespace */
  defaultNamespace: string
  /**
   * Flux post-build substitution, applied to each object before it is checked (see
   * `substitute.ts`; `substitutionVars` builds `vars`). Without it nothing is substituted, and a
   * `${…}` left in a field that matters is reported all the same.
   */
  substitute?: { vars: ReadonlyMap<string, string> }
}

/** Default `spec.timeout` of a Provider (`GetTimeout`). */
const DEFAULT_TIMEOUT_MS = 15_000

type Plain = Record<string, unknown>

interface Loader {
  options: LoadOptions
  problems: Problem[]
  /** `Kind/namespace/name` → where it was first defined */
  seen: Map<string, Location>
  alerts: Alert[]
  providers: Map<string, Provider>
  secrets: Map<string, Secret>
  objects: Map<string, FluxObject>
  unreadableSecrets: Map<string, UnreadableSecret>
  /** the RE2 engine, or undefined when it is not loaded (see `loadManifestsAsync`) */
  regexEngine: () => RegexEngine | undefined
  /** set when an Alert had patterns to compile and `regexEngine` gave none */
  neededRegexEngine: boolean
}

/** One object being loaded: its document, identity and a way to report on its fields. */
interface Subject {
  doc: YamlDocument
  value: Plain
  /** `Kind/namespace/name` */
  ref: string
  metadata: ObjectMeta
  /** `Kind/ns/name: field.path: message`, located at the field */
  error(path: FieldPath, message: string): void
  warning(path: FieldPath, message: string): void
  /** `Kind/ns/name: message`, located at the field: for messages that are the controller's own */
  fail(path: FieldPath, message: string): void
}

// ---------------------------------------------------------------------------------------------
// The RE2 engine
//
// re2js (150 KB, a third of what a run would load) compiles only the inclusion and exclusion lists
// of Alerts, which few configurations have; start-up time (design.md §5) counts every module a run
// loads, so the engine is imported only when a run has patterns to compile.

type RegexEngine = typeof RE2JS

let regexEngine: RegexEngine | undefined

async function importRegexEngine(): Promise<RegexEngine> {
  regexEngine ??= (await import('re2js')).RE2JS
  return regexEngine
}

/**
 * The engine, loaded synchronously: `require` finds re2js in `node_modules`, which a checkout has
 * (tests, tools) and the bundled Action does not, hence `loadManifestsAsync` there.
 */
function requireRegexEngine(): RegexEngine {
  regexEngine ??= (createRequire(import.meta.url)('re2js') as typeof import('re2js')).RE2JS
  return regexEngine
}

/**
 * Whether a file may hold an Alert with an inclusion or exclusion list. Only a hint to import the
 * engine before loading: a field name that no text spells out (substituted into a key, written
 * with YAML escapes) is caught by the loader itself, which then loads again with the engine.
 */
function mayHaveMessageFilters(file: ManifestFile): boolean {
  return file.text.includes('clusionList')
}

/**
 * `loadManifests` for the Action and the CLI: imports the RE2 engine first when some Alert may
 * have patterns, and otherwise never. Same result, same problems.
 */
export async function loadManifestsAsync(
  files: readonly ManifestFile[],
  options: LoadOptions,
): Promise<Config> {
  if (regexEngine === undefined && files.some(mayHaveMessageFilters)) await importRegexEngine()
  const first = load(files, options, () => regexEngine)
  if (!first.neededRegexEngine) return first.config
  // The hint missed a list: loading is a pure function of its inputs, so load again.
  const engine = await importRegexEngine()
  return load(files, options, () => engine).config
}

/**
 * Loads synchronously; when an Alert has patterns and the engine is not imported yet, it is
 * `require`d from `node_modules` (see `requireRegexEngine`).
 */
export function loadManifests(files: readonly ManifestFile[], options: LoadOptions): Config {
  return load(files, options, requireRegexEngine).config
}

function load(
  files: readonly ManifestFile[],
  options: LoadOptions,
  engine: () => RegexEngine | undefined,
): { config: Config; neededRegexEngine: boolean } {
  const loader: Loader = {
    options,
    problems: [],
    seen: new Map(),
    alerts: [],
    providers: new Map(),
    secrets: new Map(),
    objects: new Map(),
    unreadableSecrets: new Map(),
    regexEngine: engine,
    neededRegexEngine: false,
  }
  for (const file of files) {
    const parsed = parseYamlDocuments(file.path, file.text, { version: '1.1' })
    loader.problems.push(...parsed.problems)
    for (const doc of parsed.documents) loadDocument(loader, file, doc)
  }

  // The API server lists objects by namespace, then name; keep that order so output is stable.
  const byKey = <T>(map: Map<string, T>): Map<string, T> =>
    new Map([...map].sort(([a], [b]) => compare(a, b)))
  loader.alerts.sort((a, b) =>
    compare(
      namespacedKey(a.metadata.namespace, a.metadata.name),
      namespacedKey(b.metadata.namespace, b.metadata.name),
    ),
  )
  const config: Config = {
    alerts: loader.alerts,
    providers: byKey(loader.providers),
    secrets: byKey(loader.secrets),
    objects: byKey(loader.objects),
    // Names, keys and patterns are quoted in messages as written: keep each message one line.
    problems: loader.problems.map((p) =>
      p.message === oneLineMessage(p.message) ? p : { ...p, message: oneLineMessage(p.message) },
    ),
  }
  if (loader.unreadableSecrets.size > 0) config.unreadableSecrets = byKey(loader.unreadableSecrets)
  return { config, neededRegexEngine: loader.neededRegexEngine }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function loadDocument(loader: Loader, file: ManifestFile, doc: YamlDocument): void {
  const original = doc.value
  if (!isPlain(original)) return
  let value: Plain = original
  const { apiVersion, kind } = value
  // Not a Kubernetes object (a workflow, a values file, …): not ours to judge.
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return

  // `kubectl get … -o yaml` output: a v1 List whose items are the objects.
  if (apiVersion === 'v1' && kind === 'List') {
    const items = value.items
    if (!Array.isArray(items)) return
    items.forEach((item, i) => loadDocument(loader, file, itemDocument(doc, ['items', i], item)))
    return
  }

  const slash = apiVersion.indexOf('/')
  const group = slash < 0 ? '' : apiVersion.slice(0, slash)
  const version = apiVersion.slice(slash + 1)
  const isNotification = group === NOTIFICATION_GROUP && (kind === 'Alert' || kind === 'Provider')
  const isSecret = group === '' && version === 'v1' && kind === 'Secret'
  const isFluxObject =
    group.endsWith('.toolkit.fluxcd.io') && !(group === NOTIFICATION_GROUP && kind === 'Receiver')
  if (kind === 'SealedSecret' && group === 'bitnami.com') {
    return noteUnreadableSecret(loader, file, doc, value, 'a SealedSecret')
  }
  if (kind === 'ExternalSecret' && group === 'external-secrets.io') {
    return noteUnreadableSecret(loader, file, doc, value, 'an ExternalSecret')
  }
  // Every other group's objects (Crossplane's `Provider`, CRDs that mention `kind: Alert`, …)
  // are not ours: ignored without a word.
  if (!isNotification && !isSecret && !isFluxObject) return
  if (isSecret && 'sops' in value) {
    return noteUnreadableSecret(loader, file, doc, value, 'a SOPS-encrypted Secret')
  }

  // Post-build substitution, then the checks, on the object as the cluster would hold it. The
  // structure is unchanged, so positions still point into the file as written.
  const substituted = substituteDocument(value, loader.options.substitute?.vars)
  if (substituted.value !== value) {
    doc = { value: substituted.value, location: doc.location, locate: doc.locate }
    value = substituted.value as Plain
  }
  if (isNotification || isSecret) {
    const stop = reportPlaceholders(loader, file, doc, value, kind, substituted)
    if (stop) return
  }

  const subject = identify(loader, file, doc, value, kind)
  if (!subject) return

  if (isNotification && !isApiVersion(version)) {
    subject.error(
      ['apiVersion'],
      `${apiVersion} is not supported: flux-notify reads ${API_VERSIONS.map((v) => `${NOTIFICATION_GROUP}/${v}`).join(', ')}`,
    )
    return
  }
  if (kind === 'Alert' && isNotification) loadAlert(loader, subject, version as ApiVersion)
  else if (kind === 'Provider' && isNotification)
    loadProvider(loader, subject, version as ApiVersion)
  else if (isSecret) loadSecret(loader, subject)
  else {
    loader.objects.set(subject.ref, {
      apiVersion,
      kind,
      metadata: subject.metadata,
      location: doc.location,
    })
  }
}

/** Validates metadata, defaults the namespace and refuses a second object of the same identity. */
function identify(
  loader: Loader,
  file: ManifestFile,
  doc: YamlDocument,
  value: Plain,
  kind: string,
): Subject | undefined {
  const meta = objectMetaSchema.safeParse(stripNulls(value.metadata), { reportInput: true })
  if (!meta.success) {
    const name =
      isPlain(value.metadata) && typeof value.metadata.name === 'string' ? value.metadata.name : ''
    for (const issue of meta.error.issues) {
      const path = ['metadata', ...issue.path]
      loader.problems.push({
        severity: 'error',
        message: `${kind}${name ? ` ${name}` : ''}: ${fieldPath(path)}: ${issueMessage(issue)}`,
        location: doc.locate(path),
      })
    }
    return undefined
  }
  const namespace = meta.data.namespace || file.namespace || loader.options.defaultNamespace
  const metadata: ObjectMeta = {
    name: meta.data.name,
    namespace,
    labels: meta.data.labels ?? {},
    annotations: meta.data.annotations ?? {},
  }
  if (meta.data.uid) metadata.uid = meta.data.uid

  const ref = `${kind}/${namespace}/${metadata.name}`
  const first = loader.seen.get(ref)
  if (first) {
    loader.problems.push({
      severity: 'error',
      message: `${ref} is defined twice: in ${where(first)} and in ${where(doc.location)}; the first one is used (a fleet repository holds one directory per cluster: narrow \`manifests\` to one cluster's directory or exclude the others with \`!\` entries, or render that cluster with \`manifests-command\`)`,
      location: doc.location,
    })
    return undefined
  }
  loader.seen.set(ref, doc.location)

  const report =
    (severity: Problem['severity'], showPath: boolean) =>
    (path: FieldPath, message: string): void => {
      loader.problems.push({
        severity,
        message: showPath ? `${ref}: ${fieldPath(path)}: ${message}` : `${ref}: ${message}`,
        location: doc.locate(path),
      })
    }
  return {
    doc,
    value,
    ref,
    metadata,
    error: report('error', true),
    warning: report('warning', true),
    fail: report('error', false),
  }
}

function where(location: Location): string {
  return location.line === undefined ? location.file : `${location.file}:${location.line}`
}

// ---------------------------------------------------------------------------------------------
// Alert

function loadAlert(loader: Loader, subject: Subject, version: ApiVersion): void {
  const spec = specOf(subject, ALERT_SPEC_FIELDS[version], version)
  if (!spec) return
  for (const [i, source] of (Array.isArray(spec.eventSources) ? spec.eventSources : []).entries()) {
    warnUnknownFields(subject, ['spec', 'eventSources', i], source, EVENT_SOURCE_FIELDS, version)
  }
  const parsed = parseSpec(subject, ALERT_SPEC[version], spec)
  if (!parsed) return

  const eventSources: EventSourceRef[] = parsed.eventSources.map((s) => {
    const ref: EventSourceRef = { kind: s.kind, name: s.name, namespace: s.namespace ?? '' }
    // Absent stays undefined: the controller skips the label lookup only for a nil map.
    if (s.matchLabels !== undefined) ref.matchLabels = s.matchLabels
    if (s.apiVersion !== undefined) ref.apiVersion = s.apiVersion
    return ref
  })
  eventSources.forEach((source, i) => reportInvalidSelector(subject, source, i))
  const inclusion = parsed.inclusionList ?? []

  const value = withNamespace(subject)
  // The API server stores the CRD default, so CEL's `alert` sees it.
  value.spec = { ...(value.spec as Plain), eventSeverity: parsed.eventSeverity ?? 'info' }

  loader.alerts.push({
    apiVersion: subject.value.apiVersion as string,
    kind: 'Alert',
    metadata: subject.metadata,
    spec: {
      providerRef: { name: parsed.providerRef.name },
      eventSeverity: parsed.eventSeverity ?? 'info',
      eventSources,
      inclusionList: compilePatterns(loader, subject, 'inclusion', inclusion),
      hasInclusionList: inclusion.length > 0,
      exclusionList: compilePatterns(loader, subject, 'exclusion', parsed.exclusionList ?? []),
      eventMetadata: parsed.eventMetadata ?? {},
      summary: parsed.summary ?? '',
      suspend: parsed.suspend ?? false,
    },
    raw: value,
    location: subject.doc.location,
  })
}

/**
 * Reports each `matchLabels` entry Kubernetes would refuse as a selector. The source is kept as
 * written: at match time it matches nothing, as the controller's does (`InvalidConfig`, reference
 * §2.4), while the Alert's other sources still match. The controller would say so at every event
 * reaching the source; here it is said once, at the entry's line.
 */
function reportInvalidSelector(subject: Subject, source: EventSourceRef, index: number): void {
  if (source.matchLabels === undefined) return
  // The controller names the source with its namespace defaulted to the Alert's.
  const namespace = source.namespace || subject.metadata.namespace
  const name = `${source.kind}/${namespace}/${source.name}`
  for (const error of labelSelectorErrors(source.matchLabels)) {
    subject.fail(
      ['spec', 'eventSources', index, 'matchLabels', error.key],
      `error using matchLabels from event source ${name}: ${error.message}; this event source matches no event`,
    )
  }
}

/**
 * Compiles each pattern with RE2 (Go's `regexp` syntax). A pattern that does not compile is
 * reported with the controller's words and left out, as the controller skips it at each event.
 */
function compilePatterns(
  loader: Loader,
  subject: Subject,
  which: 'inclusion' | 'exclusion',
  patterns: readonly string[],
): CompiledPattern[] {
  const compiled: CompiledPattern[] = []
  if (patterns.length === 0) return compiled
  const engine = loader.regexEngine()
  if (engine === undefined) {
    // this load is thrown away (see `loadManifestsAsync`)
    loader.neededRegexEngine = true
    return compiled
  }
  patterns.forEach((source, i) => {
    try {
      compiled.push({ source, regex: engine.compile(source) })
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error)
      subject.fail(
        ['spec', `${which}List`, i],
        `failed to compile ${which} regex: ${source}: ${why}`,
      )
    }
  })
  return compiled
}

// ---------------------------------------------------------------------------------------------
// Provider

function loadProvider(loader: Loader, subject: Subject, version: ApiVersion): void {
  const spec = specOf(subject, PROVIDER_SPEC_FIELDS[version], version)
  if (!spec) return
  const parsed = parseSpec(subject, PROVIDER_SPEC[version], spec)
  if (!parsed) return

  const type = parsed.type
  if (!isKnownType(type)) {
    const valid = Object.keys(PROVIDER_TYPES)
      .map((t) => JSON.stringify(t))
      .join(', ')
    subject.error(
      ['spec', 'type'],
      `Unsupported value: ${JSON.stringify(type)}: supported values: ${valid}`,
    )
    return
  }
  // The CRD's CEL rule: has(self.commitStatusExpr) only for commit-status types.
  if (
    parsed.commitStatusExpr !== undefined &&
    !(COMMIT_STATUS_EXPR_TYPES as readonly string[]).includes(type)
  ) {
    subject.error(
      ['spec', 'commitStatusExpr'],
      `Invalid value: "object": ${COMMIT_STATUS_EXPR_MESSAGE}`,
    )
    return
  }

  const value = withNamespace(subject)
  // CEL's `provider.metadata.uid` (e.g. `provider.metadata.uid.split('-').first()`) must give the
  // same id as the default commit-status context, derived when the manifest has none.
  value.metadata = { ...(value.metadata as Plain), uid: providerUid(subject.metadata) }

  const ref = (r: { name: string } | undefined) => (r ? { name: r.name } : undefined)
  const provider: Provider = {
    apiVersion: subject.value.apiVersion as string,
    kind: 'Provider',
    metadata: subject.metadata,
    spec: {
      type,
      channel: parsed.channel ?? '',
      username: parsed.username ?? '',
      address: parsed.address ?? '',
      timeoutMs:
        parsed.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseGoDuration(parsed.timeout),
      proxy: parsed.proxy ?? '',
      serviceAccountName: parsed.serviceAccountName ?? '',
      commitStatusExpr: parsed.commitStatusExpr ?? '',
      suspend: parsed.suspend ?? false,
    },
    raw: value,
    location: subject.doc.location,
  }
  const secretRef = ref(parsed.secretRef)
  const certSecretRef = ref(parsed.certSecretRef)
  const proxySecretRef = ref(parsed.proxySecretRef)
  if (secretRef) provider.spec.secretRef = secretRef
  if (certSecretRef) provider.spec.certSecretRef = certSecretRef
  if (proxySecretRef) provider.spec.proxySecretRef = proxySecretRef
  loader.providers.set(namespacedKey(subject.metadata.namespace, subject.metadata.name), provider)
}

// ---------------------------------------------------------------------------------------------
// Secret

function loadSecret(loader: Loader, subject: Subject): void {
  // A SOPS-encrypted Secret holds ciphertext, not values: its values must come from the `secrets`
  // input. Reporting every encrypted Secret of a repository would only be noise.
  if ('sops' in subject.value) return
  const parsed = secretSchema.safeParse(stripNulls(subject.value), { reportInput: true })
  if (!parsed.success) {
    for (const issue of parsed.error.issues) subject.error(issue.path, issueMessage(issue))
    return
  }
  const decoded = decodeSecretData(parsed.data.data, parsed.data.stringData)
  if (decoded.invalidKeys.length > 0) {
    for (const key of decoded.invalidKeys) subject.error(['data', key], 'not valid base64')
    return
  }
  loader.secrets.set(namespacedKey(subject.metadata.namespace, subject.metadata.name), {
    metadata: { name: subject.metadata.name, namespace: subject.metadata.namespace },
    data: decoded.data,
    location: subject.doc.location,
  })
}

// ---------------------------------------------------------------------------------------------
// Secrets that cannot be read here, and placeholders left unsubstituted

/**
 * Records a Secret whose values this run cannot read (SOPS ciphertext, a SealedSecret, an
 * ExternalSecret) under the name of the Secret it stands for, so that a Provider naming it gets
 * one precise message (`resolve.ts`). Nothing of it is ever used as a value.
 */
function noteUnreadableSecret(
  loader: Loader,
  file: ManifestFile,
  doc: YamlDocument,
  value: Plain,
  description: string,
): void {
  const metadata = isPlain(value.metadata) ? value.metadata : {}
  const spec = isPlain(value.spec) ? value.spec : {}
  let name = typeof metadata.name === 'string' ? metadata.name : ''
  let keys: string[] = []
  if (value.kind === 'ExternalSecret') {
    // The Secret it creates is `spec.target.name`, its own name by default.
    const target = isPlain(spec.target) ? spec.target : {}
    if (typeof target.name === 'string' && target.name !== '') name = target.name
    if (Array.isArray(spec.data)) {
      keys = spec.data.flatMap((d) =>
        isPlain(d) && typeof d.secretKey === 'string' ? [d.secretKey] : [],
      )
    }
  } else if (value.kind === 'SealedSecret') {
    keys = isPlain(spec.encryptedData) ? Object.keys(spec.encryptedData) : []
  } else {
    // SOPS encrypts values only: the keys stay readable.
    for (const field of ['data', 'stringData']) {
      const map = value[field]
      if (isPlain(map)) keys.push(...Object.keys(map))
    }
  }
  if (name === '') return
  const namespace =
    (typeof metadata.namespace === 'string' && metadata.namespace) ||
    file.namespace ||
    loader.options.defaultNamespace
  const key = namespacedKey(namespace, name)
  if (loader.unreadableSecrets.has(key)) return
  loader.unreadableSecrets.set(key, {
    metadata: { name, namespace },
    description,
    keys: [...new Set(keys)],
    location: doc.location,
  })
}

/**
 * Reports the `${…}` placeholders substitution left in an Alert, Provider or Secret. In a field
 * that decides where or whether something is sent (names, namespaces, a Provider's spec, an
 * Alert's provider and sources, a Secret's values) it is an error and the object is left out
 * (returns true): a literal `${…}` must never become an address. Elsewhere (an Alert's `summary`
 * or `eventMetadata`) it is a warning and the text stays as written.
 */
function reportPlaceholders(
  loader: Loader,
  file: ManifestFile,
  doc: YamlDocument,
  value: Plain,
  kind: string,
  substituted: { placeholders: Placeholder[]; errors: { path: FieldPath; message: string }[] },
): boolean {
  if (substituted.placeholders.length === 0 && substituted.errors.length === 0) return false
  const metadata = isPlain(value.metadata) ? value.metadata : {}
  const name = typeof metadata.name === 'string' ? metadata.name : ''
  const namespace =
    (typeof metadata.namespace === 'string' && metadata.namespace) ||
    file.namespace ||
    loader.options.defaultNamespace
  const ref = `${kind}/${namespace}/${name}`
  const configured =
    loader.options.substitute !== undefined && loader.options.substitute.vars.size > 0

  let stop = false
  for (const { path, message } of substituted.errors) {
    loader.problems.push({
      severity: 'error',
      message: `${ref}: ${fieldPath(path)}: ${message}`,
      location: doc.locate(path),
    })
    stop = true
  }
  const reported = new Set<string>()
  const secretVars: string[] = []
  for (const placeholder of substituted.placeholders) {
    const critical = isCriticalPath(kind, placeholder.path)
    const key = `${fieldPath(placeholder.path)}:${placeholder.name}`
    if (reported.has(key)) continue
    reported.add(key)
    if (kind === 'Secret' && critical) {
      secretVars.push(placeholder.name)
      continue
    }
    loader.problems.push({
      severity: critical ? 'error' : 'warning',
      message: `${ref}: ${fieldPath(placeholder.path)}: ${placeholderMessage(placeholder, configured)}${critical ? `; the ${kind} is left out` : ''}`,
      location: doc.locate(placeholder.path),
    })
    if (critical) stop = true
  }
  if (secretVars.length > 0) {
    // A Provider naming this Secret is told what to do (resolve.ts); the Secret itself is noted.
    const keys = ['data', 'stringData'].flatMap((f) =>
      isPlain(value[f]) ? Object.keys(value[f]) : [],
    )
    const key = namespacedKey(namespace, name)
    if (name !== '' && !loader.unreadableSecrets.has(key)) {
      loader.unreadableSecrets.set(key, {
        metadata: { name, namespace },
        description: `a Secret whose values hold unsubstituted ${[...new Set(secretVars)].map((v) => `\${${v}}`).join(', ')}`,
        keys: [...new Set(keys)],
        location: doc.location,
      })
    }
    loader.problems.push({
      severity: 'warning',
      message: `${ref}: ${[...new Set(secretVars)].map((v) => `\${${v}}`).join(', ')} ${secretVars.length > 1 ? 'have' : 'has'} no value; the Secret is not used (supply its values with the \`secrets\` input, or the variables with \`substitute\`/\`substitute-from\`)`,
      location: doc.location,
    })
    stop = true
  }
  return stop
}

function placeholderMessage(placeholder: Placeholder, configured: boolean): string {
  if (placeholder.nestedIn !== undefined) {
    const inner = expand(placeholder.nestedIn, undefined).unresolved
    const shown = inner.length > 0 ? inner.map((v) => `\${${v}}`).join(', ') : 'a placeholder'
    return `the value of \${${placeholder.name}} holds ${shown}, which Flux does not substitute again (one pass); give ${placeholder.name} its final value`
  }
  const variable = `\${${placeholder.name}}`
  return configured
    ? `${variable} has no value: set ${placeholder.name} in the \`substitute\` input, or name the Flux Kustomization whose postBuild defines it in \`substitute-from\``
    : `${variable} is not substituted: no variables are configured (set the \`substitute\` or \`substitute-from\` input)`
}

/** Whether a placeholder at `path` would change where, whether or how a notification is sent. */
function isCriticalPath(kind: string, path: FieldPath): boolean {
  const [first, second] = path
  if (first === 'apiVersion' || first === 'kind') return true
  if (first === 'metadata') return second === 'name' || second === 'namespace'
  if (kind === 'Provider') return first === 'spec'
  if (kind === 'Alert')
    return first === 'spec' && second !== 'summary' && second !== 'eventMetadata'
  if (kind === 'Secret') return first === 'data' || first === 'stringData'
  return false
}

// ---------------------------------------------------------------------------------------------
// Shared steps

/** The `spec` map, null fields dropped; unknown fields warned about. Undefined when unusable. */
function specOf(
  subject: Subject,
  known: readonly string[],
  version: ApiVersion,
): Plain | undefined {
  const spec = stripNulls(subject.value.spec)
  if (spec === undefined) {
    subject.error(['spec'], 'Required value')
    return undefined
  }
  if (!isPlain(spec)) {
    subject.error(['spec'], 'expected a map')
    return undefined
  }
  warnUnknownFields(subject, ['spec'], spec, known, version)
  return spec
}

/**
 * The API server drops fields its schema does not know (with a warning): so do we, and say so.
 * This is how a v1beta1 Alert's `inclusionList` or a typo such as `exclusionlist` shows up.
 */
function warnUnknownFields(
  subject: Subject,
  path: FieldPath,
  value: unknown,
  known: readonly string[],
  version: ApiVersion,
): void {
  if (!isPlain(value)) return
  const kind = subject.value.kind as string
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue
    subject.warning(
      [...path, key],
      `unknown field in ${NOTIFICATION_GROUP}/${version} ${kind}; it is ignored, as the API server drops it`,
    )
  }
}

function parseSpec<T>(subject: Subject, schema: z.ZodMiniType<T>, spec: Plain): T | undefined {
  const result = schema.safeParse(spec, { reportInput: true })
  if (result.success) return result.data
  for (const issue of result.error.issues)
    subject.error(['spec', ...issue.path], issueMessage(issue))
  return undefined
}

/** The document as written, with the namespace it was given. */
function withNamespace(subject: Subject): Plain {
  const value: Plain = structuredClone(subject.value)
  value.metadata = { ...(value.metadata as Plain), namespace: subject.metadata.namespace }
  return value
}

/** A `List` item as a document of its own, its positions still pointing into the file. */
function itemDocument(doc: YamlDocument, prefix: FieldPath, value: unknown): YamlDocument {
  return {
    value,
    location: doc.locate(prefix),
    locate: (path) => doc.locate([...prefix, ...path]),
  }
}

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Drops map entries whose value is null, at any depth: the API server prunes nulls of
 * non-nullable fields, so `summary:` with nothing after it is the same as no summary. (List items
 * are kept: a null in a list is an error there too.)
 */
function stripNulls(value: unknown): unknown {
  if (value === null) return undefined
  if (Array.isArray(value)) return value.map((item) => (item === null ? null : stripNulls(item)))
  if (!isPlain(value)) return value
  const out: Plain = {}
  for (const [key, v] of Object.entries(value)) {
    if (v !== null) out[key] = stripNulls(v)
  }
  return out
}
