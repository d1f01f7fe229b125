import { describe, expect, it } from 'vitest'
import { maskSecrets, maskToken, redactUrlCredentials } from '../../src/delivery/mask.js'

// Reference §7: `QuoteMeta(token) + "*"` replaced by `*****`; the token's last character is
// optional and repeatable.
describe('maskToken (masktoken.MaskTokenFromString)', () => {
  it('masks the token', () => {
    expect(maskToken('401 Unauthorized: token abc123 is bad', 'abc123')).toBe(
      '401 Unauthorized: token ***** is bad',
    )
  })

  it('masks the token without its last character', () => {
    expect(maskToken('seen abc12 here', 'abc123')).toBe('seen ***** here')
  })

  it('masks the token followed by more copies of its last character', () => {
    expect(maskToken('abc12333!', 'abc123')).toBe('*****!')
  })

  it('masks every occurrence', () => {
    expect(maskToken('abc123/abc123', 'abc123')).toBe('*****/*****')
  })

  it('treats regular-expression characters in the token literally', () => {
    expect(maskToken('x a.b+c(d) y', 'a.b+c(d)')).toBe('x ***** y')
    expect(maskToken('axb+c(d)', 'a.b+c(d)')).toBe('axb+c(d)')
    // the last character is a quoted metacharacter: `\)*`
    expect(maskToken('a.b+c(d', 'a.b+c(d)')).toBe('*****')
  })

  it('leaves the text alone for an empty token', () => {
    expect(maskToken('nothing to hide', '')).toBe('nothing to hide')
  })

  it('applies the star to the last code point, not half of a surrogate pair', () => {
    expect(maskToken('key:p😀😀 end', 'p😀')).toBe('key:***** end')
  })

  it("reproduces Go's ReplaceAll for a one-character token, empty matches included", () => {
    // regexp `a*` over "baac": Go skips the empty match right after "aa"
    expect(maskToken('baac', 'a')).toBe('*****b*****c*****')
  })
})

describe('maskSecrets', () => {
  it('masks every secret, longest first', () => {
    // shortest first would leave `*****def`
    expect(maskSecrets('value abcdef!', ['abc', 'abcdef'])).toBe('value *****!')
    expect(maskSecrets('a=tok1 b=pass2', ['tok1', 'pass2'])).toBe('a=***** b=*****')
  })

  it('redacts user-info in URLs', () => {
    expect(maskSecrets('Post "https://user:pass@host.example/x": EOF', [])).toBe(
      'Post "https://***@host.example/x": EOF',
    )
    expect(redactUrlCredentials('http://token@127.0.0.1:8080/hook?q=1')).toBe(
      'http://***@127.0.0.1:8080/hook?q=1',
    )
  })

  it('takes the last @ of the authority, as a URL parser does', () => {
    expect(redactUrlCredentials('https://u:p@ss@host/path@x')).toBe('https://***@host/path@x')
  })

  it('leaves URLs without user-info and mail addresses alone', () => {
    expect(redactUrlCredentials('https://host/a@b and ops@example.com')).toBe(
      'https://host/a@b and ops@example.com',
    )
  })

  it('masks a one-character secret only where it occurs', () => {
    expect(maskSecrets('port 7 of 77', ['7'])).toBe('port ***** of *****')
  })

  it('ignores empty secrets', () => {
    expect(maskSecrets('plain text', ['', ''])).toBe('plain text')
  })
})
