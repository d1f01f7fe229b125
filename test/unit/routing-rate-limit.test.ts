import { describe, expect, it } from 'vitest'
import { cleanupMetadata } from '../../src/routing/metadata.js'
import { FixedWindowLimiter, formatGoDuration, rateLimitKey } from '../../src/routing/rate-limit.js'
import { event } from '../support/factories.js'

const KUSTOMIZE = 'kustomize.toolkit.fluxcd.io'
const MINUTE = 60_000
const T0 = Date.parse('2024-05-01T10:00:00Z')

function kustomization(name: string, message: string, metadata?: Record<string, string>) {
  return event({
    kind: 'Kustomization',
    apiVersion: `${KUSTOMIZE}/v1`,
    namespace: name,
    name,
    message,
    metadata,
  })
}

describe('rateLimitKey (reference §3)', () => {
  it('hashes event/name/namespace/kind/message as in the reference example', () => {
    expect(rateLimitKey(kustomization('1', 'Health check passed'))).toBe(
      'acafa3267ee162f37eea965bd741c1447004be52ce8991161b716747ddcb4762',
    )
  })

  it('ignores severity, reason, timestamp, other and unprefixed metadata', () => {
    const base = rateLimitKey(kustomization('1', 'Health check passed'))
    const other = kustomization('1', 'Health check passed', {
      revision: 'unprefixed',
      [`${KUSTOMIZE}/commit_status`]: 'update',
      'event.toolkit.fluxcd.io/revision': 'annotation',
    })
    other.severity = 'error'
    other.reason = 'Other'
    other.timestamp = '2030-01-01T00:00:00Z'
    expect(rateLimitKey(other)).toBe(base)
  })

  it('includes the group revision, originRevision and token when present', () => {
    const base = rateLimitKey(kustomization('1', 'm'))
    for (const key of ['revision', 'originRevision', 'token']) {
      expect(rateLimitKey(kustomization('1', 'm', { [`${KUSTOMIZE}/${key}`]: 'x' }))).not.toBe(base)
    }
  })
})

describe('TestEventKeyFunc sequence (reference §8.3, interval 10m)', () => {
  const cases: Array<[string, Record<string, string> | undefined, string, boolean]> = [
    ['1', undefined, 'Health check passed', true],
    ['1', undefined, 'Health check passed', false],
    ['1', undefined, 'Health check timed out', true],
    ['2', undefined, 'Health check passed', true],
    ['3', undefined, 'Health check passed', true],
    ['2', undefined, 'Health check passed', false],
    ['4', { [`${KUSTOMIZE}/revision`]: 'rev1' }, 'Health check passed', true],
    ['4', { [`${KUSTOMIZE}/revision`]: 'rev1' }, 'Health check passed', false],
    ['4', { [`${KUSTOMIZE}/revision`]: 'rev2' }, 'Health check passed', true],
    ['5', { [`${KUSTOMIZE}/originRevision`]: 'orev1' }, 'Health check passed', true],
    ['5', { [`${KUSTOMIZE}/originRevision`]: 'orev1' }, 'Health check passed', false],
    ['5', { [`${KUSTOMIZE}/originRevision`]: 'orev2' }, 'Health check passed', true],
    ['6', { [`${KUSTOMIZE}/token`]: 'token1' }, 'Health check passed', true],
    ['6', { [`${KUSTOMIZE}/token`]: 'token1' }, 'Health check passed', false],
    ['6', { [`${KUSTOMIZE}/token`]: 'token2' }, 'Health check passed', true],
  ]
  it('lets the first of each key through and limits repeats within the window', () => {
    const limiter = new FixedWindowLimiter(10 * MINUTE)
    const passed = cases.map(([name, metadata, message], i) =>
      limiter.take(
        rateLimitKey(cleanupMetadata(kustomization(name, message, metadata))),
        T0 + i * 1000,
      ),
    )
    expect(passed).toEqual(cases.map((c) => c[3]))
  })
})

