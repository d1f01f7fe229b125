/**
 * The shared test fixtures: Flux events, Alert and Provider manifests, resolved providers and
 * configs the way `src/manifests/` and `src/events/` would hand them over, with only the fields a
 * test cares about spelled out. Builders only: expected values stay written out in the tests.
 */
import { RE2JS } from 're2js'
import type { FluxEvent, SourcedEvent } from '../../src/events/model.js'
import type {
  Alert,
  Config,
  EventSourceRef,
  FluxObject,
  Location,
  Provider,
} from '../../src/manifests/model.js'
import type { ResolvedProvider } from '../../src/providers/types.js'

// ---- manifests ------------------------------------------------------------------------------

export function source(
  kind: string,
  name: string,
  namespace = '',
  matchLabels?: Record<string, string>,
): EventSourceRef {
  const ref: EventSourceRef = { kind, name, namespace }
  if (matchLabels !== undefined) ref.matchLabels = matchLabels
  return ref
}

export interface AlertOptions {
  name?: string
  namespace?: string
  provider?: string
  severity?: string
  sources?: EventSourceRef[]
  inclusion?: string[]
  /** as if the manifest had an inclusion list whose patterns all failed to compile */
  hasInclusionList?: boolean
  exclusion?: string[]
  eventMetadata?: Record<string, string>
  summary?: string
  suspend?: boolean
  location?: Location
}

export function alert(options: AlertOptions = {}): Alert {
  const compile = (patterns: string[]) =>
    patterns.map((p) => ({ source: p, regex: RE2JS.compile(p) }))
  const inclusion = options.inclusion ?? []
  return {
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Alert',
    metadata: {
      name: options.name ?? 'test-alert',
      namespace: options.namespace ?? 'foo-ns',
      labels: {},
      annotations: {},
    },
    spec: {
      providerRef: { name: options.provider ?? 'test-provider' },
      eventSeverity: options.severity ?? 'info',
      eventSources: options.sources ?? [source('Bucket', 'hyacinth')],
      inclusionList: compile(inclusion),
      hasInclusionList: options.hasInclusionList ?? inclusion.length > 0,
      exclusionList: compile(options.exclusion ?? []),
      eventMetadata: options.eventMetadata ?? {},
      summary: options.summary ?? '',
      suspend: options.suspend ?? false,
    },
    raw: {},
    location: options.location ?? { file: 'alerts.yaml', line: 1 },
  }
}

/** Any `spec` field but the type, plus the metadata and location a test wants to pin. */
export interface ProviderOptions extends Partial<Omit<Provider['spec'], 'type'>> {
  name?: string
  namespace?: string
  uid?: string
  location?: Location
}

/**
 * A Provider manifest as `loadManifests` returns it: `test-provider` in `foo-ns`, posting to a
 * closed local port, every other spec field at its CRD default unless overridden.
 */
export function providerManifest(type: string, overrides: ProviderOptions = {}): Provider {
  const {
    name = 'test-provider',
    namespace = 'foo-ns',
    uid,
    location = { file: 'providers.yaml', line: 1 },
    ...spec
  } = overrides
  const metadata: Provider['metadata'] = { name, namespace, labels: {}, annotations: {} }
  if (uid !== undefined) metadata.uid = uid
  return {
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Provider',
    metadata,
    spec: {
      type,
      channel: '',
      username: '',
      address: 'http://127.0.0.1:1/hook',
      timeoutMs: 15_000,
      proxy: '',
      serviceAccountName: '',
      commitStatusExpr: '',
      suspend: false,
      ...spec,
    },
    raw: {},
    location,
  }
}

/** `p` resolved without a Secret: key, uid, address, channel and timeout come from the manifest. */
export function resolve(p: Provider): ResolvedProvider {
  return {
    provider: p,
    type: p.spec.type,
    key: `${p.metadata.namespace}/${p.metadata.name}`,
    uid: p.metadata.uid ?? '0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a',
    address: p.spec.address,
    channel: p.spec.channel,
    username: '',
    password: '',
    token: '',
    headers: {},
    secretData: {},
    timeoutMs: p.spec.timeoutMs,
    proxy: '',
    secretValues: [],
  }
}

/**
 * A resolved provider of `type`: `resolve(overrides.provider ?? providerManifest(type))`, then
 * `overrides` on top (a token, headers, an address from the secret…).
 */
export function resolvedProvider(
  type: string,
  overrides: Partial<ResolvedProvider> = {},
): ResolvedProvider {
  return { ...resolve(overrides.provider ?? providerManifest(type)), ...overrides }
}

// ---- configs --------------------------------------------------------------------------------

