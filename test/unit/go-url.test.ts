import { describe, expect, it } from 'vitest'
import { goQuote, goTrimSpace } from '../../src/util/go-strings.js'
import { goUserinfo, parseGoUrl, parseRequestUri, withUserinfo } from '../../src/util/go-url.js'

describe('parseGoUrl (Go url.Parse)', () => {
  it('splits user, host with port, unescaped path and query', () => {
    expect(parseGoUrl('HTTPS://git@Example.com:8443/a%20b/c.git?ref=main')).toEqual({
      url: {
        scheme: 'https',
        opaque: '',
        user: 'git',
        host: 'Example.com:8443',
        path: '/a b/c.git',
        rawQuery: 'ref=main',
      },
    })
  })

  it('rejects a colon in the first segment of a relative reference', () => {
    expect(parseGoUrl('git@github.com:owner/repo.git')).toEqual({
      error:
        'parse "git@github.com:owner/repo.git": first path segment in URL cannot contain colon',
    })
  })

  // proxy addresses, as the secret's `proxy` key and proxySecretRef checks read them: scheme or error
  it.each([
    ['http://proxy:3128', 'http'],
    ['HTTPS://Proxy.example.com/path?q=1#frag', 'https'],
    ['socks5://user:p%40ss@proxy:1080', 'socks5'],
    ['http://[::1]:3128', 'http'],
    ['proxy.example.com:3128', 'proxy.example.com'], // Go reads "proxy.example.com" as a scheme
    ['/just/a/path', ''],
    ['', ''],
  ])('accepts %j (scheme %j)', (raw, scheme) => {
    expect(parseGoUrl(raw)).toMatchObject({ url: { scheme } })
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
    expect(parseGoUrl(raw)).toEqual({ error })
  })
})

describe('parseRequestUri (Go url.ParseRequestURI)', () => {
  it.each([
    'https://hooks.slack.com/services/T/B/X',
    'https://slack.com/api/chat.postMessage',
    'http://127.0.0.1:9090/hook?x=1',
    '/relative/absolute-path',
    'mailto:someone',
    '*',
  ])('accepts %s', (raw) => {
    expect(parseRequestUri(raw)).toHaveProperty('url')
  })

  it.each([
    ['', 'parse "": empty url'],
    ['hooks.slack.com/services', 'parse "hooks.slack.com/services": invalid URI for request'],
    ['://x', 'parse "://x": missing protocol scheme'],
    ['http://a b/', 'parse "http://a b/": invalid character " " in host name'],
    ['http://host:port/', 'parse "http://host:port/": invalid port ":port" after host'],
    ['https://x/%zz', 'parse "https://x/%zz": invalid URL escape "%zz"'],
    ['http://x/\n', 'parse "http://x/\\n": net/url: invalid control character in URL'],
    ['http://[::1/', 'parse "http://[::1/": missing \']\' in host'],
    ['http://u|x@host/', 'parse "http://u|x@host/": net/url: invalid userinfo'],
  ])('rejects %j', (raw, error) => {
    expect(parseRequestUri(raw)).toEqual({ error })
  })

  it('does not cut a fragment, unlike url.Parse', () => {
    expect(parseRequestUri('http://a#b/')).toEqual({
      error: 'parse "http://a#b/": invalid character "#" in host name',
    })
    expect(parseGoUrl('http://a#b/')).toHaveProperty('url.host', 'a')
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

// The Go string helpers the URL module and its callers use.
describe('goQuote (strconv.Quote)', () => {
  it('escapes quotes, backslashes and control characters, keeps printable Unicode', () => {
    expect(goQuote('a"b\\c\td\x01é')).toBe('"a\\"b\\\\c\\td\\x01é"')
    expect(goQuote('\u00a0')).toBe('"\\u00a0"')
  })
})

describe('goTrimSpace (strings.TrimSpace)', () => {
  it('trims what Go calls space: U+0085 yes, U+FEFF no', () => {
    expect(goTrimSpace(' \t\n\u0085\u00a0x y\u3000\r\n')).toBe('x y')
    expect(goTrimSpace('\ufeffx\ufeff')).toBe('\ufeffx\ufeff')
  })
})
