/**
 * Timestamps the way Kubernetes' `metav1.Time` decodes and encodes them in Go.
 *
 * Decoding is `time.Parse(time.RFC3339, s)`: Go first tries a strict RFC 3339 parser and, when
 * that fails, its generic layout parser, which is a little more lenient (a one-digit hour, a comma
 * before the fraction, a zone offset up to `+24:60`). A string neither accepts makes the
 * controller answer 400. Encoding is `t.UTC().Format(time.RFC3339)`: whole seconds (the fraction is
 * dropped, not rounded), a `Z` suffix, and `null` for Go's zero time (0001-01-01T00:00:00Z).
 */

/** An instant as Go holds it: whole seconds since the Unix epoch plus nanoseconds in [0, 1e9). */
export interface GoInstant {
  seconds: number
  nanos: number
}

// The union of what Go's strict and generic RFC 3339 parsers accept; ranges are checked below.
const RFC3339_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/

/** Parses an RFC 3339 string as Go's `time.Parse(time.RFC3339, …)` does; undefined if Go refuses it. */
export function parseGoRFC3339(text: string): GoInstant | undefined {
  const m = RFC3339_PATTERN.exec(text)
  if (!m) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4])
  const minute = Number(m[5])
  const second = Number(m[6])
  if (month < 1 || month > 12) return undefined
  if (day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined

  // Go reads at most nine fractional digits and ignores the rest.
  const fraction = (m[7] ?? '').slice(0, 9)
  const nanos = fraction === '' ? 0 : Number(fraction.padEnd(9, '0'))

  let offsetSeconds = 0
  if (m[8] !== undefined) {
    const offsetHours = Number(m[9])
    const offsetMinutes = Number(m[10])
    // The generic parser allows up to 24 hours and 60 minutes, a superset of the strict one.
    if (offsetHours > 24 || offsetMinutes > 60) return undefined
    offsetSeconds = (offsetHours * 60 + offsetMinutes) * 60 * (m[8] === '-' ? -1 : 1)
  }

  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second))
  date.setUTCFullYear(year, month - 1, day)
  return { seconds: date.getTime() / 1000 - offsetSeconds, nanos }
}

// Seconds from the Unix epoch back to Go's zero time, 0001-01-01T00:00:00Z.
const GO_ZERO_TIME_SECONDS = (() => {
  const date = new Date(0)
  date.setUTCFullYear(1, 0, 1)
  return date.getTime() / 1000
})()

export function isGoZeroTime(instant: GoInstant): boolean {
  return instant.seconds === GO_ZERO_TIME_SECONDS && instant.nanos === 0
}

/** Formats whole seconds as Go's `Format(time.RFC3339)` does in UTC: `2022-09-30T04:40:29Z`. */
export function formatGoRFC3339(seconds: number): string {
  const date = new Date(seconds * 1000)
  const year = date.getUTCFullYear()
  // Go writes the year with at least four digits and a leading '-' when negative.
  const yearText = (year < 0 ? '-' : '') + String(Math.abs(year)).padStart(4, '0')
  return (
    `${yearText}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}` +
    `T${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}Z`
  )
}

export type NormalisedTimestamp =
  { ok: true; timestamp: string | null; time: number } | { ok: false; error: string }

/**
 * A decoded and re-encoded `metav1.Time`: what the controller holds after reading the event, and
 * the event's time in milliseconds (sub-second precision kept for ordering; NaN when null).
 */
export function normaliseTimestamp(value: string | null | undefined): NormalisedTimestamp {
  if (value === null || value === undefined) return { ok: true, timestamp: null, time: NaN }
  const canonical = canonicalTime(value)
  if (canonical !== undefined) return { ok: true, timestamp: value, time: canonical }
  const instant = parseGoRFC3339(value)
  if (!instant) {
    return { ok: false, error: `cannot parse ${JSON.stringify(value)} as an RFC 3339 time` }
  }
  if (isGoZeroTime(instant)) return { ok: true, timestamp: null, time: NaN }
  return {
    ok: true,
    timestamp: formatGoRFC3339(instant.seconds),
    time: instant.seconds * 1000 + Math.floor(instant.nanos / 1e6),
  }
}

/**
 * Fast path for what Kubernetes and the controllers write (`2026-07-20T10:15:42Z`, years from
 * 0100): such a string is already its own re-encoding, so only its time is computed. Anything
 * else returns undefined and takes the general path.
 */
function canonicalTime(text: string): number | undefined {
  if (text.length !== 20 || text.charCodeAt(19) !== 0x5a /* Z */) return undefined
  if (text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d) return undefined
  if (text.charCodeAt(10) !== 0x54 || text.charCodeAt(13) !== 0x3a) return undefined
  if (text.charCodeAt(16) !== 0x3a) return undefined
  const year = digits(text, 0, 4)
  const month = digits(text, 5, 2)
  const day = digits(text, 8, 2)
  const hour = digits(text, 11, 2)
  const minute = digits(text, 14, 2)
  const second = digits(text, 17, 2)
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined
  }
  if (hour > 23 || minute > 59 || second > 59) return undefined
  return Date.UTC(year, month - 1, day, hour, minute, second)
}

/** The decimal number in text[start, start+count), or -1 if any of it is not a digit. */
function digits(text: string, start: number, count: number): number {
  let n = 0
  for (let i = start; i < start + count; i++) {
    const d = text.charCodeAt(i) - 0x30
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
    return leap ? 29 : 28
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}
