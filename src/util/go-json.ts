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
  // UTF-16 code-unit order equals code-point order except around surrogates; compare code points.
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

export function sortedKeys(keys: Iterable<string>): string[] {
  return [...keys].sort(compareBytes)
}

function encode(value: unknown, escapeHTML: boolean): string {
  if (value === null || value === undefined) return 'null'
  switch (typeof value) {
    case 'string':
      return goString(value, escapeHTML)
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`cannot encode ${value} as JSON`)
      return String(value)
    case 'bigint':
      return value.toString()
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      break
    default:
      throw new Error(`cannot encode a ${typeof value} as JSON`)
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => encode(v, escapeHTML)).join(',')}]`
  }
  if (value instanceof Map) {
    const parts: string[] = []
    for (const key of sortedKeys([...value.keys()].map(String))) {
      const v = value.get(key)
      if (v === undefined) continue
      parts.push(`${goString(key, escapeHTML)}:${encode(v, escapeHTML)}`)
    }
    return `{${parts.join(',')}}`
  }
  if (value instanceof RawJson) return value.json
  const parts: string[] = []
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue
    parts.push(`${goString(key, escapeHTML)}:${encode(v, escapeHTML)}`)
  }
  return `{${parts.join(',')}}`
}

/** Already-encoded JSON embedded as is (Go's `json.RawMessage`). */
export class RawJson {
  constructor(readonly json: string) {}
}

function goString(s: string, escapeHTML: boolean): string {
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
