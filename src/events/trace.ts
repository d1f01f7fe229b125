/**
 * Flux "trace" events: controllers record them as Kubernetes Events of type `Normal` but never send
 * them to notification-controller. Read back from `kubectl get events`, they look exactly like
 * `info` events, so they are recognised by controller group, reason and (where the same reason is
 * also used for real notifications) message. Source: the trace table of the event-data reference
 * (§1.5). Events whose trace and info variants cannot be told apart (ImagePolicy `Succeeded`,
 * source-watcher `Ready`, source-controller's "waiting" reasons) are deliberately not listed:
 * dropping a real notification is worse than the rate limiter seeing a repeat.
 */

interface TraceRule {
  /** API group of the involved object */
  group: string
  /** when set, only these kinds */
  kinds?: readonly string[]
  reason: string
  /** when set, the message must match; otherwise the reason alone marks a trace event */
  message?: RegExp
}

const SOURCE = 'source.toolkit.fluxcd.io'
const HELM = 'helm.toolkit.fluxcd.io'
const IMAGE = 'image.toolkit.fluxcd.io'
const SOURCE_WATCHER = 'source.extensions.fluxcd.io'

const TRACE_RULES: readonly TraceRule[] = [
  {
    group: SOURCE,
    reason: 'ArtifactUpToDate',
    message: /^artifact up-to-date with remote revision: '/,
  },
  {
    group: SOURCE,
    reason: 'GitOperationSucceeded',
    // Older source-controller releases spelled it "reconcilation".
    message: /^no changes since last reconcil(?:i)?ation: observed revision '/,
  },
  { group: SOURCE, reason: 'GarbageCollectionSucceeded' },
  { group: SOURCE, reason: 'SymlinkUpdateFailed' },
  { group: SOURCE, reason: 'CacheOperationFailed' },
  { group: SOURCE, reason: 'NoSourceArtifact' },
  // Only reaches here as `Normal`; the `Warning` variant is a real error event.
  { group: SOURCE, reason: 'AuthenticationFailed' },
  { group: SOURCE, reason: 'Succeeded', message: /^verified signature of / },
  { group: HELM, reason: 'HelmChartCreated' },
  { group: HELM, reason: 'HelmChartConfigured' },
  { group: HELM, reason: 'HelmChartSyncErr' },
  { group: HELM, reason: 'HelmChartDeleted' },
  {
    group: IMAGE,
    kinds: ['ImageRepository'],
    reason: 'Succeeded',
    message:
      /^(?:tags did not change|successful scan|no change in repository configuration since last scan), next scan in /,
  },
  {
    group: IMAGE,
    kinds: ['ImageUpdateAutomation'],
    reason: 'Succeeded',
    message: /^(?:no change since last reconciliation|repository up-to-date)/,
  },
  { group: SOURCE_WATCHER, reason: 'ReconciliationDisabled' },
]

/** The rules by reason: most events have a reason no rule names, and are done with one lookup. */
const RULES_BY_REASON = new Map<string, TraceRule[]>()
for (const rule of TRACE_RULES) {
  const rules = RULES_BY_REASON.get(rule.reason)
  if (rules) rules.push(rule)
  else RULES_BY_REASON.set(rule.reason, [rule])
}

/**
 * Whether a `Normal` Kubernetes Event is a Flux trace event (never sent to the controller).
 * Call it only for `Normal` events: `Warning` events are always real.
 */
export function isKnownTraceEvent(
  group: string,
  kind: string,
  reason: string,
  message: string,
): boolean {
  const rules = RULES_BY_REASON.get(reason)
  if (rules === undefined) return false
  for (const rule of rules) {
    if (rule.group !== group) continue
    if (rule.kinds && !rule.kinds.includes(kind)) continue
    if (rule.message && !rule.message.test(message)) continue
    return true
  }
  return false
}
