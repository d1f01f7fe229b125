/**
 * zod schemas for the objects flux-notify reads: `notification.toolkit.fluxcd.io` `Alert` and
 * `Provider` in each API version a repository may still hold (reference §2.1, §2.2, §4.1, §9),
 * core `v1` `Secret`, and the metadata of any other Flux object. They check what the API server
 * would check (types, enums, patterns, lengths) so that a manifest the cluster would refuse is
 * refused here too, with the field that is wrong.
 *
 * Provider `type` is only required to be a string here: it is checked against the registry by the
 * loader, so that an unknown type gets its own message listing the valid ones.
 */
import { z } from 'zod'

export const NOTIFICATION_GROUP = 'notification.toolkit.fluxcd.io'

export const API_VERSIONS = ['v1beta1', 'v1beta2', 'v1beta3'] as const
export type ApiVersion = (typeof API_VERSIONS)[number]

export function isApiVersion(version: string): version is ApiVersion {
  return (API_VERSIONS as readonly string[]).includes(version)
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

const stringMap = z.record(z.string(), z.string())

export const objectMetaSchema = z.object({
  name: z.string().min(1),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
})
export type ObjectMetaInput = z.infer<typeof objectMetaSchema>

/** `meta.LocalObjectReference`: `providerRef`, `secretRef`, `certSecretRef`, `proxySecretRef`. */
const localObjectReference = z.object({ name: z.string() })

/** Go durations as the CRDs' OpenAPI patterns accept them. */
const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m))+$/
const INTERVAL = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/
const durationMessage = 'must be a duration such as 500ms, 30s, 1m or 1m30s (units ms, s, m)'

// ---------------------------------------------------------------------------------------------
// Alert

/** Kinds an event source may name: 10 before v1beta3, plus two in v1beta3 (reference §2.2, §9). */
const SOURCE_KINDS_V1BETA2 = [
  'Bucket',
  'GitRepository',
  'Kustomization',
  'HelmRelease',
  'HelmChart',
  'HelmRepository',
  'ImageRepository',
  'ImagePolicy',
  'ImageUpdateAutomation',
  'OCIRepository',
] as const
const SOURCE_KINDS_V1BETA3 = [
  ...SOURCE_KINDS_V1BETA2,
  'ArtifactGenerator',
  'ExternalArtifact',
] as const

function eventSourceSchema(kinds: readonly [string, ...string[]], maxLength: number) {
  return z.object({
    apiVersion: z.string().optional(),
    kind: z.enum(kinds),
    name: z.string().min(1).max(maxLength),
    namespace: z.string().min(1).max(maxLength).optional(),
    matchLabels: stringMap.optional(),
  })
}

const alertSpecV1beta1 = z.object({
  providerRef: localObjectReference,
  eventSeverity: z.enum(['info', 'error']).optional(),
  eventSources: z.array(eventSourceSchema(SOURCE_KINDS_V1BETA2, 53)),
  exclusionList: z.array(z.string()).optional(),
  summary: z.string().optional(),
  suspend: z.boolean().optional(),
})

const alertSpecV1beta2 = alertSpecV1beta1.extend({
  inclusionList: z.array(z.string()).optional(),
  eventMetadata: stringMap.optional(),
  summary: z.string().max(255).optional(),
})

const alertSpecV1beta3 = alertSpecV1beta2.extend({
  eventSources: z.array(eventSourceSchema(SOURCE_KINDS_V1BETA3, 253)),
})

/** The v1beta3 shape; older versions parse to a subset of it. */
export type AlertSpecInput = z.infer<typeof alertSpecV1beta3>

export const ALERT_SPEC: Readonly<Record<ApiVersion, z.ZodType<AlertSpecInput>>> = {
  v1beta1: alertSpecV1beta1 as z.ZodType<AlertSpecInput>,
  v1beta2: alertSpecV1beta2,
  v1beta3: alertSpecV1beta3,
}

