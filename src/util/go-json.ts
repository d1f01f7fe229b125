/**
 * JSON encoded the way Go's `encoding/json` encodes it, so that bodies (and the HMAC signatures
 * and transaction ids computed over them) match notification-controller's byte for byte.
 *
 * - Plain objects are Go structs: their keys are emitted in insertion order, as written.
 * - `Map` instances are Go maps: their keys are emitted sorted by byte order.
 * - `undefined` properties are dropped (use it for `omitempty`); `null` is emitted as `null`.
 * - Strings escape `<`, `>`, `&`, U+2028 and U+2029 as `\u003c`…, and lone surrogates (invalid
 *   UTF-8 once encoded) become `\ufffd`, unless `escapeHTML` is false (go-github's encoder).
 */

declare global {
  // ES2024, present in Node 20; declared here because the project's lib stays at ES2023 so that
  // nothing newer than Node 20 slips in.
  interface String {
    isWellFormed(): boolean
    toWellFormed(): string
  }
}

export interface GoJsonOptions {
  /** Go's default; go-github's request encoder turns it off. */
  escapeHTML?: boolean
}

export function goJson(value: unknown, options: GoJsonOptions = {}): string {
  return encode(value, options.escapeHTML !== false)
}

/** A Go `map[string]string` (or any map) from a plain record: keys come out sorted. */
export function goMap<V>(record: Record<string, V>): Map<string, V> {
  return new Map(Object.entries(record))
}

/** Compares strings by their UTF-8 bytes, which is Go's map-key order. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0
  // UTF-16 code-unit order equals code-point (and so UTF-8 byte) order except around surrogates:
  // compare code units up to the first difference, and only look at code points when that
  // difference involves a surrogate.
  const length = Math.min(a.length, b.length)
  let i = 0
  while (i < length && a.charCodeAt(i) === b.charCodeAt(i)) i++
  if (i === length) return a.length < b.length ? -1 : 1
  const ca = a.charCodeAt(i)
  const cb = b.charCodeAt(i)
  if (!isSurrogate(ca) && !isSurrogate(cb)) return ca < cb ? -1 : 1
  return compareCodePoints(a, b)
}

function isSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdfff
}

/** The exact order by code points, lone surrogates taken as their own value. */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]()
  const ib = b[Symbol.iterator]()
  for (;;) {
    const ca = ia.next()
    const cb = ib.next()
    if (ca.done) return cb.done ? 0 : -1
    if (cb.done) return 1
    const pa = ca.value.codePointAt(0)!
    const pb = cb.value.codePointAt(0)!
    if (pa !== pb) return pa < pb ? -1 : 1
  }
}

const HAS_SURROGATE = /[\ud800-\udfff]/

export function sortedKeys(keys: Iterable<string>): string[] {
  const list = [...keys]
  // Without surrogates the default sort (code units) already is byte order, and much cheaper.
  for (const key of list) if (HAS_SURROGATE.test(key)) return list.sort(compareBytes)
  return list.sort()
}

function encode(value: unknown, escapeHTML: boolean): string {
  switch (typeof value) {
    case 'string':
      return goString(value, escapeHTML)
    case 'object':
      if (value === null) return 'null'
      break
    case 'undefined':
      return 'null'
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`cannot encode ${value} as JSON`)
      return String(value)
    case 'bigint':
      return value.toString()
    case 'boolean':
      return value ? 'true' : 'false'
    default:
      throw new Error(`cannot encode a ${typeof value} as JSON`)
  }
  // One string built by concatenation (V8 ropes) rather than arrays of parts joined: bodies are
  // encoded for every notification of a run, so the intermediate arrays were most of the garbage.
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    let out = `[${encode(value[0], escapeHTML)}`
    for (let i = 1; i < value.length; i++) out += `,${encode(value[i], escapeHTML)}`
    return `${out}]`
  }
  if (value instanceof Map) return encodeMap(value, escapeHTML)
  if (value instanceof RawJson) return value.json
  const record = value as Record<string, unknown>
  let out = '{'
  for (const key of Object.keys(record)) {
    const v = record[key]
    if (v === undefined) continue
    if (out.length > 1) out += ','
    out += goKey(key, escapeHTML) + encode(v, escapeHTML)
  }
  return `${out}}`
}

