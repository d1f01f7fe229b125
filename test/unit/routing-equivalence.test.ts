/**
 * The router takes shortcuts the controller does not: it matches an object's sources once per
 * object and alert, reads the raw metadata through the keys `cleanupMetadata` and
 * `excludeInternalMetadata` keep instead of copying the event twice, builds the combined metadata
 * without recording who wrote each key, and keys a limiter of its own by the rate-limit text
 * rather than its hash. These properties hold it to the plain composition of the controller's
 * steps (`eventMatchesAlert` over every alert, the three metadata passes, `rateLimitKey`), each of
 * which is pinned by its own tests against the reference.
 */
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { objectKey } from '../../src/events/model.js'
import type { FluxEvent, SourcedEvent } from '../../src/events/model.js'
import type { Config } from '../../src/manifests/model.js'
import type { Decision } from '../../src/results.js'
import { eventMatchesAlert } from '../../src/routing/match.js'
import {
  cleanupMetadata,
  combineEventMetadata,
  excludeInternalMetadata,
} from '../../src/routing/metadata.js'
import { inRoutingOrder, planNotifications } from '../../src/routing/plan.js'
import type { RoutingOptions } from '../../src/routing/plan.js'
import { FixedWindowLimiter, rateLimitKey, sha256Hex } from '../../src/routing/rate-limit.js'
import { ReorderWindow } from '../../src/routing/reorder.js'
import {
  alert,
  config,
  fluxObject,
  providerManifest,
  resolvedMap,
  source,
} from '../support/factories.js'

// a fixed seed: a failure reproduces, and CI never turns red by chance
fc.configureGlobal({ seed: 20261126 })

const INTERVAL_MS = 60_000
const options: RoutingOptions = { rateLimitIntervalMs: INTERVAL_MS, noCrossNamespaceRefs: false }

const namespaces = ['a', 'b'] as const
const kinds = ['Kustomization', 'GitRepository'] as const
// generic providers (forwarders) pass every gate: each match becomes a delivery
const providers = namespaces.map((namespace) =>
  providerManifest('generic', { name: 'p', namespace }),
)
// Kustomization b/y is not in the manifests: a matchLabels source for it warns
const objects = [
  fluxObject('Kustomization', 'a', 'x', { tier: 'frontend' }),
  fluxObject('GitRepository', 'a', 'y', { tier: 'backend' }),
  fluxObject('Kustomization', 'b', 'x', {}),
  fluxObject('GitRepository', 'b', 'x', { tier: 'frontend' }),
]

const sourceArb = fc
  .record({
    kind: fc.constantFrom(...kinds),
    name: fc.constantFrom('*', 'x', 'y'),
    namespace: fc.constantFrom('', 'a', 'b'),
    matchLabels: fc.constantFrom<Record<string, string> | undefined>(
      undefined,
      {},
      { tier: 'frontend' },
      { 'bad key!': 'v' },
    ),
  })
  .map((s) => source(s.kind, s.name, s.namespace, s.matchLabels))

const alertsArb = fc
  .array(
    fc.record({
      namespace: fc.constantFrom(...namespaces),
      severity: fc.constantFrom('info', 'error', ''),
      sources: fc.array(sourceArb, { maxLength: 3 }),
      inclusion: fc.constantFrom<string[]>([], ['^keep'], ['(?i)KEEP', 'other$']),
      exclusion: fc.constantFrom<string[]>([], ['drop$']),
      eventMetadata: fc.constantFrom<Record<string, string>>(
        {},
        { revision: 'from-alert' },
        { env: 'prod', zone: 'z' },
      ),
      summary: fc.constantFrom('', 'the summary'),
      suspend: fc.constantFrom(false, false, false, true),
    }),
    { maxLength: 6 },
  )
  .map((specs) => specs.map((spec, i) => alert({ ...spec, name: `alert-${i}`, provider: 'p' })))

const metadataKeys = [
  'event.toolkit.fluxcd.io/revision',
  'event.toolkit.fluxcd.io/summary',
  'event.toolkit.fluxcd.io/commit',
  'event.toolkit.fluxcd.io/__proto__',
  'event.toolkit.fluxcd.io/token',
  'event.toolkit.fluxcd.io/Digest',
  'kustomize.toolkit.fluxcd.io/revision',
  'kustomize.toolkit.fluxcd.io/originRevision',
  'kustomize.toolkit.fluxcd.io/token',
  'kustomize.toolkit.fluxcd.io/CheckSum',
  'kustomize.toolkit.fluxcd.io/digest',
  'kustomize.toolkit.fluxcd.io/commit_status',
  'kustomize.toolkit.fluxcd.io/summary',
  '/revision',
  '/token',
  'other.io/x',
  'env',
  '__proto__',
]

