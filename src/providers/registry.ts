/**
 * Every provider type the controller knows (reference §4.1), with the class the routing gates on
 * and, for the types flux-notify implements, a loader. Modules are imported lazily so that a run
 * pays only for the types its manifests use.
 */
import type { ProviderClass, ProviderModule } from './types.js'

interface TypeEntry {
  class: ProviderClass
  load?: () => Promise<ProviderModule>
}

const notification: TypeEntry = { class: 'notification' }

export const PROVIDER_TYPES: Readonly<Record<string, TypeEntry>> = {
  slack: { class: 'notification', load: async () => (await import('./slack.js')).slack },
  discord: notification,
  msteams: notification,
  rocket: notification,
  generic: { class: 'forwarder', load: async () => (await import('./generic.js')).generic },
  'generic-hmac': {
    class: 'forwarder',
    load: async () => (await import('./generic.js')).genericHmac,
  },
  github: { class: 'commit-status', load: async () => (await import('./git/github.js')).github },
  gitlab: { class: 'commit-status', load: async () => (await import('./git/gitlab.js')).gitlab },
  gitea: { class: 'commit-status', load: async () => (await import('./git/gitea.js')).gitea },
  bitbucketserver: {
    class: 'commit-status',
    load: async () => (await import('./git/bitbucketserver.js')).bitbucketServer,
  },
  bitbucket: {
    class: 'commit-status',
    load: async () => (await import('./git/bitbucket.js')).bitbucket,
  },
  azuredevops: {
    class: 'commit-status',
    load: async () => (await import('./git/azuredevops.js')).azureDevOps,
  },
  giteapullrequestcomment: {
    class: 'change-request',
    load: async () => (await import('./git/change-request-comment.js')).giteaPullRequestComment,
  },
  githubpullrequestcomment: {
    class: 'change-request',
    load: async () => (await import('./git/change-request-comment.js')).githubPullRequestComment,
  },
  gitlabmergerequestcomment: {
    class: 'change-request',
    load: async () => (await import('./git/change-request-comment.js')).gitlabMergeRequestComment,
  },
  googlechat: notification,
  googlepubsub: notification,
  webex: notification,
  sentry: notification,
  azureeventhub: notification,
  telegram: notification,
  lark: notification,
  matrix: notification,
  opsgenie: notification,
  alertmanager: notification,
  grafana: notification,
  githubdispatch: {
    class: 'notification',
    load: async () => (await import('./git/github-dispatch.js')).githubDispatch,
  },
  pagerduty: notification,
  datadog: notification,
  nats: notification,
  zulip: notification,
  otel: notification,
  zoom: notification,
  'incident.io': notification,
}

export function isKnownType(type: string): boolean {
  return Object.hasOwn(PROVIDER_TYPES, type)
}

export function isImplementedType(type: string): boolean {
  return PROVIDER_TYPES[type]?.load !== undefined
}

export function providerClass(type: string): ProviderClass | undefined {
  return PROVIDER_TYPES[type]?.class
}

export const COMMIT_STATUS_TYPES = Object.keys(PROVIDER_TYPES).filter(
  (t) => PROVIDER_TYPES[t]!.class === 'commit-status',
)

const loaded = new Map<string, Promise<ProviderModule>>()

/** The module for a type; throws for types that are not implemented. */
export function loadProvider(type: string): Promise<ProviderModule> {
  const entry = PROVIDER_TYPES[type]
  if (!entry?.load) throw new Error(`provider type ${type} is not supported by flux-notify yet`)
  let module = loaded.get(type)
  if (!module) {
    module = entry.load()
    loaded.set(type, module)
  }
  return module
}
