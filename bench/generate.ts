/**
 * Deterministic inputs for the benchmark: a fleet of Flux objects, Alerts and Providers, and the
 * events those objects produce, as a Kubernetes API server lists them (core/v1 `EventList`) and as
 * a `generic` webhook receives them (NDJSON, one processed Flux event per line).
 *
 * Everything comes from one seeded generator, so two runs (and two machines) read the same bytes.
 * Formats follow the event-data reference (§1.3 metadata per controller, §2 reasons and messages,
 * §5.2 core/v1 items, §5.3 generic bodies) and the controller reference (§2 Alert, §4 Provider).
 */
import { createWriteStream } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { once } from 'node:events'

/** mulberry32: small, fast and good enough to make realistic-looking data repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Random = () => number

function hex(random: Random, length: number): string {
  let out = ''
  while (out.length < length)
    out += Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, '0')
  return out.slice(0, length)
}

function uuid(random: Random): string {
  const h = hex(random, 32)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!
}

/** Go's `time.Duration.String()` for a duration under a minute, e.g. `2.143615391s`. */
function goSeconds(random: Random, max: number): string {
  const nanos = Math.floor(random() * max * 1e9)
  const whole = Math.floor(nanos / 1e9)
  const fraction = String(nanos % 1e9)
    .padStart(9, '0')
    .replace(/0+$/u, '')
  return fraction === '' ? `${whole}s` : `${whole}.${fraction}s`
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/u, 'Z')
}

// ─── The fleet ──────────────────────────────────────────────────────────────────────────────────

export type FluxKind = 'GitRepository' | 'HelmRepository' | 'Kustomization' | 'HelmRelease'

export interface FluxObject {
  kind: FluxKind
  apiVersion: string
  namespace: string
  name: string
  uid: string
  labels: Record<string, string>
  /** Kustomizations: the GitRepository (same namespace) whose commits they apply */
  source?: string
}

const API_VERSION: Record<FluxKind, string> = {
  GitRepository: 'source.toolkit.fluxcd.io/v1',
  HelmRepository: 'source.toolkit.fluxcd.io/v1',
  Kustomization: 'kustomize.toolkit.fluxcd.io/v1',
  HelmRelease: 'helm.toolkit.fluxcd.io/v2',
}

const CONTROLLER: Record<FluxKind, string> = {
  GitRepository: 'source-controller',
  HelmRepository: 'source-controller',
  Kustomization: 'kustomize-controller',
  HelmRelease: 'helm-controller',
}

const TIERS = ['frontend', 'backend', 'data']
const TEAMS = ['platform', 'payments', 'search', 'identity']

export const THROUGHPUT_NAMESPACES = 20

export function namespaceName(index: number): string {
  return `tenant-${String(index).padStart(2, '0')}`
}

/** 200 objects: per namespace 2 GitRepositories, 1 HelmRepository, 4 Kustomizations, 3 HelmReleases. */
export function fleetObjects(random: Random, namespaces = THROUGHPUT_NAMESPACES): FluxObject[] {
  const objects: FluxObject[] = []
  let n = 0
  const add = (kind: FluxKind, namespace: string, name: string, source?: string) => {
    objects.push({
      kind,
      apiVersion: API_VERSION[kind],
      namespace,
      name,
      uid: uuid(random),
      labels: {
        'app.kubernetes.io/part-of': namespace,
        tier: TIERS[n % TIERS.length]!,
        team: TEAMS[n % TEAMS.length]!,
      },
      ...(source === undefined ? {} : { source }),
    })
    n++
  }
  for (let i = 0; i < namespaces; i++) {
    const ns = namespaceName(i)
    add('GitRepository', ns, 'repo-0')
    add('GitRepository', ns, 'repo-1')
    add('HelmRepository', ns, 'charts')
    for (let k = 0; k < 4; k++) add('Kustomization', ns, `app-${k}`, `repo-${k % 2}`)
    for (let r = 0; r < 3; r++) add('HelmRelease', ns, `release-${r}`)
  }
  return objects
}

