import { inRoutingOrder } from '../../src/routing/plan.js'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { FixedWindowLimiter } from '../../src/routing/rate-limit.js'
import { planNotifications } from '../../src/routing/plan.js'
import {
  ALREADY_DELIVERED_REASON,
  deliveryKey,
  dropDelivered,
  emptyState,
  eventKey,
  expireState,
  parseJournal,
  parseState,
  plannedDeliveryKey,
  ReplayingLimiter,
  type StateStore,
} from '../../src/state/store.js'
import type { SourcedEvent } from '../../src/events/model.js'
import {
  alert,
  config,
  event,
  providerManifest,
  resolvedMap,
  sourced,
  testEvent,
} from '../support/factories.js'

const HOUR = 60 * 60 * 1000
const MINUTE = 60 * 1000

// testEvent() as Go's encoding/json marshals the controller's Event struct (reference §8.1)
const TEST_EVENT_JSON =
  '{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp"},' +
  '"severity":"info","timestamp":"2022-09-30T06:40:29Z","message":"message","reason":"reason",' +
  '"metadata":{"test":"metadata"},"reportingController":"source-controller",' +
  '"reportingInstance":"source-controller-xyz"}'

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

describe('keys', () => {
  it('keys a delivery by provider, alert and the event as Go marshals it', () => {
    expect(deliveryKey('ns/slack', 'ns/alert', testEvent())).toBe(
      sha256(`ns/slack\nns/alert\n${TEST_EVENT_JSON}`),
    )
    expect(eventKey(testEvent())).toBe(sha256(TEST_EVENT_JSON))
  })
})

describe('parseState and parseJournal', () => {
  it('reads a state document and refuses anything else with one line', () => {
    const text = JSON.stringify({
      version: 1,
      deliveries: { abc: 1000 },
      events: { def: { time: 1000, admitted: true } },
      rateLimit: {
        intervalMs: 300000,
        nextSweepMs: 301000,
        clockMs: 1000,
        buckets: [{ key: 'k', startMs: 1000, lastTick: 0, tokens: 0 }],
      },
    })
    const state = parseState(text)
    expect(state).toMatchObject({ deliveries: { abc: 1000 }, events: { def: { admitted: true } } })
    expect(parseState('{"version":1,"deliv')).toEqual({ error: 'not valid JSON' })
    expect(parseState('{"version":2,"deliveries":{},"events":{},"rateLimit":null}')).toHaveProperty(
      'error',
    )
    expect(parseState('[]')).toHaveProperty('error')
  })

  it('ignores a truncated last journal line and lines that are not records', () => {
    const text = '{"key":"a","time":1}\nnot json\n{"key":"b","time":2}\n{"key":"c","ti'
    expect(parseJournal(text)).toEqual([
      { key: 'a', time: 1 },
      { key: 'b', time: 2 },
    ])
  })
})

describe('expireState', () => {
  const state: StateStore = {
    version: 1,
    deliveries: { old: 0, recent: 2 * HOUR, newest: 25 * HOUR },
    events: { old: { time: 0, admitted: true }, recent: { time: 2 * HOUR, admitted: false } },
    rateLimit: null,
  }

  it('keeps 24 hours back from the newest event time', () => {
    const kept = expireState(state, 25 * HOUR, 5 * MINUTE)
    expect(Object.keys(kept.deliveries).sort()).toEqual(['newest', 'recent'])
    expect(Object.keys(kept.events)).toEqual(['recent'])
  })

  it('keeps at least two rate-limit windows', () => {
    const kept = expireState(state, 25 * HOUR, 13 * HOUR)
    expect(Object.keys(kept.deliveries).sort()).toEqual(['newest', 'old', 'recent'])
  })
})

// A Slack alert on Bucket foo-ns/hyacinth, as in the routing tests.
const slack = providerManifest('slack', { address: 'http://127.0.0.1:1/slack' })
const cfg = config([alert({ provider: 'test-provider' })], [slack])
const providers = resolvedMap([slack])
const OPTIONS = { rateLimitIntervalMs: 5 * MINUTE, noCrossNamespaceRefs: false }

function plan(events: SourcedEvent[], limiter: FixedWindowLimiter) {
  return planNotifications(events, cfg, providers, OPTIONS, limiter)
}

