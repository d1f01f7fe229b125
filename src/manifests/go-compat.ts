/**
 * The few Go standard-library behaviours that decide whether the controller accepts a secret value:
 * `strings.TrimSpace`, `net/url.Parse` (which errors) and `url.Userinfo.String()` (how a proxy
 * username and password are escaped into the URL). JavaScript's `trim()` and `URL` differ from
 * them in small but visible ways (`U+0085`, `U+FEFF`, which characters a host may hold, …).
 */

/** Go's `unicode.IsSpace` set: unlike JS `trim()`, it includes U+0085 and excludes U+FEFF. */
const GO_SPACE =
  '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]'
const GO_TRIM = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, 'g')

/** `strings.TrimSpace`. */
export function goTrimSpace(s: string): string {
  return s.replace(GO_TRIM, '')
}

/** What `url.Parse` found, as far as the controller looks at it. */
export type GoUrl = { scheme: string } | { error: string }

const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
const isDigit = (c: string): boolean => c >= '0' && c <= '9'
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c)

/**
 * `url.Parse(raw)`: the scheme (lower-cased), or Go's error text
 * (`parse "<raw>": invalid character "|" in host name`). Only the checks that can fail are
 * reproduced; the parsed parts themselves are not needed.
 */
export function goUrlParse(raw: string): GoUrl {
  const hash = raw.indexOf('#')
  const beforeFragment = hash < 0 ? raw : raw.slice(0, hash)
  // Go names the URL without its fragment in errors about the part before it.
  const fail = (why: string): GoUrl => ({ error: `parse ${goQuote(beforeFragment)}: ${why}` })
  if ([...beforeFragment].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    return fail('net/url: invalid control character in URL')
  }
  if (beforeFragment === '*') return { scheme: '' }

  // getScheme: letters, then letters/digits/+-. up to ':'; anything else means "no scheme".
  let scheme = ''
  let rest = beforeFragment
  for (let i = 0; i < beforeFragment.length; i++) {
    const c = beforeFragment[i]!
    if (isAlpha(c)) continue
    if (isDigit(c) || c === '+' || c === '-' || c === '.') {
      if (i === 0) break
      continue
    }
    if (c === ':') {
      if (i === 0) return fail('missing protocol scheme')
      scheme = beforeFragment.slice(0, i).toLowerCase()
      rest = beforeFragment.slice(i + 1)
    }
    break
  }

  const question = rest.indexOf('?')
  if (question >= 0) rest = rest.slice(0, question)

  if (!rest.startsWith('/')) {
    if (scheme !== '') return checkFragment(raw, hash, scheme) // opaque URL, e.g. mailto:x
    const firstSegment = rest.split('/')[0]!
    if (firstSegment.includes(':')) return fail('first path segment in URL cannot contain colon')
  }

  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2)
    const slash = authority.indexOf('/')
    rest = slash >= 0 ? authority.slice(slash) : ''
    if (slash >= 0) authority = authority.slice(0, slash)
    const authorityError = checkAuthority(authority)
    if (authorityError) return fail(authorityError)
  }

  const pathError = checkEscapes(rest, false)
  if (pathError) return fail(pathError)
  return checkFragment(raw, hash, scheme)
}

function checkFragment(raw: string, hash: number, scheme: string): GoUrl {
  if (hash < 0) return { scheme }
  const error = checkEscapes(raw.slice(hash + 1), false)
  return error ? { error: `parse ${goQuote(raw)}: ${error}` } : { scheme }
}

function checkAuthority(authority: string): string | undefined {
  const at = authority.lastIndexOf('@')
  const hostError = checkHost(at < 0 ? authority : authority.slice(at + 1))
  if (hostError) return hostError
  if (at < 0) return undefined
  const userinfo = authority.slice(0, at)
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) return 'net/url: invalid userinfo'
  const colon = userinfo.indexOf(':')
  const parts = colon < 0 ? [userinfo] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)]
  for (const part of parts) {
    const error = checkEscapes(part, false)
    if (error) return error
  }
  return undefined
}

function checkHost(host: string): string | undefined {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']')
    if (close < 0) return "missing ']' in host"
    const colonPort = host.slice(close + 1)
    if (!validOptionalPort(colonPort)) return `invalid port ${goQuote(colonPort)} after host`
    return undefined
  }
  const colon = host.lastIndexOf(':')
  if (colon >= 0) {
    const colonPort = host.slice(colon)
    if (!validOptionalPort(colonPort)) return `invalid port ${goQuote(colonPort)} after host`
  }
  return checkEscapes(host, true)
}

function validOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port)
}

/** Go's `unescape`: bad `%` escapes always fail; in a host, so do characters a host cannot hold. */
function checkEscapes(s: string, host: boolean): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) {
        return `invalid URL escape ${goQuote(s.slice(i, i + 3))}`
      }
      if (host && parseInt(s[i + 1]!, 16) < 8 && s.slice(i, i + 3) !== '%25') {
        return `invalid URL escape ${goQuote(s.slice(i, i + 3))}`
      }
      i += 2
      continue
    }
    if (host && c.charCodeAt(0) < 0x80 && !/[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]/.test(c)) {
      return `invalid character ${goQuote(c)} in host name`
    }
  }
  return undefined
}

/** Enough of Go's `strconv.Quote` for error messages: quotes and escapes `"` and `\`. */
function goQuote(s: string): string {
  return JSON.stringify(s)
}

/**
 * `url.UserPassword(u, p).String()` (or `url.User(u)` when `password` is undefined): every byte
 * outside `A-Za-z0-9-._~$&+,;=` is percent-encoded, upper-case, as Go does for userinfo.
 */
export function goUserinfo(username: string, password?: string): string {
  const escape = (s: string): string =>
    Array.from(Buffer.from(s, 'utf8'))
      .map((b) => {
        const c = String.fromCharCode(b)
        return /[A-Za-z0-9\-._~$&+,;=]/.test(c) && b < 0x80
          ? c
          : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
      })
      .join('')
  return password === undefined ? escape(username) : `${escape(username)}:${escape(password)}`
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
