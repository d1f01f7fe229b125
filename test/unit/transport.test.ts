import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { Sleep } from '../../src/delivery/http.js'
import {
  closeDispatchers,
  connectionFor,
  dispatcherFor,
  noProxyMatches,
  proxyFromEnvironment,
} from '../../src/delivery/transport.js'
import { resolveProvider } from '../../src/manifests/resolve.js'
import type { Secret } from '../../src/manifests/model.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { startRecordingProxy } from '../servers/proxy.js'
import type { RecordingProxy } from '../servers/proxy.js'
import { createTestPki, hasOpenssl, startTlsServer } from '../servers/tls.js'
import type { TestPki, TlsServer } from '../servers/tls.js'
import { providerManifest } from '../support/factories.js'
import type { ProviderOptions } from '../support/factories.js'

// ---- the environment's proxy, by Go's ProxyFromEnvironment ----------------------------------

describe('proxyFromEnvironment (Go httpproxy rules)', () => {
  const env = {
    HTTPS_PROXY: 'http://secure-proxy:3128',
    HTTP_PROXY: 'http://plain-proxy:3128',
  }

  it('uses HTTPS_PROXY for https URLs and HTTP_PROXY for http URLs, not the other', () => {
    expect(proxyFromEnvironment('https://hooks.example.com/x', env)).toBe(
      'http://secure-proxy:3128',
    )
    expect(proxyFromEnvironment('http://hooks.example.com/x', env)).toBe('http://plain-proxy:3128')
    expect(proxyFromEnvironment('http://hooks.example.com/x', { HTTPS_PROXY: 'http://p:1' })).toBe(
      '',
    )
    expect(proxyFromEnvironment('https://hooks.example.com/x', { HTTP_PROXY: 'http://p:1' })).toBe(
      '',
    )
  })

  it('reads the lower-case names too; a non-empty upper-case name wins', () => {
    expect(proxyFromEnvironment('https://a.example/', { https_proxy: 'http://lower:1' })).toBe(
      'http://lower:1',
    )
    expect(
      proxyFromEnvironment('https://a.example/', {
        HTTPS_PROXY: 'http://upper:1',
        https_proxy: 'http://lower:1',
      }),
    ).toBe('http://upper:1')
    expect(
      proxyFromEnvironment('https://a.example/', {
        HTTPS_PROXY: '',
        https_proxy: 'http://lower:1',
      }),
    ).toBe('http://lower:1')
  })

  it('never proxies localhost or loopback addresses, whatever NO_PROXY says', () => {
    for (const url of [
      'https://localhost:8443/x',
      'https://127.0.0.1/x',
      'https://127.1.2.3:9/x',
      'https://[::1]:8443/x',
    ]) {
      expect(proxyFromEnvironment(url, env), url).toBe('')
    }
    expect(proxyFromEnvironment('https://10.0.0.1/x', env)).toBe('http://secure-proxy:3128')
  })

  it('treats a value without a scheme as an http proxy', () => {
    expect(proxyFromEnvironment('https://a.example/', { HTTPS_PROXY: 'proxy.corp:3128' })).toBe(
      'http://proxy.corp:3128',
    )
  })

  it('ignores HTTP_PROXY for http URLs in a CGI environment (REQUEST_METHOD set)', () => {
    expect(proxyFromEnvironment('http://a.example/', { ...env, REQUEST_METHOD: 'GET' })).toBe('')
    expect(proxyFromEnvironment('https://a.example/', { ...env, REQUEST_METHOD: 'GET' })).toBe(
      'http://secure-proxy:3128',
    )
  })

  it('skips hosts NO_PROXY lists', () => {
    const withNoProxy = { ...env, NO_PROXY: 'example.com, .internal,10.0.0.0/8' }
    expect(proxyFromEnvironment('https://example.com/x', withNoProxy)).toBe('')
    expect(proxyFromEnvironment('https://git.internal/x', withNoProxy)).toBe('')
    expect(proxyFromEnvironment('https://10.20.30.40/x', withNoProxy)).toBe('')
    expect(proxyFromEnvironment('https://example.org/x', withNoProxy)).toBe(
      'http://secure-proxy:3128',
    )
    expect(proxyFromEnvironment('https://a.example/', { ...env, no_proxy: '*' })).toBe('')
  })
})