const eventArb = fc.record({
  kind: fc.constantFrom(...kinds, undefined),
  namespace: fc.constantFrom(...namespaces),
  name: fc.constantFrom('x', 'y'),
  apiVersion: fc.constantFrom(
    'kustomize.toolkit.fluxcd.io/v1',
    'event.toolkit.fluxcd.io/v1beta1',
    'source.toolkit.fluxcd.io/v1',
    'v1',
    'a/b/c',
    undefined,
  ),
  severity: fc.constantFrom('info', 'error', 'trace', ''),
  message: fc.constantFrom('keep it', 'KEEP, then drop', 'other', 'x drop', 'keep'),
  // built with fromEntries, so `__proto__` is an own key like any other
  metadata: fc.option(
    fc
      .uniqueArray(
        fc.tuple(fc.constantFrom(...metadataKeys), fc.constantFrom('1', '2', 'update', '')),
        { selector: ([key]) => key, maxLength: 6 },
      )
      .map((entries) => Object.fromEntries(entries) as Record<string, string>),
    { nil: undefined },
  ),
  // a few distinct times (in seconds): duplicates within and across rate-limit windows
  second: fc.option(fc.integer({ min: 0, max: 200 }), { nil: null }),
})

type EventSpec = typeof eventArb extends fc.Arbitrary<infer T> ? T : never

function sourcedEvents(specs: EventSpec[]): SourcedEvent[] {
  return specs.map((spec, index) => {
    const involvedObject: FluxEvent['involvedObject'] = { namespace: spec.namespace }
    if (spec.kind !== undefined) involvedObject.kind = spec.kind
    involvedObject.name = spec.name
    if (spec.apiVersion !== undefined) involvedObject.apiVersion = spec.apiVersion
    const time = spec.second === null ? NaN : Date.UTC(2024, 4, 1) + spec.second * 1000
    const event: FluxEvent = {
      involvedObject,
      severity: spec.severity,
      timestamp: spec.second === null ? null : new Date(time).toISOString().replace('.000', ''),
      message: spec.message,
      reason: 'Reason',
      reportingController: 'kustomize-controller',
    }
    if (spec.metadata !== undefined) event.metadata = spec.metadata
    return { event, origin: { source: 'events.json', index }, time }
  })
}

interface Expected {
  decisions: Decision[]
  /** per delivery: the alert and the event as the provider gets it, as JSON (key order counts) */
  deliveries: Array<[string, string]>
  warnings: string[]
  limiter: FixedWindowLimiter
}

/** The controller's steps one after the other, over every alert, with nothing worked out once. */
function controllerSteps(events: SourcedEvent[], cfg: Config): Expected {
  const limiter = new FixedWindowLimiter(INTERVAL_MS)
  const decisions: Decision[] = []
  const deliveries: Array<[string, string]> = []
  const warnings = new Set<string>()
  for (const sourced of inRoutingOrder(events)) {
    const cleaned = cleanupMetadata(sourced.event)
    const row = {
      event: objectKey(sourced.event.involvedObject),
      eventReason: sourced.event.reason,
      severity: sourced.event.severity,
      timestamp: sourced.event.timestamp,
      source: `events.json#${sourced.origin.index}`,
    }
    const now = Number.isFinite(sourced.time) ? sourced.time : (limiter.latestTimeMs ?? 0)
    if (!limiter.take(rateLimitKey(cleaned), now)) {
      decisions.push({
        ...row,
        outcome: 'skipped',
        reason: `rate limited: duplicate of an event within 1m0s`,
      })
      continue
    }
    const event = excludeInternalMetadata(cleaned)
    let matched = false
    for (const a of cfg.alerts) {
      const alertKey = `${a.metadata.namespace}/${a.metadata.name}`
      const match = eventMatchesAlert(event, a, cfg.objects)
      if (match.warning !== undefined) {
        warnings.add(
          `Alert/${alertKey}: ${match.warning}: no such object in the manifests (matchLabels needs its labels)`,
        )
      }
      if (!match.matched) continue
      matched = true
      const combined = combineEventMetadata(event, a)
      if (combined.warning !== undefined) {
        warnings.add(`Alert/${alertKey}, event from ${row.event}: ${combined.warning}`)
      }
      decisions.push({
        ...row,
        alert: alertKey,
        provider: `${a.metadata.namespace}/p`,
        type: 'generic',
        outcome: 'dry-run',
        reason: 'would send',
      })
      deliveries.push([alertKey, JSON.stringify(combined.event)])
    }
    if (!matched) decisions.push({ ...row, outcome: 'skipped', reason: 'no alert matches' })
  }
  return { decisions, deliveries, warnings: [...warnings], limiter }
}