export function fluxObject(
  kind: string,
  namespace: string,
  name: string,
  labels: Record<string, string>,
): FluxObject {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind,
    metadata: { name, namespace, labels, annotations: {} },
    location: { file: 'objects.yaml', line: 1 },
  }
}

export function config(
  alerts: Alert[],
  providers: Provider[] = [],
  objects: FluxObject[] = [],
): Config {
  return {
    alerts,
    providers: new Map(providers.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p])),
    secrets: new Map(),
    objects: new Map(
      objects.map((o) => [`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o]),
    ),
    problems: [],
  }
}

export function resolvedMap(
  providers: Provider[],
): Map<string, ResolvedProvider | { error: string }> {
  return new Map(providers.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, resolve(p)]))
}

// ---- events ---------------------------------------------------------------------------------

/** `testEvent()` of upstream's client_test.go, timestamp pinned to time.Unix(1664520029, 0). */
export function testEvent(): FluxEvent {
  return {
    involvedObject: { kind: 'GitRepository', namespace: 'gitops-system', name: 'webapp' },
    severity: 'info',
    timestamp: '2022-09-30T06:40:29Z',
    message: 'message',
    reason: 'reason',
    metadata: { test: 'metadata' },
    reportingController: 'source-controller',
    reportingInstance: 'source-controller-xyz',
  }
}

/** §8.2: the same event as an error, with a uid and a message that needs HTML escaping. */
export function errorTestEvent(): FluxEvent {
  const event = testEvent()
  return {
    ...event,
    involvedObject: { ...event.involvedObject, uid: '7d0cdc51-ddcf-4743-b223-83ca5c699632' },
    severity: 'error',
    reason: 'HealthCheckFailed',
    message: 'apply failed: <b>&"x"</b>\nsecond line',
  }
}

export interface EventOptions {
  kind?: string
  namespace?: string
  name?: string
  apiVersion?: string
  severity?: string
  message?: string
  reason?: string
  metadata?: Record<string, string>
  timestamp?: string | null
}

/** A routing-test event: Bucket `foo-ns/hyacinth` from source-controller, only what is asked set. */
export function event(options: EventOptions = {}): FluxEvent {
  const e: FluxEvent = {
    involvedObject: {
      kind: options.kind ?? 'Bucket',
      namespace: options.namespace ?? 'foo-ns',
      name: options.name ?? 'hyacinth',
      apiVersion: options.apiVersion ?? 'source.toolkit.fluxcd.io/v1',
    },
    severity: options.severity ?? 'info',
    timestamp: options.timestamp === undefined ? '2024-05-01T10:00:00Z' : options.timestamp,
    message: options.message ?? 'message',
    reason: options.reason ?? 'reason',
    reportingController: 'source-controller',
  }
  if (options.metadata !== undefined) e.metadata = options.metadata
  return e
}

/** An event read from `events.json`, the `index`-th of its source, at its own timestamp. */
export function sourced(e: FluxEvent, index = 0): SourcedEvent {
  return {
    event: e,
    origin: { source: 'events.json', index },
    time: e.timestamp === null ? NaN : Date.parse(e.timestamp),
  }
}

/**
 * The Kustomization's end-of-reconcile event (event-data reference §2.1) for commit `sha`, with
 * unprefixed metadata as the Git notifiers receive it.
 */
export function reconciledKustomization(
  sha: string,
  overrides: Partial<FluxEvent> = {},
): FluxEvent {
  return {
    involvedObject: {
      kind: 'Kustomization',
      namespace: 'flux-system',
      name: 'podinfo',
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    },
    severity: 'info',
    timestamp: '2024-05-01T10:00:00Z',
    message: 'Reconciliation finished in 2s, next run in 10m',
    reason: 'ReconciliationSucceeded',
    metadata: { revision: `main@sha1:${sha}`, commit_status: 'update' },
    reportingController: 'kustomize-controller',
    ...overrides,
  }
}

/**
 * A Kustomization `gitops-system` event with reason `ApplySucceeded` for commit `sha`: the event
 * of the reference's commit-status fixtures (§6.3, §8.1: `apply succeeded`, id
 * `kustomization/gitops-system/0c9c2e41`).
 */
export function gitopsSystemEvent(sha: string, overrides: Partial<FluxEvent> = {}): FluxEvent {
  return {
    involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'gitops-system' },
    severity: 'info',
    timestamp: '2022-09-30T06:40:29Z',
    message: 'Reconciliation finished',
    reason: 'ApplySucceeded',
    metadata: { revision: `main@sha1:${sha}` },
    reportingController: 'kustomize-controller',
    ...overrides,
  }
}