describe('noProxyMatches (NO_PROXY entries)', () => {
  const cases: [entry: string, host: string, port: string, matches: boolean][] = [
    // a domain matches itself and its subdomains
    ['foo.com', 'foo.com', '443', true],
    ['foo.com', 'bar.foo.com', '443', true],
    ['foo.com', 'barfoo.com', '443', false],
    // a leading dot or `*.` matches subdomains only
    ['.foo.com', 'foo.com', '443', false],
    ['.foo.com', 'bar.foo.com', '443', true],
    ['*.foo.com', 'foo.com', '443', false],
    ['*.foo.com', 'bar.foo.com', '443', true],
    // with a port, only that port
    ['foo.com:8443', 'foo.com', '8443', true],
    ['foo.com:8443', 'foo.com', '443', false],
    // IP addresses, with or without port, and CIDR ranges
    ['192.168.1.10', '192.168.1.10', '80', true],
    ['192.168.1.10:8080', '192.168.1.10', '80', false],
    ['192.168.0.0/16', '192.168.7.7', '443', true],
    ['192.168.0.0/16', '192.169.0.1', '443', false],
    ['[2001:db8::1]:443', '2001:db8::1', '443', true],
    ['2001:db8::/32', '2001:db8::99', '443', true],
    // case and spaces do not matter; empty entries are ignored
    [' FOO.com ', 'foo.com', '443', true],
    [',,', 'foo.com', '443', false],
    ['*', 'anything.example', '1', true],
  ]
  for (const [entry, host, port, matches] of cases) {
    it(`${JSON.stringify(entry)} ${matches ? 'exempts' : 'does not exempt'} ${host}:${port}`, () => {
      expect(noProxyMatches(entry, host, port)).toBe(matches)
    })
  }
})

// ---- which settings each type's client uses --------------------------------------------------

describe('connectionFor (reference §5/§6: proxy and TLS per type)', () => {
  const tls = { caCert: 'CA' }
  const settings = (type: string, url = 'https://hooks.example.com/x') =>
    connectionFor({ type, proxy: 'http://proxy:3128', tls }, url)

  it('slack, gitea, generic: proxy and TLS', () => {
    for (const type of ['slack', 'gitea', 'generic', 'generic-hmac']) {
      expect(settings(type), type).toEqual({ proxy: 'http://proxy:3128', tls })
    }
  })

  it('discord, googlechat, telegram: proxy but no TLS; lark: neither', () => {
    for (const type of ['discord', 'googlechat', 'telegram']) {
      expect(settings(type), type).toEqual({ proxy: 'http://proxy:3128' })
    }
    expect(settings('lark')).toEqual({ proxy: '' })
  })

  it('matrix, bitbucket, bitbucketserver: TLS but not the Provider proxy', () => {
    for (const type of ['matrix', 'bitbucket', 'bitbucketserver']) {
      expect(settings(type), type).toEqual({ proxy: '', tls })
    }
  })

  it('github types: TLS only for hosts other than github.com, never the Provider proxy', () => {
    expect(settings('github', 'https://api.github.com/repos/a/b/statuses/x')).toEqual({
      proxy: '',
    })
    expect(
      settings('githubdispatch', 'https://ghe.example.com/api/v3/repos/a/b/dispatches'),
    ).toEqual({ proxy: '', tls, noEnvironmentProxy: true })
  })
})

describe('dispatcherFor', () => {
  afterAll(closeDispatchers)

  it('is undefined (Node fetch, undici not needed) without proxy and TLS', async () => {
    expect(await dispatcherFor({ proxy: '' }, 'https://hooks.example.com/', {})).toBeUndefined()
    expect(
      await dispatcherFor({ proxy: '' }, 'https://hooks.example.com/', {
        HTTPS_PROXY: 'http://p:1',
        NO_PROXY: 'hooks.example.com',
      }),
    ).toBeUndefined()
  })

  it('is one dispatcher per proxy and TLS material for the whole run', async () => {
    const a = await dispatcherFor({ proxy: 'http://p:1' }, 'https://a.example/')
    const b = await dispatcherFor({ proxy: 'http://p:1' }, 'https://b.example/')
    const c = await dispatcherFor({ proxy: 'http://p:2' }, 'https://a.example/')
    expect(a).toBeDefined()
    expect(b).toBe(a)
    expect(c).not.toBe(a)
  })
})

// ---- over real sockets ---------------------------------------------------------------------

const noSleep: Sleep = async () => {
  throw new Error('a retry was attempted')
}

function secretMap(entries: Record<string, Record<string, string>>): Map<string, Secret> {
  return new Map(
    Object.entries(entries).map(([name, data]) => [
      `foo-ns/${name}`,
      { metadata: { name, namespace: 'foo-ns' }, data, location: { file: 'secrets.yaml' } },
    ]),
  )
}

/** A Provider resolved from its manifest and secrets, as a run would. */
function resolved(
  type: string,
  spec: ProviderOptions,
  secrets: Record<string, Record<string, string>> = {},
): ResolvedProvider {
  const result = resolveProvider(providerManifest(type, spec), secretMap(secrets))
  if ('error' in result) throw new Error(result.error)
  return result
}