/** The Flux objects as manifests: flux-notify reads only their labels (for `matchLabels`). */
export function fluxObjectsYaml(objects: readonly FluxObject[]): string {
  return objects
    .map((o) =>
      [
        `apiVersion: ${o.apiVersion}`,
        `kind: ${o.kind}`,
        'metadata:',
        `  name: ${o.name}`,
        `  namespace: ${o.namespace}`,
        '  labels:',
        ...Object.entries(o.labels).map(([k, v]) => `    ${k}: ${v}`),
        'spec:',
        '  interval: 10m',
      ].join('\n'),
    )
    .join('\n---\n')
}

const CHAT_TYPES = [
  'slack',
  'msteams',
  'discord',
  'googlechat',
  'rocket',
  'generic',
  'generic-hmac',
]

/**
 * 40 Providers and 200 Alerts over 20 namespaces: per namespace a chat Provider and either a
 * GitHub commit-status Provider (even namespaces) or a second chat Provider, and ten Alerts using
 * wildcards, exact names, cross-namespace sources, matchLabels, inclusion/exclusion regexes
 * (RE2), severities, summaries, eventMetadata and one suspended Alert in five.
 */
export function throughputManifests(namespaces = THROUGHPUT_NAMESPACES): {
  yaml: string
  providers: number
  alerts: number
} {
  const docs: string[] = []
  let providers = 0
  let alerts = 0
  const provider = (ns: string, name: string, type: string, extra: string[] = []) => {
    providers++
    const address =
      type === 'github'
        ? `https://github.com/fleet/${ns}`
        : `https://hooks.example.com/${type}/${ns}/${name}`
    docs.push(
      [
        'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
        'kind: Provider',
        'metadata:',
        `  name: ${name}`,
        `  namespace: ${ns}`,
        'spec:',
        `  type: ${type}`,
        `  address: ${address}`,
        ...(type === 'github' || type === 'generic-hmac' || type === 'slack'
          ? ['  secretRef:', `    name: ${type}-token`]
          : []),
        ...(type === 'slack' ? ['  channel: deployments'] : []),
        ...extra,
      ].join('\n'),
    )
  }
  const alert = (ns: string, name: string, providerName: string, spec: string[]) => {
    alerts++
    docs.push(
      [
        'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
        'kind: Alert',
        'metadata:',
        `  name: ${name}`,
        `  namespace: ${ns}`,
        'spec:',
        '  providerRef:',
        `    name: ${providerName}`,
        ...spec,
      ].join('\n'),
    )
  }
  for (let i = 0; i < namespaces; i++) {
    const ns = namespaceName(i)
    const next = namespaceName((i + 1) % namespaces)
    const chat = 'chat'
    const second = i % 2 === 0 ? 'commit-status' : 'chat-2'
    provider(ns, chat, CHAT_TYPES[i % CHAT_TYPES.length]!)
    if (i % 2 === 0) provider(ns, second, 'github')
    else provider(ns, second, CHAT_TYPES[(i + 3) % CHAT_TYPES.length]!)
    for (const s of [ns]) {
      const secret = (name: string, value: string) =>
        docs.push(
          [
            'apiVersion: v1',
            'kind: Secret',
            'metadata:',
            `  name: ${name}`,
            `  namespace: ${s}`,
            'stringData:',
            `  token: ${value}`,
          ].join('\n'),
        )
      secret('github-token', `ghp_bench${i}xxxxxxxxxxxxxxxxxxxxxxxxxxx`)
      secret('generic-hmac-token', `hmac-bench-${i}`)
      secret('slack-token', `xoxb-bench-${i}`)
    }
    alert(ns, 'kustomizations', chat, [
      '  eventSeverity: info',
      '  eventSources:',
      '    - kind: Kustomization',
      "      name: '*'",
    ])
    alert(ns, 'errors', chat, [
      '  eventSeverity: error',
      '  eventSources:',
      ...['GitRepository', 'HelmRepository', 'Kustomization', 'HelmRelease'].flatMap((kind) => [
        `    - kind: ${kind}`,
        "      name: '*'",
      ]),
    ])
    alert(ns, 'helm-releases', chat, [
      '  eventSources:',
      '    - kind: HelmRelease',
      "      name: '*'",
      '  exclusionList:',
      "    - '^Helm test succeeded'",
    ])
    alert(ns, 'frontend', chat, [
      '  eventSources:',
      '    - kind: Kustomization',
      "      name: '*'",
      '      matchLabels:',
      '        tier: frontend',
      '    - kind: HelmRelease',
      "      name: '*'",
      '      matchLabels:',
      '        tier: frontend',
    ])
    alert(ns, 'sources', chat, [
      `  summary: 'sources of ${ns}'`,
      '  eventSources:',
      '    - kind: GitRepository',
      "      name: '*'",
      '  inclusionList:',
      "    - '^stored artifact for commit .*'",
    ])
    if (i % 2 === 0) {
      alert(ns, 'commit-status', second, [
        '  eventSources:',
        '    - kind: Kustomization',
        "      name: '*'",
      ])
    } else {
      alert(ns, 'release-1', second, [
        '  eventSources:',
        '    - kind: HelmRelease',
        '      name: release-1',
      ])
    }
    alert(ns, 'neighbour', chat, [
      '  eventSources:',
      '    - kind: Kustomization',
      "      name: '*'",
      `      namespace: ${next}`,
    ])
    alert(ns, 'platform-team', second, [
      '  eventSources:',
      '    - kind: HelmRelease',
      "      name: '*'",
      '      matchLabels:',
      '        team: platform',
      '    - kind: Kustomization',
      "      name: '*'",
      '      matchLabels:',
      '        team: platform',
    ])
    alert(ns, 'named', chat, [
      ...(i % 5 === 4 ? ['  suspend: true'] : []),
      '  eventSources:',
      '    - kind: Kustomization',
      '      name: app-2',
      '    - kind: HelmRelease',
      '      name: release-0',
    ])
    alert(ns, 'reconciliations', chat, [
      '  eventMetadata:',
      `    cluster: bench-${i % 4}`,
      '    env: production',
      '  eventSources:',
      '    - kind: Kustomization',
      "      name: '*'",
      '  inclusionList:',
      "    - '(?i)reconciliation (finished|failed)'",
      "    - '^health check failed after'",
      '  exclusionList:',
      "    - 'next run in 1m0s$'",
    ])
  }
  return { yaml: docs.join('\n---\n') + '\n', providers, alerts }
}

