/**
 * Every provider type the controller knows (reference §4.1), with the class the routing gates on,
 * its loader and, for most types, its constructor checks. Modules are imported lazily so that a
 * run pays only for the types its manifests use; the checks (`validate/`) are light and loaded
 * with the registry, so that validating the Providers, which every run does before it reads any
 * event, loads no renderer or HTTP client (start-up time, design.md §5).
 */
import type { ProviderClass, ProviderModule, ResolvedProvider } from './types.js'
import {
  validateAzureDevOps,
  validateBitbucket,
  validateBitbucketServer,
  validateGitea,
  validateGiteaPullRequestComment,
  validateGitHubProvider,
  validateGitHubPullRequestComment,
  validateGitLab,
  validateGitLabMergeRequestComment,
} from './validate/git.js'
import {
  validateAlertmanager,
  validateDatadog,
  validateDiscord,
  validateGeneric,
  validateGenericHmac,
  validateGoogleChat,
  validateGooglePubSub,
  validateGrafana,
  validateIncidentIo,
  validateLark,
  validateMatrix,
  validateMsTeams,
  validateNats,
  validateOpsgenie,
  validatePagerDuty,
  validateRocket,
  validateSlack,
  validateTelegram,
  validateWebex,
  validateZoom,
  validateZulip,
  type ProviderCheck,
} from './validate/notifiers.js'

interface TypeEntry {
  class: ProviderClass
  /**
   * The module's `validate`, without loading the module. Absent for the types whose checks need
   * their module's own parsing (Sentry's DSN, OTLP endpoints, Event Hubs connection strings).
   */
  check?: ProviderCheck
  load: () => Promise<ProviderModule>
}

export const PROVIDER_TYPES: Readonly<Record<string, TypeEntry>> = {
  slack: {
    class: 'notification',
    check: validateSlack,
    load: async () => (await import('./slack.js')).slack,
  },
  discord: {
    class: 'notification',
    check: validateDiscord,
    load: async () => (await import('./discord.js')).discord,
  },
  msteams: {
    class: 'notification',
    check: validateMsTeams,
    load: async () => (await import('./msteams.js')).msteams,
  },
  rocket: {
    class: 'notification',
    check: validateRocket,
    load: async () => (await import('./rocket.js')).rocket,
  },
  generic: {
    class: 'forwarder',
    check: validateGeneric,
    load: async () => (await import('./generic.js')).generic,
  },
  'generic-hmac': {
    class: 'forwarder',
    check: validateGenericHmac,
    load: async () => (await import('./generic.js')).genericHmac,
  },
  github: {
    class: 'commit-status',
    check: validateGitHubProvider,
    load: async () => (await import('./git/github.js')).github,
  },
  gitlab: {
    class: 'commit-status',
    check: validateGitLab,
    load: async () => (await import('./git/gitlab.js')).gitlab,
  },
  gitea: {
    class: 'commit-status',
    check: validateGitea,
    load: async () => (await import('./git/gitea.js')).gitea,
  },
  bitbucketserver: {
    class: 'commit-status',
    check: validateBitbucketServer,
    load: async () => (await import('./git/bitbucketserver.js')).bitbucketServer,
  },
  bitbucket: {
    class: 'commit-status',
    check: validateBitbucket,
    load: async () => (await import('./git/bitbucket.js')).bitbucket,
  },
  azuredevops: {
    class: 'commit-status',
    check: validateAzureDevOps,
    load: async () => (await import('./git/azuredevops.js')).azureDevOps,
  },
  giteapullrequestcomment: {
    class: 'change-request',
    check: validateGiteaPullRequestComment,
    load: async () => (await import('./git/change-request-comment.js')).giteaPullRequestComment,
  },
  githubpullrequestcomment: {
    class: 'change-request',
    check: validateGitHubPullRequestComment,
    load: async () => (await import('./git/change-request-comment.js')).githubPullRequestComment,
  },
  gitlabmergerequestcomment: {
    class: 'change-request',
    check: validateGitLabMergeRequestComment,
    load: async () => (await import('./git/change-request-comment.js')).gitlabMergeRequestComment,
  },
  googlechat: {
    class: 'notification',
    check: validateGoogleChat,
    load: async () => (await import('./googlechat.js')).googleChat,
  },
  googlepubsub: {
    class: 'notification',
    check: validateGooglePubSub,
    load: async () => (await import('./google-pubsub.js')).googlePubSub,
  },
  webex: {
    class: 'notification',
    check: validateWebex,
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
    check: validateTelegram,
    load: async () => (await import('./telegram.js')).telegram,
  },
  lark: {
    class: 'notification',
    check: validateLark,
    load: async () => (await import('./lark.js')).lark,
  },
  matrix: {
    class: 'notification',
    check: validateMatrix,
    load: async () => (await import('./matrix.js')).matrix,
  },
  opsgenie: {
    class: 'notification',
    check: validateOpsgenie,
    load: async () => (await import('./opsgenie.js')).opsgenie,
  },
  alertmanager: {
    class: 'notification',
    check: validateAlertmanager,
    load: async () => (await import('./alertmanager.js')).alertmanager,
  },
  grafana: {
    class: 'notification',
    check: validateGrafana,
    load: async () => (await import('./grafana.js')).grafana,
  },
  githubdispatch: {
    class: 'notification',
    check: validateGitHubProvider,
    load: async () => (await import('./git/github-dispatch.js')).githubDispatch,
  },
  pagerduty: {
    class: 'notification',
    check: validatePagerDuty,
    load: async () => (await import('./pagerduty.js')).pagerduty,
  },
  datadog: {
    class: 'notification',
    check: validateDatadog,
    load: async () => (await import('./datadog.js')).datadog,
  },
  nats: {
    class: 'notification',
    check: validateNats,
    load: async () => (await import('./nats.js')).nats,
  },
  zulip: {
    class: 'notification',
    check: validateZulip,
    load: async () => (await import('./zulip.js')).zulip,
  },
  otel: {
    class: 'notification',
    load: async () => (await import('./otel.js')).otel,
  },
  zoom: {
    class: 'notification',
    check: validateZoom,
    load: async () => (await import('./zoom.js')).zoom,
  },
  'incident.io': {
    class: 'notification',
    check: validateIncidentIo,
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

/**
 * A Provider's constructor checks (the module's `validate`): the controller's error, or undefined.
 * Loads the type's module only for the few types without a light check.
 */
export async function validateProvider(provider: ResolvedProvider): Promise<string | undefined> {
  const check = PROVIDER_TYPES[provider.type]?.check
  if (check) return check(provider)
  return (await loadProvider(provider.type)).validate(provider)
}
