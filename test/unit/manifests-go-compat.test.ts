import { describe, expect, it } from 'vitest'
import { goTrimSpace, goUrlParse, goUserinfo, withUserinfo } from '../../src/manifests/go-compat.js'

describe('goUrlParse (net/url.Parse)', () => {
  it.each([
    ['http://proxy:3128', 'http'],
    ['HTTPS://Proxy.example.com/path?q=1#frag', 'https'],
    ['socks5://user:p%40ss@proxy:1080', 'socks5'],
    ['http://[::1]:3128', 'http'],
    ['proxy.example.com:3128', 'proxy.example.com'], // Go reads "proxy.example.com" as a scheme
    ['/just/a/path', ''],
    ['', ''],
  ])('accepts %j (scheme %j)', (raw, scheme) => {
    expect(goUrlParse(raw)).toEqual({ scheme })
  })

  it.each([
    [
      'https://exampleproxy.com|',
      'parse "https://exampleproxy.com|": invalid character "|" in host name',
    ],
    ['http://proxy:port', 'parse "http://proxy:port": invalid port ":port" after host'],
    [':3128', 'parse ":3128": missing protocol scheme'],
    ['http://[::1', 'parse "http://[::1": missing \']\' in host'],
    ['http://host/a%zz', 'parse "http://host/a%zz": invalid URL escape "%zz"'],
    ['1http://x', 'parse "1http://x": first path segment in URL cannot contain colon'],
    ['http://us er@host', 'parse "http://us er@host": net/url: invalid userinfo'],
    ['http://host\n', 'parse "http://host\\n": net/url: invalid control character in URL'],
  ])('refuses %j', (raw, error) => {
    expect(goUrlParse(raw)).toEqual({ error })
  })
})

describe('goTrimSpace (strings.TrimSpace)', () => {
  it('trims what Go calls space: U+0085 yes, U+FEFF no', () => {
    expect(goTrimSpace(' \t\n\u0085\u00a0x y\u3000\r\n')).toBe('x y')
    expect(goTrimSpace('\ufeffx\ufeff')).toBe('\ufeffx\ufeff')
  })
})

describe('goUserinfo (url.UserPassword(u, p).String())', () => {
  it('escapes @ / ? : and everything outside unreserved and $&+,;=', () => {
    expect(goUserinfo('user', 'p@ss:w/rd?')).toBe('user:p%40ss%3Aw%2Frd%3F')
    expect(goUserinfo('a b', "$&+,;=!*'()")).toBe('a%20b:$&+,;=%21%2A%27%28%29')
    expect(goUserinfo('ü')).toBe('%C3%BC')
  })

  it('replaces the userinfo of a scheme://host URL', () => {
    expect(withUserinfo('http://old@proxy:3128/x', 'u:p')).toBe('http://u:p@proxy:3128/x')
    expect(withUserinfo('HTTP://proxy', 'u')).toBe('http://u@proxy')
  })
})