// ─── Events ─────────────────────────────────────────────────────────────────────────────────────

/** One event as a controller records it: prefixed metadata, Kubernetes type. */
export interface GeneratedEvent {
  object: FluxObject
  type: 'Normal' | 'Warning'
  reason: string
  message: string
  /** prefixed keys, as the controller sends them */
  metadata: Record<string, string>
  timeMs: number
}

const SUBJECTS = [
  'Update podinfo to 6.5.4',
  'Bump ingress-nginx chart to 4.10.1',
  'Scale search workers to 6 replicas',
  'Rotate payment gateway certificates',
  'Add network policy for identity namespace',
  'Enable HPA for frontend',
  'Roll back cache image tag',
  'Set resource limits on batch jobs',
]

/** The events of `objects`, `count` of them from `startMs`, about 5% Warning. */
export function* fleetEvents(
  random: Random,
  objects: readonly FluxObject[],
  count: number,
  startMs = Date.UTC(2026, 6, 20, 0, 0, 0),
): Generator<GeneratedEvent> {
  const byKind = (kind: FluxKind) => objects.filter((o) => o.kind === kind)
  const weighted: [number, FluxObject[]][] = [
    [0.45, byKind('Kustomization')],
    [0.25, byKind('HelmRelease')],
    [0.2, byKind('GitRepository')],
    [0.1, byKind('HelmRepository')],
  ]
  // each GitRepository's current commit; a new artifact moves it on
  const commits = new Map<string, string>()
  const chartVersions = new Map<string, number>()
  let time = startMs
  for (let i = 0; i < count; i++) {
    time += Math.floor(random() * 3000)
    let roll = random()
    let pool = weighted[0]![1]
    for (const [weight, objectsOfKind] of weighted) {
      pool = objectsOfKind
      if (roll < weight) break
      roll -= weight
    }
    const object = pick(random, pool)
    const group = object.apiVersion.split('/')[0]!
    const r = random()
    const repoKey = `${object.namespace}/${object.source ?? object.name}`
    let commit = commits.get(repoKey)
    if (commit === undefined) {
      commit = hex(random, 40)
      commits.set(repoKey, commit)
    }
    const base = { object, timeMs: time }
    switch (object.kind) {
      case 'GitRepository': {
        if (r < 0.05) {
          yield {
            ...base,
            type: 'Warning',
            reason: 'GitOperationFailed',
            message: `failed to checkout and determine revision: unable to clone 'ssh://git@github.com/fleet/${object.namespace}': context deadline exceeded`,
            metadata: {},
          }
        } else if (r < 0.15) {
          // a trace event: recorded in Kubernetes, never sent to the controller
          yield {
            ...base,
            type: 'Normal',
            reason: 'ArtifactUpToDate',
            message: `artifact up-to-date with remote revision: 'main@sha1:${commit}'`,
            metadata: {},
          }
        } else {
          commit = hex(random, 40)
          commits.set(repoKey, commit)
          yield {
            ...base,
            type: 'Normal',
            reason: 'NewArtifact',
            message: `stored artifact for commit '${pick(random, SUBJECTS)}'`,
            metadata: {
              [`${group}/revision`]: `main@sha1:${commit}`,
              [`${group}/digest`]: `sha256:${hex(random, 64)}`,
            },
          }
        }
        break
      }
      case 'HelmRepository': {
        const failed = r < 0.02
        yield {
          ...base,
          type: failed ? 'Warning' : 'Normal',
          reason: failed ? 'IndexationFailed' : 'NewArtifact',
          message: failed
            ? `failed to fetch Helm repository index: failed to cache index to temporary file: Get "https://charts.example.com/${object.namespace}/index.yaml": dial tcp: i/o timeout`
            : `stored fetched index of ${(1 + random() * 4).toFixed(1)} MiB from 'https://charts.example.com/${object.namespace}'`,
          metadata: failed
            ? {}
            : {
                [`${group}/revision`]: `sha256:${hex(random, 64)}`,
                [`${group}/digest`]: `sha256:${hex(random, 64)}`,
              },
        }
        break
      }
      case 'Kustomization': {
        const revision = { [`${group}/revision`]: `main@sha1:${commit}` }
        if (r < 0.04) {
          yield {
            ...base,
            type: 'Warning',
            reason: 'HealthCheckFailed',
            message: `health check failed after ${goSeconds(random, 60)}: timeout waiting for: [Deployment/${object.namespace}/${object.name} status: 'InProgress']`,
            metadata: revision,
          }
        } else if (r < 0.05) {
          yield {
            ...base,
            type: 'Warning',
            reason: 'ReconciliationFailed',
            message: `Deployment/${object.namespace}/${object.name} dry-run failed: spec.template.spec.containers[0].image: Required value`,
            metadata: revision,
          }
        } else if (r < 0.4) {
          yield {
            ...base,
            type: 'Normal',
            reason: 'Progressing',
            message: `Deployment/${object.namespace}/${object.name} configured\nService/${object.namespace}/${object.name} unchanged`,
            metadata: revision,
          }
        } else if (r < 0.5) {
          yield {
            ...base,
            type: 'Normal',
            reason: 'Progressing',
            message: `Health check passed in ${goSeconds(random, 30)}`,
            metadata: revision,
          }
        } else {
          yield {
            ...base,
            type: 'Normal',
            reason: 'ReconciliationSucceeded',
            message: `Reconciliation finished in ${goSeconds(random, 5)}, next run in ${pick(random, ['1m0s', '5m0s', '10m0s'])}`,
            metadata: { ...revision, [`${group}/commit_status`]: 'update' },
          }
        }
        break
      }
      case 'HelmRelease': {
        const key = `${object.namespace}/${object.name}`
        let version = chartVersions.get(key) ?? 0
        if (r >= 0.3) chartVersions.set(key, ++version)
        const release = `${object.namespace}/${object.name}.v${version + 1}`
        const chart = `${object.name}@1.${Math.floor(version / 10)}.${version % 10}`
        const metadata = {
          [`${group}/revision`]: `1.${Math.floor(version / 10)}.${version % 10}`,
          [`${group}/token`]: `sha256:${hex(random, 64)}`,
          [`${group}/app-version`]: `2.${version % 7}.0`,
        }
        if (r < 0.06) {
          yield {
            ...base,
            type: 'Warning',
            reason: 'UpgradeFailed',
            message: `Helm upgrade failed for release ${object.namespace}/${object.name} with chart ${chart}: context deadline exceeded`,
            metadata,
          }
        } else if (r < 0.3) {
          yield {
            ...base,
            type: 'Normal',
            reason: 'TestSucceeded',
            message: `Helm test succeeded for release ${release} with chart ${chart}: 3 test hooks completed successfully`,
            metadata,
          }
        } else {
          yield {
            ...base,
            type: 'Normal',
            reason: 'UpgradeSucceeded',
            message: `Helm upgrade succeeded for release ${release} with chart ${chart}`,
            metadata,
          }
        }
        break
      }
    }
  }
}

