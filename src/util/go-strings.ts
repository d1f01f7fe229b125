/**
 * Go's `strings.TrimSpace` and `strconv.Quote`. The controller trims secret values with the one
 * and quotes inputs in its error texts with the other; JavaScript's `trim()` and `JSON.stringify`
 * differ from them in small but visible ways (`U+0085`, `U+FEFF`, `\x01`, `U+00A0`, …), so a value
 * would be accepted, or an error worded, differently than in the controller.
 */

/** Go's `unicode.IsSpace` set: unlike JS `trim()`, it includes U+0085 and excludes U+FEFF. */
const GO_SPACE =
  '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]'
const GO_TRIM = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, 'g')

/** Go's `strings.TrimSpace`. */
export function goTrimSpace(s: string): string {
  return s.replace(GO_TRIM, '')
}

/**
 * Go's `strconv.Quote`, for the strings that end up in error texts: `"` and `\` escaped, control
 * characters as `\n`, `\x01`, …, and what Go does not consider printable as `\u00a0`, `\U000e0001`.
 */
export function goQuote(s: string): string {
  let out = '"'
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if (ch === '"' || ch === '\\') out += '\\' + ch
    else if (ch === '\x07') out += '\\a'
    else if (ch === '\b') out += '\\b'
    else if (ch === '\f') out += '\\f'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\v') out += '\\v'
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0')
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd'
    else if (ch === ' ' || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) out += ch
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0')
    else out += '\\U' + cp.toString(16).padStart(8, '0')
  }
  return out + '"'
}