describe('dropDelivered', () => {
  it('turns deliveries an earlier run made into skipped rows and keeps the rest', () => {
    const first = sourced(event({ message: 'first', timestamp: '2024-05-01T10:00:00Z' }), 0)
    const second = sourced(event({ message: 'second', timestamp: '2024-05-01T10:01:00Z' }), 1)
    const planned = plan([first, second], new FixedWindowLimiter(5 * MINUTE))
    expect(planned.deliveries).toHaveLength(2)

    const state = emptyState()
    state.deliveries[deliveryKey('foo-ns/test-provider', 'foo-ns/test-alert', first.event)] = 1
    const remaining = dropDelivered(planned.deliveries, state)

    expect(remaining.map((d) => d.sourced?.event.message)).toEqual(['second'])
    expect(planned.decisions[0]).toMatchObject({
      outcome: 'skipped',
      reason: 'already delivered by an earlier run (state)',
    })
    expect(ALREADY_DELIVERED_REASON).toBe('already delivered by an earlier run (state)')
    expect(planned.decisions[1]?.outcome).toBe('dry-run')
    expect(plannedDeliveryKey(remaining[0]!)).toBe(
      deliveryKey('foo-ns/test-provider', 'foo-ns/test-alert', second.event),
    )
  })
})

/** Runs routing as the pipeline does with state: returns the plan and the state to carry on. */
function runWithState(events: SourcedEvent[], state: StateStore) {
  const ordered = inRoutingOrder(events)
  const limiter = new ReplayingLimiter(
    5 * MINUTE,
    state.rateLimit ?? undefined,
    ordered,
    state.events,
  )
  const planned = plan(ordered, limiter)
  const next: StateStore = { ...state, events: { ...state.events }, rateLimit: limiter.snapshot() }
  ordered.forEach((s, i) => {
    const admitted = limiter.verdicts[i]
    if (admitted !== undefined) next.events[eventKey(s.event)] = { time: s.time, admitted }
  })
  return { planned, next }
}

describe('ReplayingLimiter', () => {
  const configured = sourced(event({ message: 'configured', timestamp: '2024-05-01T10:00:00Z' }))
  const again = sourced(event({ message: 'configured', timestamp: '2024-05-01T10:02:00Z' }), 1)
  // another object's event half an hour later: the limiter's sweeps drop the first bucket
  const later = sourced(
    event({ name: 'other', message: 'later', timestamp: '2024-05-01T10:30:00Z' }),
    2,
  )

  it('lets a re-read event through again, so a failed delivery is retried', () => {
    const run1 = runWithState([configured], emptyState())
    expect(run1.planned.deliveries).toHaveLength(1)
    // a plain limiter restored from the snapshot would take the re-read as its own duplicate
    const plain = plan([configured], new FixedWindowLimiter(5 * MINUTE, run1.next.rateLimit!))
    expect(plain.decisions[0]?.reason).toMatch(/^rate limited/)

    const run2 = runWithState([configured], run1.next)
    expect(run2.planned.deliveries).toHaveLength(1)
  })

  it('keeps a duplicate dropped in an earlier run dropped after its bucket was swept', () => {
    const run1 = runWithState([configured, again, later], emptyState())
    expect(run1.planned.decisions.map((d) => d.outcome)).toEqual(['dry-run', 'skipped', 'skipped'])
    expect(run1.planned.decisions[1]?.reason).toMatch(/^rate limited/)

    const run2 = runWithState([configured, again, later], run1.next)
    expect(run2.planned.decisions.map((d) => d.reason)).toEqual(
      run1.planned.decisions.map((d) => d.reason),
    )
    // the first event has left the source: a plain restored limiter, whose bucket for the key was
    // swept at 10:30, would let the duplicate through
    const plain = plan([again, later], new FixedWindowLimiter(5 * MINUTE, run1.next.rateLimit!))
    expect(plain.decisions[0]?.outcome).toBe('dry-run')
    const run3 = runWithState([again, later], run1.next)
    expect(run3.planned.decisions[0]?.reason).toMatch(/^rate limited/)
  })

  it('rate-limits a new event against the windows of an earlier run', () => {
    const run1 = runWithState([configured], emptyState())
    // run 2 reads only the new duplicate (the first event has left the source)
    const run2 = runWithState([again], run1.next)
    expect(run2.planned.decisions[0]?.reason).toMatch(/^rate limited/)
  })
})