/**
 * A core/v1 Event item as the API server lists it (`GET /api/v1/events`): no per-item
 * apiVersion/kind, annotations carrying the controller's prefixed metadata, no reportingInstance.
 */
export function coreEventItem(event: GeneratedEvent, index: number): unknown {
  const { object } = event
  const at = isoSeconds(event.timeMs)
  const controller = CONTROLLER[object.kind]
  return {
    metadata: {
      name: `${object.name}.${(event.timeMs * 1e6 + index).toString(16)}`,
      namespace: object.namespace,
      uid: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      resourceVersion: String(200000 + index),
      creationTimestamp: at,
      ...(Object.keys(event.metadata).length > 0 ? { annotations: event.metadata } : {}),
    },
    involvedObject: {
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      uid: object.uid,
      apiVersion: object.apiVersion,
      resourceVersion: String(100000 + (index % 5000)),
    },
    reason: event.reason,
    message: event.message,
    source: { component: controller },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    type: event.type,
    eventTime: null,
    reportingComponent: controller,
    reportingInstance: '',
  }
}

/**
 * A Flux event as a `generic` webhook receives it (event-data §5.3): metadata keys without their
 * prefix, the `token` key removed, `reportingInstance` set. Trace events never reach one.
 */
export function genericBody(event: GeneratedEvent, index: number): unknown {
  const { object } = event
  const metadata: Record<string, string> = {}
  for (const [key, value] of Object.entries(event.metadata)) {
    const bare = key.slice(key.indexOf('/') + 1)
    if (bare === 'token' || bare === 'digest') continue
    metadata[bare] = value
  }
  return {
    involvedObject: {
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      uid: object.uid,
      apiVersion: object.apiVersion,
      resourceVersion: String(100000 + (index % 5000)),
    },
    severity: event.type === 'Warning' ? 'error' : 'info',
    timestamp: isoSeconds(event.timeMs),
    message: event.message,
    reason: event.reason,
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    reportingController: CONTROLLER[object.kind],
    reportingInstance: `${CONTROLLER[object.kind]}-5f7c8d9b6c-x2x9l`,
  }
}

