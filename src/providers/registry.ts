/**
 * Every provider type the controller knows (reference §4.1), with the class the routing gates on
 * and its loader. Modules are imported lazily so that a run pays only for the types its manifests
 * use.
 */
import type { ProviderClass, ProviderModule } from './types.js'

interface TypeEntry {
  class: ProviderClass
  load: () => Promise<ProviderModule>
}

export const PROVIDER_TYPES: Readonly<Record<string, TypeEntry>> = {
  slack: { class: 'notification', load: async () => (await import('./slack.js')).slack },
  discord: {
    class: 'notification',
    load: async () => (await import('./discord.js')).discord,
  },
  msteams: {
    class: 'notification',
    load: async () => (await import('./msteams.js')).msteams,
  },
  rocket: {
    class: 'notification',
    load: async () => (await import('./rocket.js')).rocket,
  },
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
  googlechat: {
    class: 'notification',
    load: async () => (await import('./googlechat.js')).googleChat,
  },
  googlepubsub: {
    class: 'notification',
    load: async () => (await import('./google-pubsub.js')).googlePubSub,
  },
  webex: {
    class: 'notification',
    load: async () => (await import('./webex.js')).webex,
  },
  sentry: {
    class: 'notification',
    load: async () => (await import('./sentry.js')).sentry,
  },
  azureeventhub: {
    class: 'notification',
    load: async () => (await import('./azure-eventhub.js')).azureEventHub,
  },
  telegram: {
    class: 'notification',
    load: async () => (await import('./telegram.js')).telegram,
  },
  lark: {
    class: 'notification',
    load: async () => (await import('./lark.js')).lark,
  },
  matrix: {
    class: 'notification',
    load: async () => (await import('./matrix.js')).matrix,
  },
  opsgenie: {
    class: 'notification',
    load: async () => (await import('./opsgenie.js')).opsgenie,
  },
  alertmanager: {
    class: 'notification',
    load: async () => (await import('./alertmanager.js')).alertmanager,
  },
  grafana: {
    class: 'notification',
    load: async () => (await import('./grafana.js')).grafana,
  },
  githubdispatch: {
    class: 'notification',
    load: async () => (await import('./git/github-dispatch.js')).githubDispatch,
  },
  pagerduty: {
    class: 'notification',
    load: async () => (await import('./pagerduty.js')).pagerduty,
  },
  datadog: {
    class: 'notification',
    load: async () => (await import('./datadog.js')).datadog,
  },
  nats: {
    class: 'notification',
    load: async () => (await import('./nats.js')).nats,
  },
  zulip: {
    class: 'notification',
    load: async () => (await import('./zulip.js')).zulip,
  },
  otel: {
    class: 'notification',
    load: async () => (await import('./otel.js')).otel,
  },
  zoom: {
    class: 'notification',
    load: async () => (await import('./zoom.js')).zoom,
  },
  'incident.io': {
    class: 'notification',
    load: async () => (await import('./incident-io.js')).incidentIo,
  },
}

export function isKnownType(type: string): boolean {
  return Object.hasOwn(PROVIDER_TYPES, type)
}

export function providerClass(type: string): ProviderClass | undefined {
  return PROVIDER_TYPES[type]?.class
}

export const COMMIT_STATUS_TYPES = Object.keys(PROVIDER_TYPES).filter(
  (t) => PROVIDER_TYPES[t]!.class === 'commit-status',
)

const loaded = new Map<string, Promise<ProviderModule>>()

/** The module for a type; throws for a type the controller does not know. */
export function loadProvider(type: string): Promise<ProviderModule> {
  const entry = PROVIDER_TYPES[type]
  if (!entry) throw new Error(`provider ${type} not supported`)
  let module = loaded.get(type)
  if (!module) {
    module = entry.load()
    loaded.set(type, module)
  }
  return module
}
