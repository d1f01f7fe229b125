import { describe, expect, it } from 'vitest'
import { compileCommitStatusExpr } from '../../src/cel/commit-status-expr.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert, Provider } from '../../src/manifests/model.js'
import type { ResolvedProvider } from '../../src/providers/types.js'
import { planNotifications } from '../../src/routing/plan.js'
import type { RoutingOptions } from '../../src/routing/plan.js'
import { FixedWindowLimiter } from '../../src/routing/rate-limit.js'
import {
  alert,
  config,
  event,
  fluxObject,
  providerManifest,
  resolvedMap,
  source,
  sourced,
} from '../support/factories.js'
import type { AlertOptions, EventOptions } from '../support/factories.js'

const KUSTOMIZE = 'kustomize.toolkit.fluxcd.io'
const options: RoutingOptions = { rateLimitIntervalMs: 5 * 60_000, noCrossNamespaceRefs: false }

function plan(
  events: FluxEvent[],
  alerts: Alert[],
  providers: Provider[],
  routing: Partial<RoutingOptions> = {},
) {
  return planNotifications(
    events.map((e, i) => sourced(e, i)),
    config(alerts, providers, [
      fluxObject('GitRepository', 'foo-ns', 'podinfo', { app: 'podinfo' }),
      fluxObject('GitRepository', 'foo-ns', 'podinfo-two', { app: 'podinfo-two' }),
    ]),
    resolvedMap(providers),
    { ...options, ...routing },
  )
}

describe('TestEventServer filtering (reference §8.3, no-cross-namespace-refs)', () => {
  const sources = [
    source('Bucket', 'hyacinth', 'foo-ns'),
    source('Kustomization', '*'),
    source('GitRepository', '*', '', { app: 'podinfo' }),
    source('Kustomization', '*', 'test'),
  ]
  const cases: Array<[string, EventOptions, Partial<AlertOptions>, 'forwarded' | 'dropped']> = [
    ['the base event', {}, {}, 'forwarded'],
    ['kind changed to GitRepository', { kind: 'GitRepository' }, {}, 'dropped'],
    ['name changed', { name: 'slop' }, {}, 'dropped'],
    ['namespace changed', { namespace: 'all-buckets' }, {}, 'dropped'],
    ['included message', { message: 'included' }, { inclusion: ['^included'] }, 'forwarded'],
    ['message not included', { message: 'not included' }, { inclusion: ['^included'] }, 'dropped'],
    [
      'excluded message',
      { message: 'this is excluded' },
      { exclusion: ['doesnotoccur', 'excluded'] },
      'dropped',
    ],
    [
      'included and excluded',
      { message: 'included excluded' },
      { inclusion: ['^included'], exclusion: ['excluded'] },
      'dropped',
    ],
    ['a Kustomization in foo-ns', { kind: 'Kustomization', name: 'test' }, {}, 'forwarded'],
    [
      'GitRepository with matching labels',
      { kind: 'GitRepository', name: 'podinfo' },
      {},
      'forwarded',
    ],
    [
      'GitRepository with other labels',
      { kind: 'GitRepository', name: 'podinfo-two' },
      {},
      'dropped',
    ],
    ['a Kustomization in ns test', { kind: 'Kustomization', namespace: 'test' }, {}, 'dropped'],
  ]

  it.each(cases)('%s: %s', (_title, eventOptions, alertOptions, expected) => {
    const generic = providerManifest('generic')
    const result = plan([event(eventOptions)], [alert({ sources, ...alertOptions })], [generic], {
      noCrossNamespaceRefs: true,
    })
    expect(result.deliveries.length).toBe(expected === 'forwarded' ? 1 : 0)
    expect(result.decisions.length).toBe(1)
    const decision = result.decisions[0]!
    if (expected === 'forwarded') {
      expect(decision).toMatchObject({
        outcome: 'dry-run',
        reason: 'would send',
        alert: 'foo-ns/test-alert',
      })
    } else {
      expect(decision.outcome === 'skipped' || decision.outcome === 'failed').toBe(true)
    }
  })

  it('blocks the cross-namespace event with the controller message', () => {
    const result = plan(
      [event({ kind: 'Kustomization', namespace: 'test', name: 'apps' })],
      [alert({ sources })],
      [providerManifest('generic')],
      { noCrossNamespaceRefs: true },
    )
    expect(result.decisions[0]).toMatchObject({
      outcome: 'failed',
      alert: 'foo-ns/test-alert',
      provider: 'foo-ns/test-provider',
      reason:
        "discarding event, access denied to cross-namespace sources: alert 'foo-ns/test-alert' can't process event from 'Kustomization/test/apps', cross-namespace references have been blocked",
    })
  })

  it('lets the cross-namespace event through when the flag is off', () => {
    const result = plan(
      [event({ kind: 'Kustomization', namespace: 'test', name: 'apps' })],
      [alert({ sources })],
      [providerManifest('generic')],
    )
    expect(result.deliveries.length).toBe(1)
  })

  it('warns once about a matchLabels object missing from the manifests', () => {
    const result = plan(
      [
        event({ kind: 'GitRepository', name: 'hyacinth', message: 'one' }),
        event({ kind: 'GitRepository', name: 'hyacinth', message: 'two' }),
      ],
      [alert({ sources })],
      [providerManifest('generic')],
    )
    expect(result.decisions.map((d) => d.reason)).toEqual(['no alert matches', 'no alert matches'])
    expect(result.warnings).toEqual([
      'Alert/foo-ns/test-alert: error getting source object GitRepository/foo-ns/hyacinth: no such object in the manifests (matchLabels needs its labels)',
    ])
  })
})