const TRACE_REASONS = new Set(['ArtifactUpToDate'])

/** Writes text in pieces, waiting for the stream to drain (files of hundreds of MB). */
async function writeLines(file: string, lines: Iterable<string>): Promise<number> {
  const stream = createWriteStream(file)
  let bytes = 0
  let buffer = ''
  for (const line of lines) {
    buffer += line
    if (buffer.length > 1 << 20) {
      bytes += Buffer.byteLength(buffer)
      if (!stream.write(buffer)) await once(stream, 'drain')
      buffer = ''
    }
  }
  bytes += Buffer.byteLength(buffer)
  stream.end(buffer)
  await once(stream, 'finish')
  return bytes
}

export interface ThroughputInputs {
  dir: string
  manifestsDir: string
  providers: number
  alerts: number
  objects: number
}

export const SEED = 0x5eed_f1f0

/** The fleet's manifests in `<dir>/manifests`: Alerts, Providers, Secrets and the Flux objects. */
export async function writeThroughputFleet(dir: string): Promise<ThroughputInputs> {
  const random = seededRandom(SEED)
  const objects = fleetObjects(random)
  const manifestsDir = join(dir, 'manifests')
  await mkdir(manifestsDir, { recursive: true })
  const manifests = throughputManifests()
  await writeFile(join(manifestsDir, 'notifications.yaml'), manifests.yaml)
  await writeFile(join(manifestsDir, 'flux-objects.yaml'), fluxObjectsYaml(objects) + '\n')
  return {
    dir,
    manifestsDir,
    providers: manifests.providers,
    alerts: manifests.alerts,
    objects: objects.length,
  }
}