function post(url: string): HttpRequestSpec {
  return {
    method: 'POST',
    url,
    headers: { 'Content-Type': 'application/json' },
    body: '{"a":1}',
  }
}

const send = (spec: HttpRequestSpec, provider: ResolvedProvider) =>
  sendRequest(spec, { signal: AbortSignal.timeout(5_000), sleep: noSleep, connection: provider })

const UNKNOWN_AUTHORITY =
  'tls: failed to verify certificate: x509: certificate signed by unknown authority'

describe.skipIf(!hasOpenssl())('TLS with the Provider CA (certSecretRef, reference §4.2)', () => {
  let pki: TestPki
  let otherPki: TestPki
  let server: TlsServer
  let mtlsServer: TlsServer

  beforeAll(async () => {
    pki = createTestPki()
    otherPki = createTestPki('another throwaway CA')
    server = await startTlsServer({ pki })
    mtlsServer = await startTlsServer({ pki, requireClientCertificate: true })
  })
  afterAll(async () => {
    await Promise.all([server.close(), mtlsServer.close(), closeDispatchers()])
  })
  afterEach(() => {
    server.requests.length = 0
  })

  it('reaches an endpoint whose certificate the certSecretRef CA signed', async () => {
    const provider = resolved(
      'generic',
      { address: `${server.url}/hook`, certSecretRef: { name: 'ca' } },
      { ca: { 'ca.crt': pki.ca.cert } },
    )
    const response = await send(post(`${server.url}/hook`), provider)
    expect(response.status).toBe(200)
    expect(server.requests).toHaveLength(1)
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/hook', body: '{"a":1}' })
  })

  it('refuses it without the CA: a TLS error, not retried', async () => {
    const failures = server.handshakeFailures
    const provider = resolved('generic', { address: `${server.url}/hook` })
    const error = await send(post(`${server.url}/hook`), provider).catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toBe(
      `POST ${server.url}/hook giving up after 1 attempt(s): Post "${server.url}/hook": ${UNKNOWN_AUTHORITY}`,
    )
    expect(server.requests).toHaveLength(0)
    // the server learns of the refused handshake a moment later; exactly one attempt was made
    await vi.waitFor(() => expect(server.handshakeFailures - failures).toBe(1))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(server.handshakeFailures - failures).toBe(1)
  })

  it('trusts only the given CA: another CA does not vouch for the endpoint', async () => {
    const provider = resolved(
      'generic',
      { address: `${server.url}/hook`, certSecretRef: { name: 'ca' } },
      { ca: { 'ca.crt': otherPki.ca.cert } },
    )
    await expect(send(post(`${server.url}/hook`), provider)).rejects.toThrow(UNKNOWN_AUTHORITY)
    expect(server.requests).toHaveLength(0)
  })

  it('presents the client certificate of tls.crt/tls.key', async () => {
    const provider = resolved(
      'generic',
      { address: `${mtlsServer.url}/hook`, certSecretRef: { name: 'mtls' } },
      {
        mtls: { 'ca.crt': pki.ca.cert, 'tls.crt': pki.client.cert, 'tls.key': pki.client.key },
      },
    )
    await send(post(`${mtlsServer.url}/hook`), provider)
    expect(mtlsServer.requests.at(-1)?.clientCertificate).toBe('flux-notify client')
  })

  it('uses the secretRef ca.crt for commit-status types, as the controller does', async () => {
    // gitea is one of the six commit-status types; its client takes the TLS config
    const provider = resolved(
      'gitea',
      { address: `${server.url}/foo/bar`, secretRef: { name: 'git' } },
      { git: { token: 't0ken', 'ca.crt': pki.ca.cert } },
    )
    expect(provider.tls).toEqual({ caCert: pki.ca.cert })
    await send({ method: 'GET', url: `${server.url}/api/v1/version`, headers: {} }, provider)
    expect(server.requests).toHaveLength(1)
  })
})

