/**
 * The internal form of the manifests a run is configured by. Whatever API version a document was
 * written in (`notification.toolkit.fluxcd.io/v1beta1`, `v1beta2`, `v1beta3`), it is converted to
 * these v1beta3-shaped objects by `src/manifests/`.
 */
import type { RE2JS } from 're2js'

/** Where an object (or one of its fields) was defined. */
export interface Location {
  file: string
  /** 1-based */
  line?: number
  /** 1-based */
  column?: number
}

export interface ObjectMeta {
  name: string
  namespace: string
  /** `metadata.uid` when the manifest carries one (rare in Git). */
  uid?: string
  labels: Record<string, string>
  annotations: Record<string, string>
}

export interface EventSourceRef {
  kind: string
  /** exact name or the wildcard `*` */
  name: string
  /** empty = the Alert's namespace (defaulted at match time, as the controller does) */
  namespace: string
  /** `undefined` (not `{}`) when the manifest had no `matchLabels`: the controller distinguishes them. */
  matchLabels?: Record<string, string>
  apiVersion?: string
}

/** A compiled inclusion/exclusion pattern (RE2 semantics). */
export interface CompiledPattern {
  source: string
  regex: RE2JS
}

export interface Alert {
  apiVersion: string
  kind: 'Alert'
  metadata: ObjectMeta
  spec: {
    providerRef: { name: string }
    /** `info` unless set: the CRD default */
    eventSeverity: string
    eventSources: EventSourceRef[]
    /** Only the patterns that compiled; invalid ones are reported at load time and skipped. */
    inclusionList: CompiledPattern[]
    /** Whether the manifest had a non-empty inclusionList (an all-invalid list includes nothing). */
    hasInclusionList: boolean
    exclusionList: CompiledPattern[]
    eventMetadata: Record<string, string>
    summary: string
    suspend: boolean
  }
  /** The document as written (after defaulting the namespace): the `alert` variable of CEL. */
  raw: Record<string, unknown>
  location: Location
}

export interface SecretKeyRef {
  name: string
}

export interface Provider {
  apiVersion: string
  kind: 'Provider'
  metadata: ObjectMeta
  spec: {
    type: string
    channel: string
    username: string
    address: string
    /** milliseconds; 15 000 unless `spec.timeout` is set */
    timeoutMs: number
    proxy: string
    secretRef?: SecretKeyRef
    certSecretRef?: SecretKeyRef
    proxySecretRef?: SecretKeyRef
    serviceAccountName: string
    commitStatusExpr: string
    suspend: boolean
  }
  /** The document as written (after defaulting the namespace): the `provider` variable of CEL. */
  raw: Record<string, unknown>
  location: Location
}

/** A Kubernetes Secret, from a manifest or the `secrets` input; values decoded to strings. */
export interface Secret {
  /** `namespace` is `ANY_NAMESPACE` for an input secret written without one */
  metadata: { name: string; namespace: string }
  data: Record<string, string>
  location: Location
  /** from the `secrets` input: it wins over a manifest Secret of the same name (`findSecret`) */
  fromInput?: boolean
}

/** The namespace of a `secrets` input entry written as a plain name: it serves every namespace. */
export const ANY_NAMESPACE = '*'

/** Any other Flux object found alongside (Kustomization, GitRepository, …), kept for its labels. */
export interface FluxObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  location: Location
}

/**
 * A Secret a Provider may name that is in the repository but cannot be read here: SOPS ciphertext,
 * a SealedSecret, an ExternalSecret, or a Secret whose values hold unsubstituted `${…}`. Its
 * values must come from the `secrets` input; the ciphertext is never used.
 */
export interface UnreadableSecret {
  /** the name and namespace of the Secret it stands for (an ExternalSecret's `target.name`) */
  metadata: { name: string; namespace: string }
  /** how it is described in messages: `a SOPS-encrypted Secret`, `a SealedSecret`, … */
  description: string
  /** the keys it would hold, when the manifest shows them */
  keys: string[]
  location: Location
}

/** A problem found while loading: becomes a one-line error/warning/notice and an annotation. */
export interface Problem {
  /** `notice`: worth knowing, nothing wrong (a skipped Helm template, an unused Provider) */
  severity: 'error' | 'warning' | 'notice'
  message: string
  location?: Location
}

export interface Config {
  alerts: Alert[]
  /** keyed by `namespace/name` */
  providers: Map<string, Provider>
  /** keyed by `namespace/name` */
  secrets: Map<string, Secret>
  /** keyed by `Kind/namespace/name` */
  objects: Map<string, FluxObject>
  problems: Problem[]
  /** keyed by `namespace/name`; absent when the loader found none */
  unreadableSecrets?: Map<string, UnreadableSecret>
}

export function namespacedKey(namespace: string, name: string): string {
  return `${namespace}/${name}`
}
