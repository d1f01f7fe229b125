/**
 * A small JSON syntax scanner. `JSON.parse` does the real work everywhere; this is only used to
 * say where and why a text is not JSON, with the same wording on every Node version (V8's
 * messages differ between releases and sometimes quote the whole input): for one NDJSON line, for
 * one value cut out of a stream by `stream.ts`, and (`describeAt`) for the structure around
 * those values, which `stream.ts` checks itself.
 */

export type ScanResult = { ok: true; end: number } | { ok: false; at: number; reason: string }

// the structural characters, shared with stream.ts
export const OPEN_OBJECT = 0x7b // {
export const CLOSE_OBJECT = 0x7d // }
export const OPEN_ARRAY = 0x5b // [
export const CLOSE_ARRAY = 0x5d // ]
export const QUOTE = 0x22 // "
export const BACKSLASH = 0x5c // \
export const COMMA = 0x2c // ,
export const COLON = 0x3a // :
const MINUS = 0x2d // -
const DOT = 0x2e // .

/** Skips JSON whitespace (space, tab, CR, LF) from `pos`. */
export function skipJsonWhitespace(text: string, pos: number): number {
  while (pos < text.length) {
    const c = text.charCodeAt(pos)
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break
    pos++
  }
  return pos
}

/**
 * Scans one JSON value starting at `start` (whitespace before it is skipped) and returns the
 * offset just after it, or the offset and reason of the first syntax error.
 */
export function scanJsonValue(text: string, start: number): ScanResult {
  const stack: number[] = []
  let i = start

  for (;;) {
    // Expecting a value at i.
    i = skipJsonWhitespace(text, i)
    if (i >= text.length) return fail(i, 'unexpected end of input')
    const c = text.charCodeAt(i)
    if (c === OPEN_OBJECT) {
      i = skipJsonWhitespace(text, i + 1)
      if (text.charCodeAt(i) === CLOSE_OBJECT) {
        i++
      } else {
        stack.push(OPEN_OBJECT)
        const key = scanKey(text, i)
        if (!key.ok) return key
        i = key.end
        continue
      }
    } else if (c === OPEN_ARRAY) {
      i = skipJsonWhitespace(text, i + 1)
      if (text.charCodeAt(i) === CLOSE_ARRAY) {
        i++
      } else {
        stack.push(OPEN_ARRAY)
        continue
      }
    } else if (c === QUOTE) {
      const s = scanString(text, i)
      if (!s.ok) return s
      i = s.end
    } else if (c === MINUS || isDigit(c)) {
      const n = scanNumber(text, i)
      if (!n.ok) return n
      i = n.end
    } else if (text.startsWith('true', i)) {
      i += 4
    } else if (text.startsWith('false', i)) {
      i += 5
    } else if (text.startsWith('null', i)) {
      i += 4
    } else {
      return fail(i, `unexpected ${describeAt(text, i)}, expected a value`)
    }

    // After a value: close containers or move to the next element.
    for (;;) {
      const top = stack[stack.length - 1]
      if (top === undefined) return { ok: true, end: i }
      i = skipJsonWhitespace(text, i)
      const d = text.charCodeAt(i)
      if (d === COMMA) {
        i = skipJsonWhitespace(text, i + 1)
        if (top === OPEN_OBJECT) {
          const key = scanKey(text, i)
          if (!key.ok) return key
          i = key.end
        }
        break
      }
      if (top === OPEN_OBJECT && d === CLOSE_OBJECT) {
        stack.pop()
        i++
        continue
      }
      if (top === OPEN_ARRAY && d === CLOSE_ARRAY) {
        stack.pop()
        i++
        continue
      }
      const expected = top === OPEN_OBJECT ? "',' or '}'" : "',' or ']'"
      return fail(i, `unexpected ${describeAt(text, i)}, expected ${expected}`)
    }
  }
}

/** Scans `"name" :` and returns the offset of the value that follows. */
function scanKey(text: string, i: number): ScanResult {
  if (text.charCodeAt(i) !== QUOTE) {
    return fail(i, `unexpected ${describeAt(text, i)}, expected a double-quoted property name`)
  }
  const s = scanString(text, i)
  if (!s.ok) return s
  const colon = skipJsonWhitespace(text, s.end)
  if (text.charCodeAt(colon) !== COLON) {
    return fail(colon, `unexpected ${describeAt(text, colon)}, expected ':' after a property name`)
  }
  return { ok: true, end: colon + 1 }
}

function scanString(text: string, i: number): ScanResult {
  i++ // opening quote
  for (;;) {
    if (i >= text.length) return fail(i, 'unterminated string')
    const c = text.charCodeAt(i)
    if (c === QUOTE) return { ok: true, end: i + 1 }
    if (c < 0x20) return fail(i, 'control character (e.g. a line break) inside a string')
    if (c === BACKSLASH) {
      const e = text[i + 1]
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          return fail(i, 'invalid \\u escape in a string')
        }
        i += 6
        continue
      }
      if (e === undefined || !'"\\/bfnrt'.includes(e)) return fail(i, 'invalid escape in a string')
      i += 2
      continue
    }
    i++
  }
}

function scanNumber(text: string, i: number): ScanResult {
  const start = i
  if (text.charCodeAt(i) === MINUS) i++
  if (!isDigit(text.charCodeAt(i))) return fail(start, 'invalid number')
  if (text.charCodeAt(i) === 0x30) i++
  else while (isDigit(text.charCodeAt(i))) i++
  if (text.charCodeAt(i) === DOT) {
    i++
    if (!isDigit(text.charCodeAt(i))) return fail(start, 'invalid number')
    while (isDigit(text.charCodeAt(i))) i++
  }
  const e = text.charCodeAt(i)
  if (e === 0x65 || e === 0x45) {
    i++
    const sign = text.charCodeAt(i)
    if (sign === 0x2b || sign === MINUS) i++
    if (!isDigit(text.charCodeAt(i))) return fail(start, 'invalid number')
    while (isDigit(text.charCodeAt(i))) i++
  }
  return { ok: true, end: i }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** How messages name the character at `i`: `character "x"`, or `end of input`. */
export function describeAt(text: string, i: number): string {
  if (i >= text.length) return 'end of input'
  const ch = String.fromCodePoint(text.codePointAt(i)!)
  // JSON.stringify leaves U+0085, U+2028 and U+2029 as they are: line breaks in a one-line message
  const quoted = JSON.stringify(ch).replace(
    /[\u0085\u2028\u2029]/,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
  return `character ${quoted}`
}

function fail(at: number, reason: string): ScanResult {
  return { ok: false, at, reason }
}
