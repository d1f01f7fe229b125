/**
 * Small factories for the routing tests: manifests and events the way `src/manifests/` and
 * `src/events/` would hand them over, with only the fields a test cares about spelled out.
 */
import { RE2JS } from 're2js'
import type { FluxEvent, SourcedEvent } from '../../src/events/model.js'
import type {
  Alert,
  Config,
  EventSourceRef,
  FluxObject,
  Provider,
} from '../../src/manifests/model.js'
import type { ResolvedProvider } from '../../src/providers/types.js'

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
    location: { file: 'alerts.yaml', line: 1 },
  }
}

export interface ProviderOptions {
  name?: string
  namespace?: string
  suspend?: boolean
  serviceAccountName?: string
  commitStatusExpr?: string
  uid?: string
}

export function provider(type: string, options: ProviderOptions = {}): Provider {
  const metadata: Provider['metadata'] = {
    name: options.name ?? 'test-provider',
    namespace: options.namespace ?? 'foo-ns',
    labels: {},
    annotations: {},
  }
  if (options.uid !== undefined) metadata.uid = options.uid
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
      serviceAccountName: options.serviceAccountName ?? '',
      commitStatusExpr: options.commitStatusExpr ?? '',
      suspend: options.suspend ?? false,
    },
    raw: {},
    location: { file: 'providers.yaml', line: 1 },
  }
}

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