/** A Go map: keys sorted by their UTF-8 bytes. */
function encodeMap(map: Map<unknown, unknown>, escapeHTML: boolean): string {
  // One array, sorted in place (sortedKeys copies its input).
  const keys: string[] = []
  let surrogates = false
  for (const k of map.keys()) {
    const key = String(k)
    if (!surrogates && HAS_SURROGATE.test(key)) surrogates = true
    keys.push(key)
  }
  if (surrogates) keys.sort(compareBytes)
  else keys.sort()
  let out = '{'
  for (const key of keys) {
    const v = map.get(key)
    if (v === undefined) continue
    if (out.length > 1) out += ','
    out += goKey(key, escapeHTML) + encode(v, escapeHTML)
  }
  return `${out}}`
}

/** Already-encoded JSON embedded as is (Go's `json.RawMessage`). */
export class RawJson {
  constructor(readonly json: string) {}
}

/**
 * Encoded keys with their colon (`"key":`), per escaping mode. Struct field names and metadata
 * keys repeat in every body of a run; the cache is bounded so that a run with many distinct map
 * keys does not grow it forever.
 */
const keyCache = [new Map<string, string>(), new Map<string, string>()] as const
const KEY_CACHE_SIZE = 4096

function goKey(key: string, escapeHTML: boolean): string {
  const cache = keyCache[escapeHTML ? 1 : 0]
  let encoded = cache.get(key)
  if (encoded === undefined) {
    encoded = `${goString(key, escapeHTML)}:`
    if (cache.size >= KEY_CACHE_SIZE) cache.clear()
    cache.set(key, encoded)
  }
  return encoded
}

/**
 * Strings that Go encodes as they are, between quotes: nothing JSON.stringify would escape (the
 * quote, the backslash, control characters, lone surrogates) and nothing Go escapes on top of it
 * (U+2028, U+2029, and `<`, `>`, `&` when escaping HTML). Surrogates are excluded whole, paired
 * or not: the general path below sorts them out. Most strings of an event (names, reasons,
 * revisions) are like this, and one anchored test costs about half of a JSON.stringify.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const PLAIN_HTML_SAFE = /^[^"\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]*$/
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const PLAIN = /^[^"\\\u0000-\u001f\u2028\u2029\ud800-\udfff]*$/

/** What JSON.stringify leaves as Go would not: HTML characters, U+2028/9, lone surrogates. */
const NEEDS_GO_ESCAPES = /[<>&\u2028\u2029\ud800-\udfff]/

function goString(s: string, escapeHTML: boolean): string {
  // The commonest case: nothing to escape at all.
  if ((escapeHTML ? PLAIN_HTML_SAFE : PLAIN).test(s)) return `"${s}"`
  // The common case: JSON.stringify alone is Go's encoding.
  if (!NEEDS_GO_ESCAPES.test(s)) return JSON.stringify(s)
  // Lone surrogates cannot be encoded as UTF-8; Go replaces invalid UTF-8 with U+FFFD.
  const text = s.isWellFormed() ? s : s.toWellFormed()
  // JSON.stringify escapes `"`, `\`, and control characters (\b \f \n \r \t short, the rest
  // as lower-case \u00xx), exactly as Go 1.22+ does.
  let out = JSON.stringify(text)
  if (escapeHTML && /[<>&]/.test(out)) {
    out = out.replace(/[<>&]/g, (c) => (c === '<' ? '\\u003c' : c === '>' ? '\\u003e' : '\\u0026'))
  }
  if (/[\u2028\u2029]/.test(out)) {
    out = out.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
  }
  return out
}