describe('FixedWindowLimiter (go-limiter memorystore, one token)', () => {
  const I = 5 * MINUTE

  it('anchors windows at the first sighting: the next window opens exactly I later', () => {
    const limiter = new FixedWindowLimiter(I)
    expect(limiter.take('k', T0)).toBe(true)
    expect(limiter.take('k', T0 + I - 1)).toBe(false)
    expect(limiter.take('k', T0 + I)).toBe(true)
    expect(limiter.take('k', T0 + I + 1)).toBe(false)
  })

  it('keeps one set of windows per key, each anchored at its own first sighting', () => {
    const limiter = new FixedWindowLimiter(I)
    expect(limiter.take('a', T0)).toBe(true)
    expect(limiter.take('b', T0 + I / 2)).toBe(true)
    // a's second window opened at T0+I; b's first window lasts until T0+1.5I.
    expect(limiter.take('a', T0 + I)).toBe(true)
    expect(limiter.take('b', T0 + I)).toBe(false)
    expect(limiter.take('b', T0 + 1.5 * I)).toBe(true)
  })

  it('is a fixed window, not a sliding one: two passes can be a moment apart', () => {
    const limiter = new FixedWindowLimiter(I)
    expect(limiter.take('k', T0)).toBe(true)
    expect(limiter.take('k', T0 + I - 1000)).toBe(false)
    expect(limiter.take('k', T0 + I + 1000)).toBe(true)
  })

  it('keeps a bucket idle for exactly 2I, so its windows stay anchored at the first sighting', () => {
    const limiter = new FixedWindowLimiter(I)
    expect(limiter.take('k', T0)).toBe(true)
    // The sweep due at T0+2I sees 2I of idleness: not more than 2I, the bucket stays.
    expect(limiter.take('k', T0 + 2.5 * I)).toBe(true)
    // Still anchored at T0: T0+3.2I is in window 3, a new one.
    expect(limiter.take('k', T0 + 3.2 * I)).toBe(true)
  })

  it('sweeps a bucket idle for more than 2I; the next event re-anchors the windows', () => {
    const limiter = new FixedWindowLimiter(I)
    expect(limiter.take('k', T0)).toBe(true)
    // The sweep due at T0+3I deletes it (3I > 2I); a new bucket starts at T0+3.5I.
    expect(limiter.take('k', T0 + 3.5 * I)).toBe(true)
    // Anchored at T0 this would be window 4 and pass; anchored at T0+3.5I it is still window 0.
    expect(limiter.take('k', T0 + 4.2 * I)).toBe(false)
    expect(limiter.take('k', T0 + 4.5 * I)).toBe(true)
  })

  it('round-trips its state through a JSON snapshot', () => {
    const first = new FixedWindowLimiter(I)
    expect(first.take('k', T0)).toBe(true)
    const restored = new FixedWindowLimiter(I, JSON.parse(JSON.stringify(first.snapshot())))
    expect(restored.take('k', T0 + 1000)).toBe(false)
    expect(restored.take('k', T0 + I)).toBe(true)
    expect(restored.latestTimeMs).toBe(T0 + I)
    // The sweep clock travels too: the bucket idle since T0 is gone at T0+3.5I.
    const again = new FixedWindowLimiter(I, JSON.parse(JSON.stringify(first.snapshot())))
    expect(again.take('k', T0 + 3.5 * I)).toBe(true)
    expect(again.take('k', T0 + 4.2 * I)).toBe(false)
  })

  it('ignores a snapshot taken with another interval', () => {
    const first = new FixedWindowLimiter(I)
    first.take('k', T0)
    const other = new FixedWindowLimiter(2 * I, first.snapshot())
    expect(other.take('k', T0 + 1000)).toBe(true)
  })

  it('refuses a non-positive interval', () => {
    expect(() => new FixedWindowLimiter(0)).toThrow(/positive/)
  })
})

describe('formatGoDuration (time.Duration.String)', () => {
  it.each([
    [5 * MINUTE, '5m0s'],
    [10 * MINUTE, '10m0s'],
    [60 * MINUTE, '1h0m0s'],
    [90 * MINUTE, '1h30m0s'],
    [30_000, '30s'],
    [1_500, '1.5s'],
    [500, '500ms'],
    [1.5, '1.5ms'],
    [0, '0s'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text)
  })
})
