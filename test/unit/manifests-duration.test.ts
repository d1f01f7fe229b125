import { describe, expect, it } from 'vitest'
import { parseGoDuration } from '../../src/util/duration.js'

describe('parseGoDuration (Go time.ParseDuration)', () => {
  it.each([
    // Go's documentation examples
    ['300ms', 300],
    ['-1.5h', -5_400_000],
    ['2h45m', 9_900_000],
    // forms used by Flux manifests and the reference (default timeout 15s, rate limit 5m)
    ['15s', 15_000],
    ['5m', 300_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5s', 1_500],
    ['0', 0],
    ['+10s', 10_000],
    ['1500us', 1.5],
    ['1µs', 0.001],
    ['1μs', 0.001],
    ['100ns', 0.0001],
    ['.5s', 500],
    ['1.s', 1_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9)
  })

  it.each(['', '30', '1d', '.s', 's', '-', '1.2.3s', '1h 30m', '10S', '3000000h'])(
    'refuses %j',
    (text) => {
      expect(() => parseGoDuration(text)).toThrow(/^time: /)
    },
  )

  it('names the missing unit like Go', () => {
    expect(() => parseGoDuration('30')).toThrow('time: missing unit in duration "30"')
    expect(() => parseGoDuration('1d')).toThrow('time: unknown unit "d" in duration "1d"')
  })
})
