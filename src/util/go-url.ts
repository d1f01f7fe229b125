/**
 * Go's `net/url`, as far as notification-controller's behaviour depends on it: `url.Parse`,
 * `url.ParseRequestURI` and `url.Userinfo.String()`.
 *
 * The controller decides with these whether a Provider's address or proxy is acceptable, and its
 * error texts quote them (`invalid hook URL <u>: parse "<u>": empty url`,
 * `failed to parse proxy address '<u>': parse "<u>": invalid character "|" in host name`).
 * JavaScript's WHATWG `URL` accepts and rejects different strings (which characters a host may
 * hold, what a scheme is, whether `%zz` is an error) and has no such error texts, so Go's rules
 * are copied here instead, check for check and message for message.
 */
import { goQuote } from './go-strings.js'

/** What `url.Parse` / `url.ParseRequestURI` found: the fields of Go's `url.URL` this project reads. */
export interface GoUrl {
  /** lower-cased, as Go stores it */
  scheme: string
  opaque: string
  /** the raw user-info (before `@`), or undefined when there was none */
  user?: string
  /** `host[:port]` */
  host: string
  /** the unescaped path */
  path: string
  rawQuery: string
}

/** The parsed URL, or Go's `*url.Error` text (`parse "<u>": <why>`). */
export type GoUrlResult = { url: GoUrl } | { error: string }

/**
 * Go's `url.Parse`: a URL reference, relative or absolute; the `#fragment` is cut first. As in Go,
 * an error before the fragment quotes the URL without its fragment, an error in the fragment the
 * whole URL.
 */
export function parseGoUrl(raw: string): GoUrlResult {
  const hash = raw.indexOf('#')
  const withoutFragment = hash < 0 ? raw : raw.slice(0, hash)
  const parsed = parse(withoutFragment, false)
  if (typeof parsed === 'string') return { error: urlError(withoutFragment, parsed) }
  if (hash >= 0) {
    // Go unescapes the fragment too and fails on a bad escape.
    const fragment = unescape(raw.slice(hash + 1), 'fragment')
    if (typeof fragment !== 'string') return { error: urlError(raw, fragment.error) }
  }
  return { url: parsed }
}

/**
 * Go's `url.ParseRequestURI`: only an absolute URI or an absolute path; an empty string fails.
 * Nothing is cut at `#` (Go assumes a request URI has no fragment).
 */
export function parseRequestUri(raw: string): GoUrlResult {
  const parsed = parse(raw, true)
  if (typeof parsed === 'string') return { error: urlError(raw, parsed) }
  return { url: parsed }
}

/** `*url.Error`'s text: `parse "<url>": <err>`. */
function urlError(raw: string, err: string): string {
  return `parse ${goQuote(raw)}: ${err}`
}

/** The body of Go's `url.parse(rawURL, viaRequest)`; returns the error text on failure. */
function parse(raw: string, viaRequest: boolean): GoUrl | string {
  if (hasControlByte(raw)) return 'net/url: invalid control character in URL'
  if (raw === '' && viaRequest) return 'empty url'
  const url: GoUrl = { scheme: '', opaque: '', host: '', path: '', rawQuery: '' }
  if (raw === '*') {
    url.path = '*'
    return url
  }

  const scheme = getScheme(raw)
  if (typeof scheme !== 'string') return scheme.error
  url.scheme = scheme.toLowerCase()
  let rest = scheme === '' ? raw : raw.slice(scheme.length + 1)

  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) {
    rest = rest.slice(0, -1)
  } else {
    const q = rest.indexOf('?')
    if (q >= 0) {
      url.rawQuery = rest.slice(q + 1)
      rest = rest.slice(0, q)
    }
  }

  if (!rest.startsWith('/')) {
    if (url.scheme !== '') {
      // `mailto:x`, `github.com:owner/repo`: an opaque URL, which Go accepts.
      url.opaque = rest
      return url
    }
    if (viaRequest) return 'invalid URI for request'
    // A relative reference must not look like a scheme (`a:b/c` without a valid scheme).
    const slash = rest.indexOf('/')
    const segment = slash < 0 ? rest : rest.slice(0, slash)
    if (segment.includes(':')) return 'first path segment in URL cannot contain colon'
  }

  if ((url.scheme !== '' || (!viaRequest && !rest.startsWith('///'))) && rest.startsWith('//')) {
    let authority = rest.slice(2)
    rest = ''
    const slash = authority.indexOf('/')
    if (slash >= 0) {
      rest = authority.slice(slash)
      authority = authority.slice(0, slash)
    }
    const parsedAuthority = parseAuthority(authority)
    if (typeof parsedAuthority === 'string') return parsedAuthority
    url.host = parsedAuthority.host
    if (parsedAuthority.user !== undefined) url.user = parsedAuthority.user
  }

  const path = unescape(rest, 'path')
  if (typeof path !== 'string') return path.error
  url.path = path
  return url
}

/** Go's `stringContainsCTLByte`: a byte below a space, or DEL. */
function hasControlByte(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

/** Go's `getScheme`: letters, then letters/digits/`+-.`, then `:`. */
function getScheme(raw: string): string | { error: string } {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (/[a-zA-Z]/.test(c)) continue
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return ''
      continue
    }
    if (c === ':') {
      if (i === 0) return { error: 'missing protocol scheme' }
      return raw.slice(0, i)
    }
    // any other character: there is no scheme
    return ''
  }
  return ''
}