describe('proxies (reference §7)', () => {
  let proxy: RecordingProxy
  let target: Recorder
  const savedEnv = { ...process.env }

  beforeAll(async () => {
    proxy = await startRecordingProxy()
    target = await startRecorder()
  })
  afterAll(async () => {
    await Promise.all([proxy.close(), target.close(), closeDispatchers()])
  })
  afterEach(() => {
    proxy.requests.length = 0
    target.requests.length = 0
    for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy']) {
      if (savedEnv[name] === undefined) delete process.env[name]
      else process.env[name] = savedEnv[name]
    }
  })

  it('sends an http target to spec.proxy as an absolute-URI request', async () => {
    const provider = resolved('slack', { address: `${target.url}/hook`, proxy: proxy.url })
    await send(post(`${target.url}/hook`), provider)
    expect(proxy.requests).toHaveLength(1)
    expect(proxy.requests[0]).toMatchObject({ method: 'POST', target: `${target.url}/hook` })
    // relayed as it was sent
    expect(target.requests).toHaveLength(1)
    expect(target.requests[0]).toMatchObject({ method: 'POST', path: '/hook', body: '{"a":1}' })
  })

  it('authenticates to a proxySecretRef proxy with its username and password', async () => {
    const guarded = await startRecordingProxy({ credentials: 'proxy-user:s3cret' })
    try {
      const provider = resolved(
        'generic',
        {
          address: `${target.url}/hook`,
          proxy: 'http://127.0.0.1:1',
          proxySecretRef: { name: 'proxy' },
        },
        { proxy: { address: guarded.url, username: 'proxy-user', password: 's3cret' } },
      )
      await send(post(`${target.url}/hook`), provider)
      expect(guarded.requests).toHaveLength(1)
      expect(guarded.requests[0]!.headers['proxy-authorization']).toBe(
        `Basic ${Buffer.from('proxy-user:s3cret').toString('base64')}`,
      )
      expect(target.requests).toHaveLength(1)
    } finally {
      await guarded.close()
    }
  })

  it('does not use the Provider proxy for types whose client has none (matrix)', async () => {
    const provider = resolved('matrix', { address: target.url, proxy: proxy.url })
    await send(post(`${target.url}/_matrix/x`), provider)
    expect(proxy.requests).toHaveLength(0)
    expect(target.requests).toHaveLength(1)
  })

  it('uses HTTP_PROXY from the environment when the Provider has none, but not for loopback', async () => {
    process.env.HTTP_PROXY = proxy.url
    const port = new URL(target.url).port
    const provider = resolved('generic', { address: `http://flux-notify.test:${port}/hook` })
    await send(post(`http://flux-notify.test:${port}/hook`), provider)
    expect(proxy.requests.map((r) => `${r.method} ${r.target}`)).toEqual([
      `POST http://flux-notify.test:${port}/hook`,
    ])
    expect(target.requests[0]?.headers.host).toBe(`flux-notify.test:${port}`)

    // 127.0.0.1 goes direct: Go's ProxyFromEnvironment never proxies loopback
    await send(post(`${target.url}/hook`), resolved('generic', { address: `${target.url}/hook` }))
    expect(proxy.requests).toHaveLength(1)
    expect(target.requests).toHaveLength(2)
  })

  it('reports a socks5 proxy as unsupported instead of connecting directly', async () => {
    const provider = resolved(
      'generic',
      { address: `${target.url}/hook`, proxySecretRef: { name: 'proxy' } },
      { proxy: { address: 'socks5://127.0.0.1:1080' } },
    )
    await expect(send(post(`${target.url}/hook`), provider)).rejects.toThrow(
      'proxy socks5://127.0.0.1:1080: the socks5 scheme is not supported by flux-notify',
    )
    expect(target.requests).toHaveLength(0)
  })
})

describe.skipIf(!hasOpenssl())('an https target through a proxy', () => {
  let pki: TestPki
  let server: TlsServer
  let proxy: RecordingProxy
  const savedProxy = process.env.HTTPS_PROXY

  beforeAll(async () => {
    pki = createTestPki()
    server = await startTlsServer({ pki })
    proxy = await startRecordingProxy()
  })
  afterAll(async () => {
    if (savedProxy === undefined) delete process.env.HTTPS_PROXY
    else process.env.HTTPS_PROXY = savedProxy
    await Promise.all([server.close(), proxy.close(), closeDispatchers()])
  })

  it('tunnels through CONNECT, with the Provider CA verifying the endpoint', async () => {
    const provider = resolved(
      'generic',
      { address: `${server.url}/hook`, proxy: proxy.url, certSecretRef: { name: 'ca' } },
      { ca: { 'ca.crt': pki.ca.cert } },
    )
    await send(post(`${server.url}/hook`), provider)
    expect(proxy.requests.map((r) => `${r.method} ${r.target}`)).toEqual([
      `CONNECT 127.0.0.1:${server.port}`,
    ])
    expect(server.requests).toHaveLength(1)
  })

  it('tunnels through HTTPS_PROXY from the environment', async () => {
    proxy.requests.length = 0
    process.env.HTTPS_PROXY = proxy.url
    const url = `https://flux-notify.test:${server.port}/hook`
    const provider = resolved(
      'generic',
      { address: url, certSecretRef: { name: 'ca' } },
      { ca: { 'ca.crt': pki.ca.cert } },
    )
    await send(post(url), provider)
    expect(proxy.requests.map((r) => `${r.method} ${r.target}`)).toEqual([
      `CONNECT flux-notify.test:${server.port}`,
    ])
    expect(server.requests.at(-1)?.headers.host).toBe(`flux-notify.test:${server.port}`)
  })
})