describe('getNotificationParams gating (TestGetNotificationParams, reference §2.5)', () => {
  const kustomization = (metadata: Record<string, string>, severity = 'info') =>
    event({
      kind: 'Kustomization',
      name: 'gitops-system',
      apiVersion: `${KUSTOMIZE}/v1`,
      severity,
      metadata,
    })
  const kAlert = () => alert({ sources: [source('Kustomization', '*')] })
  const update = { [`${KUSTOMIZE}/commit_status`]: 'update' }
  const commit = { 'event.toolkit.fluxcd.io/commit': 'a1afe267b54f38b46b487f6e938a6fd508278c07' }

  it('drops an event without the commit key for github', () => {
    const result = plan([kustomization({})], [kAlert()], [providerManifest('github')])
    expect(result.deliveries).toEqual([])
    expect(result.decisions[0]).toMatchObject({
      outcome: 'skipped',
      type: 'github',
      reason:
        'no commit metadata: the event has no event.toolkit.fluxcd.io/commit key, is not a commit status update and is not an error',
    })
  })

  it.each([
    ['severity error', {}, 'error'],
    ['a commit status update', update, 'info'],
    ['the commit key', commit, 'info'],
  ])('lets %s through to github, with the default status id', (_t, metadata, severity) => {
    const result = plan(
      [kustomization(metadata, severity)],
      [kAlert()],
      [providerManifest('github')],
    )
    expect(result.deliveries.length).toBe(1)
    expect(result.deliveries[0]!.commitStatusId).toBe('kustomization/gitops-system/0c9c2e41')
  })

  it.each(['generic', 'generic-hmac'])('forwards a commit status update to %s', (type) => {
    const result = plan([kustomization(update)], [kAlert()], [providerManifest(type)])
    expect(result.deliveries.length).toBe(1)
    expect(result.deliveries[0]!.commitStatusId).toBeUndefined()
  })

  it.each(['slack', 'githubdispatch', 'githubpullrequestcomment'])(
    'skips a commit status update for %s',
    (type) => {
      const result = plan(
        [kustomization({ ...update, 'event.toolkit.fluxcd.io/change_request': '1' })],
        [kAlert()],
        [providerManifest(type)],
      )
      expect(result.deliveries).toEqual([])
      expect(result.decisions[0]).toMatchObject({
        outcome: 'skipped',
        reason: `commit status update: only commit-status and generic providers receive it, not ${type}`,
      })
    },
  )

  it('sends an ordinary event to slack', () => {
    const result = plan([kustomization(commit)], [kAlert()], [providerManifest('slack')])
    expect(result.deliveries.length).toBe(1)
  })

  it('needs the change_request key for change-request providers', () => {
    const without = plan(
      [kustomization({})],
      [kAlert()],
      [providerManifest('githubpullrequestcomment')],
    )
    expect(without.decisions[0]).toMatchObject({
      outcome: 'skipped',
      reason:
        'no change request metadata: the event has no event.toolkit.fluxcd.io/change_request key',
    })
    const withKey = plan(
      [kustomization({ 'event.toolkit.fluxcd.io/change_request': '42' })],
      [kAlert()],
      [providerManifest('githubpullrequestcomment')],
    )
    expect(withKey.deliveries.length).toBe(1)
  })

  it('skips a suspended provider', () => {
    const result = plan(
      [kustomization(commit)],
      [kAlert()],
      [providerManifest('github', { suspend: true })],
    )
    expect(result.deliveries).toEqual([])
    expect(result.decisions[0]).toMatchObject({ outcome: 'skipped', reason: 'provider suspended' })
  })

  it('fails a provider with serviceAccountName', () => {
    const result = plan(
      [kustomization(commit)],
      [kAlert()],
      [providerManifest('azuredevops', { serviceAccountName: 'sa' })],
    )
    expect(result.decisions[0]).toMatchObject({
      outcome: 'failed',
      reason:
        'to use spec.serviceAccountName for provider authentication please enable the ObjectLevelWorkloadIdentity feature gate in the controller',
    })
  })

  it('fails a missing provider, looked up in the alert namespace', () => {
    const elsewhere = providerManifest('slack', { namespace: 'other-ns' })
    const result = plan([kustomization({})], [kAlert()], [elsewhere])
    expect(result.decisions[0]).toMatchObject({
      outcome: 'failed',
      provider: 'foo-ns/test-provider',
      reason: 'failed to read provider: Provider/foo-ns/test-provider not found',
    })
  })

  it('fails with the resolver error, after the gates the controller applies first', () => {
    const slack = providerManifest('slack')
    // Different messages: the rate-limit key ignores commit_status.
    const events = [kustomization({}), { ...kustomization(update), message: 'finished' }].map(
      (e, i) => sourced(e, i),
    )
    const providers = new Map<string, ResolvedProvider | { error: string }>([
      [
        'foo-ns/test-provider',
        { error: "failed to get secret 'foo-ns/slack-url': secret not found" },
      ],
    ])
    const result = planNotifications(events, config([kAlert()], [slack]), providers, options)
    expect(result.decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['failed', "failed to get secret 'foo-ns/slack-url': secret not found"],
      [
        'skipped',
        'commit status update: only commit-status and generic providers receive it, not slack',
      ],
    ])
  })
})