function routed(plan: ReturnType<typeof planNotifications>): Omit<Expected, 'limiter'> {
  return {
    decisions: plan.decisions,
    deliveries: plan.deliveries.map((d) => [
      `${d.notification.alert.metadata.namespace}/${d.notification.alert.metadata.name}`,
      JSON.stringify(d.notification.event),
    ]),
    warnings: plan.warnings,
  }
}

describe('the router against the controller steps it stands for', () => {
  it('same rows, deliveries, metadata, warnings and rate-limit verdicts', () => {
    fc.assert(
      fc.property(alertsArb, fc.array(eventArb, { maxLength: 30 }), (alerts, specs) => {
        const cfg = config(alerts, providers, objects)
        const events = sourcedEvents(specs)
        const expected = controllerSteps(events, cfg)
        const { limiter, ...rest } = expected

        // a limiter of the router's own: keyed by the rate-limit text
        const own = planNotifications(events, cfg, resolvedMap(providers), options)
        expect(routed(own)).toEqual(rest)
        expect(own.decisions.map((d) => Object.keys(d))).toEqual(
          rest.decisions.map((d) => Object.keys(d)),
        )

        // a limiter passed in (a state file's): keyed by the controller's hash, same buckets
        const passed = new FixedWindowLimiter(INTERVAL_MS)
        const withPassed = planNotifications(events, cfg, resolvedMap(providers), options, passed)
        expect(routed(withPassed)).toEqual(rest)
        expect(passed.snapshot()).toEqual(limiter.snapshot())
      }),
      { numRuns: 400 },
    )
  })
})

describe('ReorderWindow against a sorted list', () => {
  /** the window's rule written plainly: when full, the held event first by (time, arrival) */
  function plainWindow(times: number[], size: number): number[] {
    const held: Array<{ time: number; index: number }> = []
    const out: number[] = []
    const letOneGo = (): void => {
      const timed = held.filter((h) => Number.isFinite(h.time))
      const next =
        timed.length > 0
          ? timed.reduce((a, b) =>
              b.time < a.time || (b.time === a.time && b.index < a.index) ? b : a,
            )
          : held[0]!
      held.splice(held.indexOf(next), 1)
      out.push(next.index)
    }
    times.forEach((time, index) => {
      held.push({ time, index })
      while (held.length > size) letOneGo()
    })
    while (held.length > 0) letOneGo()
    return out
  }

  it('lets events go in the same order, equal times in arrival order, untimed last', () => {
    const time = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constant(NaN))
    fc.assert(
      fc.property(
        fc.array(time, { maxLength: 60 }),
        fc.integer({ min: 1, max: 70 }),
        (times, size) => {
          const out: number[] = []
          const window = new ReorderWindow((s) => out.push(s.origin.index), size)
          times.forEach((t, index) =>
            window.push({
              event: {
                involvedObject: {},
                severity: '',
                timestamp: null,
                message: '',
                reason: '',
                reportingController: '',
              },
              origin: { source: 'events.json', index },
              time: t,
            }),
          )
          window.end()
          expect(out).toEqual(plainWindow(times, size))
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('what the router remembers between events', () => {
  it('hashes the rate-limit text as its UTF-8 bytes, however it is hashed', () => {
    for (const text of ['event/name=x', 'message=héllo ✓ 😀', 'lone \ud800 surrogate', '']) {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'))
    }
  })

  it('cleans up metadata alike past its memo of keys and apiVersions', () => {
    // more distinct keys and apiVersions than the memos hold: they start again, nothing changes
    for (let v = 0; v < 100; v++) {
      const group = `g${v}.example.com`
      const metadata: Record<string, string> = {}
      for (let k = 0; k < 1500; k++) metadata[`${k % 3 === 0 ? 'other' : group}/key-${k}`] = `${k}`
      metadata[`${group}/CHECKSUM`] = 'dropped'
      metadata[`event.toolkit.fluxcd.io/annotation-${v}`] = 'kept'
      const event: FluxEvent = {
        involvedObject: { kind: 'Kustomization', apiVersion: `${group}/v1` },
        severity: 'info',
        timestamp: null,
        message: '',
        reason: '',
        metadata,
        reportingController: '',
      }
      const kept = Object.keys(metadata).filter(
        (key) =>
          (key.startsWith(`${group}/`) || key.startsWith('event.toolkit.fluxcd.io/')) &&
          key !== `${group}/CHECKSUM`,
      )
      expect(Object.keys(cleanupMetadata(event).metadata!)).toEqual(kept)
    }
  })
})
