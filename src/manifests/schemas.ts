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
import * as z from 'zod/mini'
import { lazyRecord } from '../util/lazy.js'
import { useEnglishMessages } from '../util/zod-messages.js'

useEnglishMessages()

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
  name: z.string().check(z.minLength(1)),
  namespace: z.optional(z.string()),
  uid: z.optional(z.string()),
  labels: z.optional(stringMap),
  annotations: z.optional(stringMap),
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
    apiVersion: z.optional(z.string()),
    kind: z.enum(kinds),
    name: z.string().check(z.minLength(1), z.maxLength(maxLength)),
    namespace: z.optional(z.string().check(z.minLength(1), z.maxLength(maxLength))),
    matchLabels: z.optional(stringMap),
  })
}

// Each version's shape is the one before it plus its own fields (what `z.extend` does), built
// only when a manifest of that version is loaded: most repositories hold one version.

function alertShapeV1beta1() {
  return {
    providerRef: localObjectReference,
    eventSeverity: z.optional(z.enum(['info', 'error'])),
    eventSources: z.array(eventSourceSchema(SOURCE_KINDS_V1BETA2, 53)),
    exclusionList: z.optional(z.array(z.string())),
    summary: z.optional(z.string()),
    suspend: z.optional(z.boolean()),
  }
}

function alertShapeV1beta2() {
  return {
    ...alertShapeV1beta1(),
    inclusionList: z.optional(z.array(z.string())),
    eventMetadata: z.optional(stringMap),
    summary: z.optional(z.string().check(z.maxLength(255))),
  }
}

function alertShapeV1beta3() {
  return {
    ...alertShapeV1beta2(),
    eventSources: z.array(eventSourceSchema(SOURCE_KINDS_V1BETA3, 253)),
  }
}

/** The v1beta3 shape; older versions parse to a subset of it. */
export type AlertSpecInput = z.infer<z.ZodMiniObject<ReturnType<typeof alertShapeV1beta3>>>

const ALERT_SHAPE: Readonly<Record<ApiVersion, () => z.core.$ZodLooseShape>> = {
  v1beta1: alertShapeV1beta1,
  v1beta2: alertShapeV1beta2,
  v1beta3: alertShapeV1beta3,
}

const alertSpec = lazyRecord(API_VERSIONS, (version) => z.object(ALERT_SHAPE[version]()))

export const ALERT_SPEC: Readonly<Record<ApiVersion, z.ZodMiniType<AlertSpecInput>>> = lazyRecord(
  API_VERSIONS,
  // older versions parse to a subset of the v1beta3 shape
  (version) => alertSpec[version] as unknown as z.ZodMiniType<AlertSpecInput>,
)

/** Fields each version knows, for "unknown field" warnings (the API server prunes the rest). */
export const ALERT_SPEC_FIELDS: Readonly<Record<ApiVersion, readonly string[]>> = lazyRecord(
  API_VERSIONS,
  (version) => Object.keys(alertSpec[version].shape),
)
export const EVENT_SOURCE_FIELDS: readonly string[] = Object.keys(
  eventSourceSchema(SOURCE_KINDS_V1BETA3, 253).shape,
)

// ---------------------------------------------------------------------------------------------
// Provider

const httpUrlPrefix = () =>
  z.string().check(z.regex(/^(http|https):\/\//, 'must start with http:// or https://'))

function providerShapeV1beta1() {
  return {
    type: z.string(),
    channel: z.optional(z.string()),
    username: z.optional(z.string()),
    address: z.optional(httpUrlPrefix()),
    timeout: z.optional(z.string().check(z.regex(DURATION, durationMessage))),
    proxy: z.optional(httpUrlPrefix()),
    secretRef: z.optional(localObjectReference),
    certSecretRef: z.optional(localObjectReference),
    suspend: z.optional(z.boolean()),
  }
}

function providerShapeV1beta2() {
  return {
    ...providerShapeV1beta1(),
    interval: z.optional(
      z
        .string()
        .check(z.regex(INTERVAL, 'must be a duration such as 30s, 10m or 1h (units ms, s, m, h)')),
    ),
    channel: z.optional(z.string().check(z.maxLength(2048))),
    username: z.optional(z.string().check(z.maxLength(2048))),
    address: z.optional(z.string().check(z.maxLength(2048))),
    proxy: z.optional(
      z
        .string()
        .check(
          z.regex(/^(http|https):\/\/.*$/, 'must start with http:// or https://'),
          z.maxLength(2048),
        ),
    ),
  }
}

function providerShapeV1beta3() {
  return {
    ...providerShapeV1beta2(),
    proxySecretRef: z.optional(localObjectReference),
    serviceAccountName: z.optional(z.string()),
    commitStatusExpr: z.optional(z.string()),
  }
}

export type ProviderSpecInput = z.infer<z.ZodMiniObject<ReturnType<typeof providerShapeV1beta3>>>

const PROVIDER_SHAPE: Readonly<Record<ApiVersion, () => z.core.$ZodLooseShape>> = {
  v1beta1: providerShapeV1beta1,
  v1beta2: providerShapeV1beta2,
  v1beta3: providerShapeV1beta3,
}

const providerSpec = lazyRecord(API_VERSIONS, (version) => z.object(PROVIDER_SHAPE[version]()))

export const PROVIDER_SPEC: Readonly<Record<ApiVersion, z.ZodMiniType<ProviderSpecInput>>> =
  lazyRecord(
    API_VERSIONS,
    // older versions parse to a subset of the v1beta3 shape
    (version) => providerSpec[version] as unknown as z.ZodMiniType<ProviderSpecInput>,
  )

export const PROVIDER_SPEC_FIELDS: Readonly<Record<ApiVersion, readonly string[]>> = lazyRecord(
  API_VERSIONS,
  (version) => Object.keys(providerSpec[version].shape),
)

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
  type: z.optional(z.string()),
  /** base64 values, decoded by the loader (which knows where each one is) */
  data: z.optional(stringMap),
  stringData: z.optional(stringMap),
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