describe('planNotifications', () => {
  const T = (minutes: number) =>
    new Date(Date.UTC(2024, 4, 1, 10, minutes)).toISOString().replace('.000', '')

  it('orders events by time, stably, with untimed events last in their order', () => {
    const events = [
      event({ message: 'c', timestamp: T(3) }),
      event({ message: 'none-1', timestamp: null }),
      event({ message: 'a', timestamp: T(1) }),
      event({ message: 'b1', timestamp: T(2) }),
      event({ message: 'none-2', timestamp: null }),
      event({ message: 'b2', timestamp: T(2) }),
    ]
    const result = plan(events, [alert()], [providerManifest('generic')])
    expect(result.deliveries.map((d) => d.notification.event.message)).toEqual([
      'a',
      'b1',
      'b2',
      'c',
      'none-1',
      'none-2',
    ])
    expect(result.decisions.map((d) => d.source)).toEqual([
      'events.json#2',
      'events.json#3',
      'events.json#5',
      'events.json#0',
      'events.json#1',
      'events.json#4',
    ])
  })

  it('fills the decision fields and shares the decision with its delivery', () => {
    const e = event({ message: 'm', reason: 'Succeeded', severity: 'info' })
    const result = planNotifications(
      [
        {
          event: e,
          origin: { source: 'events.yaml', index: 0, line: 12 },
          time: Date.parse(e.timestamp!),
        },
      ],
      config([alert()], [providerManifest('generic')]),
      resolvedMap([providerManifest('generic')]),
      options,
    )
    expect(result.decisions).toEqual([
      {
        event: 'Bucket/foo-ns/hyacinth',
        eventReason: 'Succeeded',
        severity: 'info',
        timestamp: '2024-05-01T10:00:00Z',
        source: 'events.yaml:12',
        alert: 'foo-ns/test-alert',
        provider: 'foo-ns/test-provider',
        type: 'generic',
        outcome: 'dry-run',
        reason: 'would send',
      },
    ])
    expect(result.deliveries[0]!.decision).toBe(result.decisions[0])
  })

  it('rate limits duplicates; the first consumes the token even when no alert matches', () => {
    const unmatched = { kind: 'Kustomization', name: 'apps', message: 'Health check passed' }
    const result = plan(
      [
        event({ ...unmatched, timestamp: T(0) }),
        event({ ...unmatched, timestamp: T(1), severity: 'error', reason: 'Other' }),
        event({ message: 'x', timestamp: T(2) }),
        event({ message: 'x', timestamp: T(6) }),
      ],
      [alert()],
      [providerManifest('generic')],
    )
    expect(result.decisions.map((d) => [d.event, d.outcome, d.reason])).toEqual([
      ['Kustomization/foo-ns/apps', 'skipped', 'no alert matches'],
      ['Kustomization/foo-ns/apps', 'skipped', 'rate limited: duplicate of an event within 5m0s'],
      ['Bucket/foo-ns/hyacinth', 'dry-run', 'would send'],
      ['Bucket/foo-ns/hyacinth', 'skipped', 'rate limited: duplicate of an event within 5m0s'],
    ])
  })

  it('carries the limiter across plans and times untimed events by the latest event seen', () => {
    const limiter = new FixedWindowLimiter(10 * 60_000)
    const run = (events: FluxEvent[]) =>
      planNotifications(
        events.map((e, i) => sourced(e, i)),
        config([alert()], [providerManifest('generic')]),
        resolvedMap([providerManifest('generic')]),
        options,
        limiter,
      )
    expect(run([event({ message: 'x', timestamp: T(0) })]).deliveries.length).toBe(1)
    const second = run([
      event({ message: 'x', timestamp: T(0) }),
      event({ message: 'x', timestamp: null }),
    ])
    expect(second.decisions.map((d) => d.reason)).toEqual([
      'rate limited: duplicate of an event within 10m0s',
      'rate limited: duplicate of an event within 10m0s',
    ])
    const later = run([
      event({ message: 'y', timestamp: T(20) }),
      event({ message: 'x', timestamp: null }),
    ])
    expect(later.deliveries.map((d) => d.notification.event.message)).toEqual(['y', 'x'])
  })

  it('hands providers the combined metadata, without the token and without prefixes', () => {
    const e = event({
      kind: 'Kustomization',
      apiVersion: `${KUSTOMIZE}/v1`,
      metadata: {
        [`${KUSTOMIZE}/revision`]: 'main@sha1:a1afe267b54f38b46b487f6e938a6fd508278c07',
        [`${KUSTOMIZE}/token`]: 'secret-token',
        [`${KUSTOMIZE}/checksum`]: 'abc',
        'source.toolkit.fluxcd.io/other': 'dropped',
        'event.toolkit.fluxcd.io/env': 'from annotation',
      },
    })
    const before = structuredClone(e)
    const a = alert({
      sources: [source('Kustomization', '*')],
      eventMetadata: { env: 'from alert' },
    })
    const result = plan([e], [a], [providerManifest('generic')])
    expect(result.deliveries[0]!.notification.event.metadata).toEqual({
      revision: 'main@sha1:a1afe267b54f38b46b487f6e938a6fd508278c07',
      env: 'from alert',
    })
    expect(result.deliveries[0]!.notification.alert).toBe(a)
    expect(result.deliveries[0]!.notification.provider.key).toBe('foo-ns/test-provider')
    expect(result.warnings).toEqual([
      'Alert/foo-ns/test-alert, event from Kustomization/foo-ns/hyacinth: metadata key conflicts detected (please refer to the Alert API docs and Flux RFC 0008 for more information): env: involved object annotations, Alert object .spec.eventMetadata',
    ])
    expect(e).toEqual(before)
  })

  it('gives one row per matching alert, in config order', () => {
    const first = alert({ name: 'first', provider: 'p1', severity: 'error' })
    const second = alert({ name: 'second', provider: 'p2' })
    const third = alert({ name: 'third', provider: 'p1', sources: [source('Bucket', '*')] })
    const providers = [
      providerManifest('slack', { name: 'p1' }),
      providerManifest('generic', { name: 'p2' }),
    ]
    const result = plan([event({ severity: 'error' })], [first, second, third], providers)
    expect(result.decisions.map((d) => [d.alert, d.provider, d.type])).toEqual([
      ['foo-ns/first', 'foo-ns/p1', 'slack'],
      ['foo-ns/second', 'foo-ns/p2', 'generic'],
      ['foo-ns/third', 'foo-ns/p1', 'slack'],
    ])
    expect(result.deliveries.length).toBe(3)
  })

  it('gives an unmatched event one "no alert matches" row without alert or provider', () => {
    const result = plan([event({ name: 'other' })], [alert()], [providerManifest('generic')])
    expect(result.decisions).toEqual([
      expect.objectContaining({ outcome: 'skipped', reason: 'no alert matches' }),
    ])
    expect(result.decisions[0]!.alert).toBeUndefined()
    expect(result.decisions[0]!.provider).toBeUndefined()
  })
})

