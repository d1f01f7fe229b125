/**
 * Hiding secrets in error texts before they reach logs, summaries and outputs.
 *
 * The controller masks a send error with fluxcd/pkg `masktoken.MaskTokenFromString(err, token)`:
 * the pattern `QuoteMeta(token) + "*"` is replaced by `*****`. Because `*` binds to the last
 * character only, that character becomes optional and repeatable: the token without its last
 * character is masked too, and so is the token followed by more copies of its last character.
 */

const MASK = '*****'

/** Go's `regexp.QuoteMeta`: escapes exactly the characters RE2 gives a meaning to. */
function quoteMeta(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/gu, '\\$&')
}

/** The controller's pattern for a token, matching whole code points like Go's rune-based regexp. */
function tokenPattern(token: string): RegExp {
  return new RegExp(`${quoteMeta(token)}*`, 'gu')
}

/**
 * Go's `Regexp.ReplaceAllString`: successive non-overlapping matches, where an empty match right
 * after a previous match is ignored (JavaScript's `replace` would keep it). Only a one-character
 * token can match empty, but then this is what makes the output equal to Go's.
 */
function goReplaceAll(text: string, pattern: RegExp, replacement: string, skipEmpty: boolean) {
  let out = ''
  let copiedUpTo = 0
  let lastMatchEnd = -1
  pattern.lastIndex = 0
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const start = match.index
    const end = start + match[0].length
    if (match[0] === '') {
      // step over one code point so exec makes progress, as Go's scanner does
      const codePoint = text.codePointAt(start)
      pattern.lastIndex = start + (codePoint !== undefined && codePoint > 0xffff ? 2 : 1)
      if (skipEmpty || start === lastMatchEnd) continue
    }
    out += text.slice(copiedUpTo, start) + replacement
    copiedUpTo = end
    lastMatchEnd = end
  }
  return out + text.slice(copiedUpTo)
}

/** `MaskTokenFromString` exactly: an empty token leaves the text unchanged. */
export function maskToken(text: string, token: string): string {
  if (token === '') return text
  return goReplaceAll(text, tokenPattern(token), MASK, false)
}

/**
 * `scheme://user:password@host` → `scheme://***@host`. Go's URL parser takes the authority's last
 * `@` as the end of the user-info, so a greedy match up to the last `@` before the path is right.
 */
export function redactUrlCredentials(text: string): string {
  // (no `@`, nothing to redact: one search instead of the pattern's)
  if (!text.includes('@')) return text
  return text.replace(/\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#\s"'<>]+@/gu, '$1***@')
}

/**
 * Masks every secret (longest first, so a secret that contains another is hidden whole) with the
 * controller's pattern, then redacts credentials embedded in URLs.
 *
 * One difference from `maskToken`: empty matches are skipped. The controller only masks the
 * provider's token; we mask every secret value, and a one-character value (a port, `1`) would
 * otherwise put `*****` between every character of the message. Tokens of two or more characters
 * can never match empty, so for them this is the controller's result.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masker = maskers.get(secrets)
  if (!masker) {
    masker = createMasker(secrets)
    maskers.set(secrets, masker)
  }
  return masker(text)
}

/** One masker per secrets array (a provider's `secretValues` is masked with for every delivery). */
const maskers = new WeakMap<readonly string[], (text: string) => string>()

/**
 * `maskSecrets` for many texts with the same secrets: the patterns are built once, and a text is
 * searched with a secret's pattern only when it contains the shortest string that pattern can
 * match (the secret without its last character, which the controller's `*` makes optional). One
 * search for all of those strings at once settles the common case, a text with no secret in it.
 * Texts come back again and again (a run's decision reasons are a few hundred texts over a
 * hundred thousand rows): each is masked once and remembered.
 */
export function createMasker(secrets: readonly string[]): (text: string) => string {
  const ordered = [...new Set(secrets)]
    .filter((secret) => secret !== '')
    .sort((a, b) => b.length - a.length)
    .map((secret) => ({ needle: shortestMatch(secret), pattern: tokenPattern(secret) }))
  // Whether a text contains any of the needles at all, in one search (code units, as `includes`
  // compares): a text that contains none is left as it is by every pattern, since no secret
  // is replaced to make a new one appear.
  const anyNeedle =
    ordered.length > 0 ? new RegExp(ordered.map(({ needle }) => quoteMeta(needle)).join('|')) : null
  const mask = (text: string): string => {
    let masked = text
    if (anyNeedle?.test(text)) {
      for (const { needle, pattern } of ordered) {
        if (masked.includes(needle)) masked = goReplaceAll(masked, pattern, MASK, true)
      }
    }
    return redactUrlCredentials(masked)
  }
  const remembered = new Map<string, string>()
  return (text) => {
    let masked = remembered.get(text)
    if (masked === undefined) {
      masked = mask(text)
      if (text.length <= MAX_REMEMBERED_LENGTH) {
        if (remembered.size >= MAX_REMEMBERED) remembered.clear()
        remembered.set(text, masked)
      }
    }
    return masked
  }
}

/** How many texts a masker remembers, and up to which length (longer ones are rarely repeated). */
const MAX_REMEMBERED = 1024
const MAX_REMEMBERED_LENGTH = 512

/** The shortest text `tokenPattern(secret)` matches without matching empty. */
function shortestMatch(secret: string): string {
  const codePoints = [...secret]
  return codePoints.length >= 2 ? codePoints.slice(0, -1).join('') : secret
}