/** Same objects (same uids) as `writeThroughputFleet`, so events and manifests agree. */
function objectsForEvents(): FluxObject[] {
  return fleetObjects(seededRandom(SEED))
}

/** A copy with object keys in alphabetical order at every level (how kubectl prints JSON). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort())
    out[key] = sortKeys((value as Record<string, unknown>)[key])
  return out
}

/**
 * `count` events as a core/v1 list, in one of two shapes:
 * - `kubectl`: what `kubectl get events -A -o json` prints (event-data §5.2): a `List`, four-space
 *   indent, keys in alphabetical order, each item with its own `apiVersion`/`kind`;
 * - `api`: what the API server answers to `GET /api/v1/events`: an `EventList` on one line.
 */
export async function writeEventList(
  file: string,
  count: number,
  style: 'kubectl' | 'api',
): Promise<{ bytes: number; warnings: number }> {
  const random = seededRandom(SEED + count)
  let warnings = 0
  let index = 0
  const lines = function* (): Generator<string> {
    yield style === 'api'
      ? `{"kind":"EventList","apiVersion":"v1","metadata":{"resourceVersion":"${300000 + count}"},"items":[`
      : '{\n    "apiVersion": "v1",\n    "items": ['
    for (const event of fleetEvents(random, objectsForEvents(), count)) {
      if (event.type === 'Warning') warnings++
      const item = coreEventItem(event, index)
      if (style === 'api') {
        yield (index > 0 ? ',' : '') + JSON.stringify(item)
      } else {
        const text = JSON.stringify(
          sortKeys({ apiVersion: 'v1', kind: 'Event', ...(item as object) }),
          null,
          4,
        )
        yield (index > 0 ? ',\n' : '\n') + text.replace(/^/gmu, '        ')
      }
      index++
    }
    yield style === 'api'
      ? ']}\n'
      : '\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n'
  }
  const bytes = await writeLines(file, lines())
  return { bytes, warnings }
}

/** `count` generic-webhook bodies, one per line (trace events are not sent, so none here). */
export async function writeNdjson(file: string, count: number): Promise<{ bytes: number }> {
  const random = seededRandom(SEED + count)
  const lines = function* (): Generator<string> {
    let index = 0
    for (const event of fleetEvents(random, objectsForEvents(), Number.MAX_SAFE_INTEGER)) {
      if (TRACE_REASONS.has(event.reason)) continue
      yield JSON.stringify(genericBody(event, index)) + '\n'
      if (++index === count) return
    }
  }
  return { bytes: await writeLines(file, lines()) }
}