describe('spec.commitStatusExpr (reference §6.3, TestCreateCommitStatus)', () => {
  const UID = '0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a'
  const COMMIT = 'a1afe267b54f38b46b487f6e938a6fd508278c07'
  const PREFIX =
    'failed to create commit status: failed to evaluate the spec.commitStatusExpr CEL expression for the event: '

  /** A Provider whose `raw` is what `loadManifests` keeps: the document with its uid. */
  function celProvider(type: string, expr: string): Provider {
    const p = providerManifest(type, { uid: UID, commitStatusExpr: expr })
    p.raw = {
      apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
      kind: 'Provider',
      metadata: { name: 'test-provider', namespace: 'foo-ns', uid: UID },
      spec: { type, address: 'https://github.com/org/repo', commitStatusExpr: expr },
    }
    return p
  }

  function celAlert(eventMetadata: Record<string, string> = {}): Alert {
    const a = alert({ sources: [source('Kustomization', '*')], eventMetadata })
    a.raw = {
      apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
      kind: 'Alert',
      metadata: { name: 'test-alert', namespace: 'foo-ns' },
      spec: { providerRef: { name: 'test-provider' } },
    }
    return a
  }

  const kustomization = (metadata: Record<string, string> = {}) =>
    event({
      kind: 'Kustomization',
      name: 'gitops-system',
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      metadata: { 'event.toolkit.fluxcd.io/commit': COMMIT, ...metadata },
    })

  function planWith(provider: Provider, a: Alert, e: FluxEvent, compile = true) {
    const commitStatusExprs = new Map(
      compile
        ? [['foo-ns/test-provider', compileCommitStatusExpr(provider.spec.commitStatusExpr)]]
        : [],
    )
    return plan([e], [a], [provider], { commitStatusExprs })
  }

  it('uses the expression, over the combined event, as the status id', () => {
    // `environment` comes from the Alert's eventMetadata: the expression sees the combined event.
    const result = planWith(
      celProvider(
        'github',
        "event.involvedObject.kind + '/' + event.involvedObject.name + '/' + event.metadata.environment + '/' + provider.metadata.uid.split('-').first().value()",
      ),
      celAlert({ environment: 'production' }),
      kustomization(),
    )
    expect(result.decisions[0]).toMatchObject({ outcome: 'dry-run', reason: 'would send' })
    expect(result.deliveries[0]!.commitStatusId).toBe(
      'Kustomization/gitops-system/production/0c9c2e41',
    )
    expect(result.warnings).toEqual([])
  })

  it('reads unprefixed event metadata and the alert name', () => {
    const result = planWith(
      celProvider(
        'gitlab',
        "(event.involvedObject.kind + '/' + event.involvedObject.name + '/' + event.metadata.environment + '/' + provider.metadata.uid.split('-').first().value() + '/' + alert.metadata.name).lowerAscii()",
      ),
      celAlert(),
      kustomization({ 'event.toolkit.fluxcd.io/environment': 'production' }),
    )
    expect(result.deliveries[0]!.commitStatusId).toBe(
      'kustomization/gitops-system/production/0c9c2e41/test-alert',
    )
  })

  it('keeps the default id for a provider without an expression', () => {
    const result = planWith(celProvider('github', ''), celAlert(), kustomization(), false)
    expect(result.deliveries[0]!.commitStatusId).toBe('kustomization/gitops-system/0c9c2e41')
  })

  it('fails each event of a provider whose expression did not compile', () => {
    const result = planWith(
      celProvider('github', "event.involvedObject.kind == 'Kustomization'"),
      celAlert(),
      kustomization(),
    )
    expect(result.deliveries).toEqual([])
    expect(result.decisions[0]).toMatchObject({
      outcome: 'failed',
      reason: `${PREFIX}failed to compile expression: CEL expression output type mismatch: expected string, got bool`,
    })
  })

  it('fails the event when evaluation fails, naming the missing key', () => {
    const result = planWith(
      celProvider('github', "event.involvedObject.name + '/' + event.metadata.notfound"),
      celAlert(),
      kustomization(),
    )
    expect(result.deliveries).toEqual([])
    expect(result.decisions[0]).toMatchObject({
      outcome: 'failed',
      reason: `${PREFIX}failed to evaluate the CEL expression 'event.involvedObject.name + '/' + event.metadata.notfound': no such key: notfound`,
    })
  })

  it('refuses an empty id as the notifier constructors do', () => {
    const result = planWith(
      celProvider('bitbucket', 'event.involvedObject.name.substring(0, 0)'),
      celAlert(),
      kustomization(),
    )
    expect(result.decisions[0]).toMatchObject({
      outcome: 'failed',
      reason:
        "failed to initialize notifier for provider 'test-provider': commit status cannot be empty",
    })
  })

  it('evaluates before the notifier is set up, as the controller does', () => {
    const provider = celProvider('github', "'x' + missing.name")
    const result = planNotifications(
      [sourced(kustomization())],
      config([celAlert()], [provider]),
      new Map([['foo-ns/test-provider', { error: 'failed to initialize notifier: no token' }]]),
      {
        ...options,
        commitStatusExprs: new Map([
          ['foo-ns/test-provider', compileCommitStatusExpr(provider.spec.commitStatusExpr)],
        ]),
      },
    )
    expect(result.decisions[0]!.reason).toBe(
      `${PREFIX}failed to compile expression: failed to parse the CEL expression ''x' + missing.name': ERROR: <input>:1:7: undeclared reference to 'missing' (in container '')`,
    )
  })

  it('does not evaluate for an event gated out before step 9', () => {
    const result = planWith(
      celProvider('github', "event.involvedObject.name + '/' + event.metadata.notfound"),
      celAlert(),
      event({ kind: 'Kustomization', name: 'gitops-system' }),
    )
    expect(result.decisions[0]).toMatchObject({ outcome: 'skipped' })
    expect(result.decisions[0]!.reason).toMatch(/^no commit metadata/)
  })
})
