/**
 * Cutting text to a chat service's size limits. The controller sends whatever the event holds
 * and a service refuses a message over its limit (Discord, Webex, Teams answer 400), so the
 * notification is lost. We cut instead: on a code point boundary (never inside a surrogate pair,
 * so the JSON stays valid UTF-8), with a marker at the end of the cut text so readers can tell.
 *
 * Nothing here changes a text that fits: bodies within the limits stay byte for byte the
 * controller's.
 */

/** What a cut text ends with. */
export const CUT_MARKER = '…'

/** The number of Unicode code points in `text` (what most services call characters). */
export function codePointLength(text: string): number {
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // a high surrogate followed by a low one is one code point
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
    count++
  }
  return count
}

/** The UTF-8 size of `text` in bytes. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/** The first `count` code points of `text`. */
function firstCodePoints(text: string, count: number): string {
  let taken = 0
  let end = 0
  while (end < text.length && taken < count) {
    const code = text.charCodeAt(end)
    const pair =
      code >= 0xd800 &&
      code <= 0xdbff &&
      end + 1 < text.length &&
      text.charCodeAt(end + 1) >= 0xdc00 &&
      text.charCodeAt(end + 1) <= 0xdfff
    end += pair ? 2 : 1
    taken++
  }
  return text.slice(0, end)
}

/**
 * `text` when it has at most `maxCodePoints` code points; otherwise its beginning followed by
 * `marker`, `maxCodePoints` code points in all. A limit too small for the marker gives as much of
 * the marker as fits.
 */
export function cutToLength(text: string, maxCodePoints: number, marker = CUT_MARKER): string {
  const max = Math.max(0, Math.floor(maxCodePoints))
  if (codePointLength(text) <= max) return text
  const markerLength = codePointLength(marker)
  if (max <= markerLength) return firstCodePoints(marker, max)
  return firstCodePoints(text, max - markerLength) + marker
}

/**
 * `text` when its UTF-8 form has at most `maxBytes` bytes; otherwise the longest beginning (whole
 * code points) that, followed by `marker`, fits in `maxBytes`.
 */
export function cutToBytes(text: string, maxBytes: number, marker = CUT_MARKER): string {
  const max = Math.max(0, Math.floor(maxBytes))
  if (utf8Length(text) <= max) return text
  const budget = max - utf8Length(marker)
  if (budget < 0) return ''
  let used = 0
  let end = 0
  for (const char of text) {
    // a lone surrogate is sent as U+FFFD: 3 bytes, like any other BMP character above U+07FF
    const size = utf8Length(char)
    if (used + size > budget) break
    used += size
    end += char.length
  }
  return text.slice(0, end) + marker
}

/**
 * Cuts several texts that share one limit (a card's total size, a message's byte budget): every
 * text longer than a common maximum of code points is cut to it with `cutToLength`, the largest
 * maximum for which `fits` accepts the result. Short texts stay whole; the longest lose the most.
 *
 * `fits` is usually "the rendered body is within the service's limit". When even a maximum of 0
 * does not fit (the rest of the body alone is too big), the texts come back empty: as small as
 * we can make them.
 */
export function cutToFit(
  texts: readonly string[],
  fits: (texts: string[]) => boolean,
  marker = CUT_MARKER,
): string[] {
  const whole = [...texts]
  if (fits(whole)) return whole
  const cutAll = (max: number) => texts.map((text) => cutToLength(text, max, marker))
  // Binary search for the largest maximum that fits: `low` always fits (or is the 0 fallback),
  // `high` never does.
  let low = 0
  let high = Math.max(0, ...texts.map(codePointLength))
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2)
    if (fits(cutAll(middle))) low = middle
    else high = middle
  }
  return cutAll(low)
}