/** Fields each version knows, for "unknown field" warnings (the API server prunes the rest). */
export const ALERT_SPEC_FIELDS: Readonly<Record<ApiVersion, readonly string[]>> = {
  v1beta1: Object.keys(alertSpecV1beta1.shape),
  v1beta2: Object.keys(alertSpecV1beta2.shape),
  v1beta3: Object.keys(alertSpecV1beta3.shape),
}
export const EVENT_SOURCE_FIELDS: readonly string[] = Object.keys(
  eventSourceSchema(SOURCE_KINDS_V1BETA3, 253).shape,
)

// ---------------------------------------------------------------------------------------------
// Provider

const httpUrlPrefix = (max?: number) => {
  const s = z.string().regex(/^(http|https):\/\//, 'must start with http:// or https://')
  return max === undefined ? s : s.max(max)
}

const providerSpecV1beta1 = z.object({
  type: z.string(),
  channel: z.string().optional(),
  username: z.string().optional(),
  address: httpUrlPrefix().optional(),
  timeout: z.string().regex(DURATION, durationMessage).optional(),
  proxy: httpUrlPrefix().optional(),
  secretRef: localObjectReference.optional(),
  certSecretRef: localObjectReference.optional(),
  suspend: z.boolean().optional(),
})

const providerSpecV1beta2 = providerSpecV1beta1.extend({
  interval: z
    .string()
    .regex(INTERVAL, 'must be a duration such as 30s, 10m or 1h (units ms, s, m, h)')
    .optional(),
  channel: z.string().max(2048).optional(),
  username: z.string().max(2048).optional(),
  address: z.string().max(2048).optional(),
  proxy: z
    .string()
    .regex(/^(http|https):\/\/.*$/, 'must start with http:// or https://')
    .max(2048)
    .optional(),
})

const providerSpecV1beta3 = providerSpecV1beta2.extend({
  proxySecretRef: localObjectReference.optional(),
  serviceAccountName: z.string().optional(),
  commitStatusExpr: z.string().optional(),
})

export type ProviderSpecInput = z.infer<typeof providerSpecV1beta3>

export const PROVIDER_SPEC: Readonly<Record<ApiVersion, z.ZodType<ProviderSpecInput>>> = {
  v1beta1: providerSpecV1beta1,
  v1beta2: providerSpecV1beta2,
  v1beta3: providerSpecV1beta3,
}

export const PROVIDER_SPEC_FIELDS: Readonly<Record<ApiVersion, readonly string[]>> = {
  v1beta1: Object.keys(providerSpecV1beta1.shape),
  v1beta2: Object.keys(providerSpecV1beta2.shape),
  v1beta3: Object.keys(providerSpecV1beta3.shape),
}

/** The CRD's CEL rule on `commitStatusExpr` (reference §4.1), and its message. */
export const COMMIT_STATUS_EXPR_TYPES = [
  'github',
  'gitlab',
  'gitea',
  'bitbucketserver',
  'bitbucket',
  'azuredevops',
] as const
export const COMMIT_STATUS_EXPR_MESSAGE =
  "spec.commitStatusExpr is only supported for the 'github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket', 'azuredevops' provider types"

// ---------------------------------------------------------------------------------------------
// Secret (core v1)

export const secretSchema = z.object({
  type: z.string().optional(),
  /** base64 values, decoded by the loader (which knows where each one is) */
  data: stringMap.optional(),
  stringData: stringMap.optional(),
})

// ---------------------------------------------------------------------------------------------
// Messages

/**
 * One issue as a short sentence that does not repeat the value (a `spec.address` may hold a
 * webhook token): `Required value`, `expected string, got number`, `must be one of: info, error`.
 */
export function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if ((issue as { input?: unknown }).input === undefined) return 'Required value'
      return `expected ${issue.expected}, got ${describeType((issue as { input?: unknown }).input)}`
    case 'invalid_value':
      return `must be one of: ${issue.values.map(String).join(', ')}`
    case 'too_big':
      return `may not be longer than ${String(issue.maximum)} characters`
    case 'too_small':
      return issue.minimum === 1
        ? 'may not be empty'
        : `must be at least ${String(issue.minimum)} long`
    default:
      return issue.message
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'list'
  if (typeof value === 'object') return 'map'
  return typeof value
}

/** `['spec', 'eventSources', 0, 'kind']` → `spec.eventSources.0.kind` */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.')
}
