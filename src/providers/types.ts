/**
 * The shape every provider module exports. A provider module is pure: it turns a notification
 * (processed event + alert + resolved provider) into HTTP requests, or for commit-status hosts into
 * the desired status plus the calls that read and write it. Sending is done by `src/delivery/`.
 */
import type { FluxEvent } from '../events/model.js'
import type { Alert, Provider } from '../manifests/model.js'

/** What the controller's gating (reference §2.5 steps 4–6) needs to know about a type. */
export type ProviderClass =
  /** chat, incident, telemetry: never receive `commit_status: update` events */
  | 'notification'
  /** `generic`, `generic-hmac`: receive everything */
  | 'forwarder'
  /** github, gitlab, gitea, bitbucket, bitbucketserver, azuredevops */
  | 'commit-status'
  /** githubpullrequestcomment, gitlabmergerequestcomment, giteapullrequestcomment */
  | 'change-request'

/** A Provider with its Secret applied (reference §4.2): everything a module needs to build requests. */
export interface ResolvedProvider {
  /** the Provider manifest (spec values before the secret was applied) */
  provider: Provider
  type: string
  /** `namespace/name` */
  key: string
  /** `metadata.uid`, or a stable id derived from namespace and name when the manifest has none */
  uid: string
  /** spec.address, replaced by the secret's trimmed `address` */
  address: string
  channel: string
  /** spec.username, replaced by the secret's when it has both `username` and `password` */
  username: string
  password: string
  /** the secret's `token`, untrimmed */
  token: string
  /** the secret's `headers` (a YAML map) */
  headers: Record<string, string>
  /** the whole secret data (GitHub App keys, NATS creds, …) */
  secretData: Record<string, string>
  timeoutMs: number
  /** proxy URL after the precedence of reference §7, or '' */
  proxy: string
  /**
   * PEM material for the client's TLS config (reference §4.2 step 7): from `certSecretRef`, else,
   * for commit-status types only, from `secretRef`. Undefined: the default trust store.
   */
  tls?: { caCert?: string; cert?: string; key?: string }
  /** every secret value this provider carries, for masking */
  secretValues: string[]
}

/** One processed notification: what the controller hands to a notifier's `Post`. */
export interface Notification {
  /** the event after metadata combination (keys unprefixed), timestamp normalised */
  event: FluxEvent
  alert: Alert
  provider: ResolvedProvider
  /**
   * Poll mode only (never the controller's): the commit status to post instead of the one the
   * event's severity gives, e.g. `pending` while waiting for the object to reconcile.
   */
  statusOverride?: StatusOverride
}

/** A commit status poll mode posts itself: a state of the host's table and its description. */
export interface StatusOverride {
  /** `pending` while waiting; `timedOut` (the host's error state) when the wait ran out */
  state: 'pending' | 'timedOut'
  description: string
}

/** An HTTP request, built byte for byte. */
export interface HttpRequestSpec {
  method: string
  url: string
  /** header names as they should go on the wire */
  headers: Record<string, string>
  body?: string | Uint8Array
  /**
   * Extra check of a successful (2xx) response, e.g. Slack's `{"ok":false}`. Returns an error
   * message, or undefined when the response is good.
   */
  checkResponse?: (status: number, body: string) => string | undefined
  /**
   * What the controller's notifier puts before any error of this request (reference §5.x), e.g.
   * `postMessage failed: ` or PagerDuty's `failed sending event: `. Undefined: none.
   */
  errorPrefix?: string
  /**
   * Whether the controller sends this through its shared `postMessage` (reference §5.1), whose
   * errors carry a layer of their own between `errorPrefix` and the client's text:
   * `request failed: ` for a rejected response, `failed to execute request: ` when the client
   * gave up. Not for types that use a vendor SDK (PagerDuty, Datadog, go-github, …).
   */
  postMessage?: boolean
}

/** The result of rendering: requests to send, or a reason the provider skips this event. */
export type Rendered = { requests: HttpRequestSpec[] } | { skip: string }

/** A provider type that sends requests built from the notification alone. */
export interface NotifierModule {
  type: string
  class: 'notification' | 'forwarder'
  /**
   * Checks done once when manifests load (the controller's constructor errors), e.g. a bad URL
   * or missing token. Returns the error message, or undefined.
   */
  validate(provider: ResolvedProvider): string | undefined
  render(notification: Notification): Rendered
  /**
   * Optional IO done once per provider before the first render, e.g. exchanging GitHub App
   * credentials for an installation token. Returns the provider to render with.
   */
  prepare?(provider: ResolvedProvider, signal: AbortSignal): Promise<ResolvedProvider>
  /**
   * Optional: delivers the notification itself, for a transport that is not plain HTTP requests
   * (NATS) or that needs its own error wording (Pub/Sub). Delivery still runs `render` first (it
   * may skip), then calls this instead of sending the rendered requests. These types publish to
   * the Provider's `channel` (subject, topic): a dry run reports `would publish to <channel>`.
   */
  send?(notification: Notification, signal: AbortSignal): Promise<void>
}

/** The status a commit-status provider wants on a commit. */
export interface DesiredStatus {
  /** `owner/repo` or the host's id */
  repository: string
  sha: string
  /** context / name / key, as the host calls it (Bitbucket: the SHA-1 key) */
  context: string
  state: string
  description: string
  /** a display name where the host has one besides the context (Bitbucket `name`) */
  name?: string
  /** Azure DevOps `context.genre` */
  genre?: string
  /** a link where the host wants one (Bitbucket `url`) */
  targetUrl?: string
}

/** A status as it currently stands on the host. */
export interface CurrentStatus {
  context: string
  state: string
  description: string
  name?: string
  genre?: string
}

/** IO for one commit-status host, built per provider by the module, driven by delivery. */
export interface CommitStatusClient {
  /** Every current status on the commit (all contexts, all pages), read once per run. */
  readStatuses(repository: string, sha: string, signal: AbortSignal): Promise<CurrentStatus[]>
  writeStatus(status: DesiredStatus, signal: AbortSignal): Promise<void>
}

export interface CommitStatusModule {
  type: string
  class: 'commit-status'
  validate(provider: ResolvedProvider): string | undefined
  /** Pure: the status to post, or why this event gets none (Progressing, no commit SHA, …). */
  desiredStatus(notification: Notification, context: string): DesiredStatus | { skip: string }
  /** Whether `desired` is already what the host shows (the "only when changed" rule). */
  isUnchanged(desired: DesiredStatus, current: CurrentStatus[]): boolean
  createClient(provider: ResolvedProvider): Promise<CommitStatusClient>
}

/** What happened to a pull/merge request comment. */
export type CommentOutcome = 'created' | 'updated' | 'unchanged'

/** IO for one PR/MR comment host (reference §5.25), built per provider, driven by delivery. */
export interface ChangeRequestClient {
  /** Finds our comment for this object by its marker and updates it, or creates it. */
  upsertComment(notification: Notification, signal: AbortSignal): Promise<CommentOutcome>
}

export interface ChangeRequestModule {
  type: string
  class: 'change-request'
  validate(provider: ResolvedProvider): string | undefined
  createClient(provider: ResolvedProvider): Promise<ChangeRequestClient>
}

export type ProviderModule = NotifierModule | CommitStatusModule | ChangeRequestModule
