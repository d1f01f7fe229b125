/**
 * Go duration strings (`time.ParseDuration`): `300ms`, `1.5s`, `1m30s`, `2h45m`, `-1h`. Used for
 * Provider `spec.timeout` and for the `timeout`, `poll-interval` and `rate-limit-interval` inputs,
 * so that a value that works in a Flux manifest works here too, and vice versa.
 */

/** Nanoseconds per unit, as Go names them (`µs` and `μs` are both accepted, like Go). */
const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek small letter mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
}

/** Go's `time.Duration` is an int64 of nanoseconds: 2^63 ns and beyond is an error there too. */
const LIMIT_NS = 2 ** 63

/**
 * Parses a Go duration and returns it in milliseconds (fractions kept: `1500us` is 1.5).
 * Throws an Error naming the input when Go would reject it: no unit (`30`), an unknown unit
 * (`1d`), an empty number (`.s`), or a value beyond Go's range. The bare string `0` is valid, as
 * in Go. Negative durations are valid Go; callers that need a positive interval check that.
 */
export function parseGoDuration(text: string): number {
  const invalid = (): Error => new Error(`time: invalid duration "${text}"`)
  let s = text
  let negative = false
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-')
    s = s.slice(1)
  }
  if (s === '0') return 0
  if (s === '') throw invalid()

  let totalNs = 0
  while (s !== '') {
    // A number: digits, optionally a dot and more digits; at least one digit overall.
    const number = /^([0-9]*)(\.([0-9]*))?/.exec(s)
    const whole = number?.[1] ?? ''
    const fraction = number?.[3] ?? ''
    if (whole === '' && fraction === '') throw invalid()
    s = s.slice(number![0].length)

    // A unit: everything up to the next digit or dot.
    const unit = /^[^0-9.]*/.exec(s)![0]
    if (unit === '') throw new Error(`time: missing unit in duration "${text}"`)
    const unitNs = UNIT_NS[unit]
    if (unitNs === undefined) throw new Error(`time: unknown unit "${unit}" in duration "${text}"`)
    s = s.slice(unit.length)

    totalNs += Number(`${whole || '0'}.${fraction || '0'}`) * unitNs
    if (totalNs >= LIMIT_NS) throw invalid()
  }
  const ms = totalNs / 1e6
  return negative ? -ms : ms
}