function parseAuthority(authority: string): { user?: string; host: string } | string {
  const at = authority.lastIndexOf('@')
  const host = parseHost(at < 0 ? authority : authority.slice(at + 1))
  if (typeof host !== 'string') return host.error
  if (at < 0) return { host }
  const userinfo = authority.slice(0, at)
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) return 'net/url: invalid userinfo'
  // Go unescapes the username and the password (everything after the first `:`) separately.
  const colon = userinfo.indexOf(':')
  const parts = colon < 0 ? [userinfo] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)]
  for (const part of parts) {
    const unescaped = unescape(part, 'userinfo')
    if (typeof unescaped !== 'string') return unescaped.error
  }
  return { user: userinfo, host }
}

function parseHost(host: string): string | { error: string } {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']')
    if (close < 0) return { error: "missing ']' in host" }
    const colonPort = host.slice(close + 1)
    if (!validOptionalPort(colonPort)) {
      return { error: `invalid port ${goQuote(colonPort)} after host` }
    }
    // An IPv6 zone (`%25en0`) may hold escapes a host may not; keep it as written.
    const zone = host.slice(0, close).indexOf('%25')
    if (zone >= 0) {
      const before = unescape(host.slice(0, zone), 'host')
      if (typeof before !== 'string') return before
      const zonePart = unescape(host.slice(zone, close), 'zone')
      if (typeof zonePart !== 'string') return zonePart
      return before + zonePart + host.slice(close)
    }
  } else {
    const colon = host.lastIndexOf(':')
    if (colon >= 0) {
      const colonPort = host.slice(colon)
      if (!validOptionalPort(colonPort)) {
        return { error: `invalid port ${goQuote(colonPort)} after host` }
      }
    }
  }
  return unescape(host, 'host')
}

function validOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port)
}

type EscapeMode = 'path' | 'host' | 'zone' | 'userinfo' | 'fragment'

const HEX = /^[0-9a-fA-F]{2}$/

/**
 * Go's `unescape`: `%XX` must be two hex digits; in a host, escapes of ASCII (other than `%25`)
 * and characters Go would escape are errors. Works on UTF-8 bytes, as Go does.
 */
function unescape(s: string, mode: EscapeMode): string | { error: string } {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3)
      if (!HEX.test(hex)) {
        return { error: `invalid URL escape ${goQuote(s.slice(i, i + 3))}` }
      }
      const value = parseInt(hex, 16)
      if (mode === 'host' && value < 0x80 && hex !== '25') {
        return { error: `invalid URL escape ${goQuote(s.slice(i, i + 3))}` }
      }
      if (mode === 'zone' && hex !== '25' && value !== 0x20 && hostNeedsEscape(value)) {
        return { error: `invalid URL escape ${goQuote(s.slice(i, i + 3))}` }
      }
      i += 2
      continue
    }
    if ((mode === 'host' || mode === 'zone') && c.charCodeAt(0) < 0x80) {
      if (hostNeedsEscape(c.charCodeAt(0))) {
        return { error: `invalid character ${goQuote(c)} in host name` }
      }
    }
  }
  return decodeBytes(s)
}

/** Go's `shouldEscape(c, encodeHost)` for an ASCII byte. */
function hostNeedsEscape(code: number): boolean {
  const c = String.fromCharCode(code)
  if (/[A-Za-z0-9]/.test(c)) return false
  if ('!$&\'()*+,;=:[]<>"'.includes(c)) return false
  if ('-_.~'.includes(c)) return false
  return true
}

/** Percent-decoding over UTF-8 bytes (the escapes were validated already). */
function decodeBytes(s: string): string {
  if (!s.includes('%')) return s
  const bytes: number[] = []
  const encoder = new TextEncoder()
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16))
      i += 2
      continue
    }
    // Copy the whole code point (a surrogate pair stays together).
    const cp = s.codePointAt(i)!
    const ch = String.fromCodePoint(cp)
    bytes.push(...encoder.encode(ch))
    i += ch.length - 1
  }
  return new TextDecoder().decode(new Uint8Array(bytes))
}

/**
 * `url.UserPassword(u, p).String()` (or `url.User(u)` when `password` is undefined): every byte
 * outside `A-Za-z0-9-._~$&+,;=` is percent-encoded, upper-case, as Go does for userinfo.
 */
export function goUserinfo(username: string, password?: string): string {
  const escape = (s: string): string => percentEncodeBytes(s, /[A-Za-z0-9\-._~$&+,;=]/)
  return password === undefined ? escape(username) : `${escape(username)}:${escape(password)}`
}

/**
 * Go's `url.PathEscape`: every UTF-8 byte outside `A-Za-z0-9-_.~$&+:=@` becomes `%XX`, so `/`
 * is escaped and a path (a GitLab project, a Gitea owner) stays one segment.
 */
export function goPathEscape(segment: string): string {
  return percentEncodeBytes(segment, /[A-Za-z0-9\-_.~$&+:=@]/)
}

/** Each UTF-8 byte of `s` as is when it is ASCII and `keep` matches it, else as upper-case `%XX`. */
function percentEncodeBytes(s: string, keep: RegExp): string {
  let out = ''
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += byte < 0x80 && keep.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/**
 * `address` with its userinfo replaced, as `u.User = …; u.String()` gives for the usual
 * `scheme://host[:port][/path]` form. Other forms (opaque URLs) are returned unchanged, because Go
 * drops the userinfo of an opaque URL too.
 */
export function withUserinfo(address: string, userinfo: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+\-.]*):\/\/([^/?#]*)(.*)$/s.exec(address)
  if (!match) return address
  const [, scheme, authority, rest] = match
  const host = authority!.slice(authority!.lastIndexOf('@') + 1)
  return `${scheme!.toLowerCase()}://${userinfo}@${host}${rest}`
}
