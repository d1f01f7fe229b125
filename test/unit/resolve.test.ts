import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadManifests } from '../../src/manifests/load.js'
import { ANY_NAMESPACE, type Provider, type Secret } from '../../src/manifests/model.js'
import { parseHeaders, resolveProvider, resolveProviders } from '../../src/manifests/resolve.js'
import type { ResolvedProvider } from '../../src/providers/types.js'
import { providerManifest } from '../support/factories.js'

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/manifests/tls/${name}`, import.meta.url), 'utf8')
const CA = fixture('ca.crt')
const KEY = fixture('ca.key')
const MISMATCHED_KEY = fixture('mismatched.key')

/** A Provider `ns/p` with an empty address unless `spec` gives one. */
function provider(
  { type, ...spec }: Partial<Provider['spec']> & { type: string },
  name = 'p',
  namespace = 'ns',
): Provider {
  return providerManifest(type, { address: '', ...spec, name, namespace })
}

function secrets(...list: [name: string, data: Record<string, string>][]): Map<string, Secret> {
  return new Map(
    list.map(([name, data]) => [
      `ns/${name}`,
      { metadata: { name, namespace: 'ns' }, data, location: { file: 'secrets.yaml' } },
    ]),
  )
}

function ok(result: ResolvedProvider | { error: string }): ResolvedProvider {
  if ('error' in result) throw new Error(`unexpected error: ${result.error}`)
  return result
}
function failed(result: ResolvedProvider | { error: string }): string {
  if (!('error' in result)) throw new Error('expected an error')
  return result.error
}

describe('secretRef (reference §4.2, TestCreateNotifier)', () => {
  it('a missing secret fails with the secret named', () => {
    const error = failed(
      resolveProvider(provider({ type: 'slack', secretRef: { name: 'gone' } }), new Map()),
    )
    expect(error).toBe("failed to get secret 'ns/gone': secret not found")
  })

  it('a secret address of exactly 2048 bytes is accepted, 2049 is an error', () => {
    const base = 'https://example.com/'
    const at2048 = base + 'a'.repeat(2048 - base.length)
    const p = provider({ type: 'generic', secretRef: { name: 's' } })
    expect(ok(resolveProvider(p, secrets(['s', { address: at2048 }]))).address).toBe(at2048)
    expect(failed(resolveProvider(p, secrets(['s', { address: at2048 + 'a' }])))).toBe(
      'invalid address in secret: address exceeds maximum length of 2048 bytes',
    )
    // bytes, not characters
    const multibyte = base + 'é'.repeat(1015) // 20 + 2030 bytes
    expect(failed(resolveProvider(p, secrets(['s', { address: multibyte }])))).toContain(
      '2048 bytes',
    )
  })

  it('the secret address is trimmed and replaces an invalid spec.address', () => {
    const p = provider({ type: 'generic', address: 'not a url', secretRef: { name: 's' } })
    const r = ok(resolveProvider(p, secrets(['s', { address: '  https://hook.example.com/x\n' }])))
    expect(r.address).toBe('https://hook.example.com/x')
    expect(r.secretData).toEqual({ address: '  https://hook.example.com/x\n' })
  })

  it("a secret proxy that Go's url.Parse refuses is an error", () => {
    const p = provider({ type: 'generic', secretRef: { name: 's' } })
    expect(failed(resolveProvider(p, secrets(['s', { proxy: 'https://exampleproxy.com|' }])))).toBe(
      "invalid 'proxy' in secret 'ns/s'",
    )
    expect(ok(resolveProvider(p, secrets(['s', { proxy: ' http://proxy:3128 ' }]))).proxy).toBe(
      'http://proxy:3128',
    )
  })

  it('headers must be a YAML map of strings', () => {
    const p = provider({ type: 'generic', secretRef: { name: 's' } })
    expect(failed(resolveProvider(p, secrets(['s', { headers: 'foo' }])))).toMatch(
      /^failed to read headers from secret: /,
    )
    const r = ok(resolveProvider(p, secrets(['s', { headers: 'X-Api-Key: abc\nX-Empty:\n' }])))
    expect(r.headers).toEqual({ 'X-Api-Key': 'abc', 'X-Empty': '' })
  })

  it('the token is passed untrimmed; username and password replace spec.username together', () => {
    const p = provider({ type: 'generic', username: 'spec-user', secretRef: { name: 's' } })
    const r = ok(
      resolveProvider(p, secrets(['s', { token: ' tok\n', username: 'u', password: 'pw' }])),
    )
    expect(r.token).toBe(' tok\n')
    expect(r.username).toBe('u')
    expect(r.password).toBe('pw')
  })

  it('quirk: a username without a password drops the token and basic auth, silently', () => {
    const p = provider({ type: 'generic', username: 'spec-user', secretRef: { name: 's' } })
    const r = ok(resolveProvider(p, secrets(['s', { token: 'tok', username: 'u' }])))
    expect(r.token).toBe('')
    expect(r.username).toBe('spec-user')
    expect(r.password).toBe('')
    const onlyPassword = ok(resolveProvider(p, secrets(['s', { token: 'tok', password: 'pw' }])))
    expect(onlyPassword.token).toBe('')
    expect(onlyPassword.password).toBe('')
  })

  it('for commit-status types the same half basic auth fails the TLS step', () => {
    const p = provider({ type: 'github', secretRef: { name: 's' } })
    expect(failed(resolveProvider(p, secrets(['s', { token: 'tok', username: 'u' }])))).toMatch(
      /^failed to get TLS config: secret 'ns\/s': malformed basic auth/,
    )
  })

  it('telegram with only a channel and a secret token is fine (no address needed)', () => {
    const p = provider({ type: 'telegram', channel: '@chan', secretRef: { name: 's' } })
    const r = ok(resolveProvider(p, secrets(['s', { token: 'bot-token' }])))
    expect(r).toMatchObject({ channel: '@chan', token: 'bot-token', address: '' })
  })
})

describe('proxySecretRef and proxy precedence', () => {
  it('a proxySecretRef secret without address is an error', () => {
    const p = provider({ type: 'generic', proxySecretRef: { name: 'px' } })
    expect(failed(resolveProvider(p, secrets(['px', { username: 'u' }])))).toMatch(
      /^failed to get proxy URL: .*'address'/,
    )
    expect(failed(resolveProvider(p, secrets(['px', { address: '' }])))).toBe(
      "failed to get proxy URL: secret 'ns/px': proxy address is empty",
    )
    expect(failed(resolveProvider(p, secrets(['px', { address: 'ftp://proxy' }])))).toContain(
      "got 'ftp'",
    )
  })

  it('proxySecretRef > the secret proxy key > spec.proxy', () => {
    const all = secrets(
      ['s', { proxy: 'http://secret-proxy:3128' }],
      ['px', { address: 'socks5://proxy:1080', username: 'user', password: 'p@ss:w/rd' }],
    )
    const spec = { type: 'generic', proxy: 'http://spec-proxy:3128' }
    expect(ok(resolveProvider(provider(spec), all)).proxy).toBe('http://spec-proxy:3128')
    expect(ok(resolveProvider(provider({ ...spec, secretRef: { name: 's' } }), all)).proxy).toBe(
      'http://secret-proxy:3128',
    )
    const withProxySecret = provider({
      ...spec,
      secretRef: { name: 's' },
      proxySecretRef: { name: 'px' },
    })
    // Go's url.UserPassword escaping: '@', ':' and '/' in the password are percent-encoded
    expect(ok(resolveProvider(withProxySecret, all)).proxy).toBe(
      'socks5://user:p%40ss%3Aw%2Frd@proxy:1080',
    )
  })

  it('a username alone becomes the userinfo', () => {
    const p = provider({ type: 'generic', proxySecretRef: { name: 'px' } })
    const r = ok(
      resolveProvider(p, secrets(['px', { address: 'http://proxy:3128/', username: 'u' }])),
    )
    expect(r.proxy).toBe('http://u@proxy:3128/')
  })
})

describe('TLS (certSecretRef, then secretRef for commit-status types)', () => {
  it('certSecretRef: ca.crt wins over a legacy caFile; an invalid ca.crt alone is an error', () => {
    const p = provider({ type: 'generic', certSecretRef: { name: 'cert' } })
    const r = ok(resolveProvider(p, secrets(['cert', { 'ca.crt': CA, caFile: 'aaaaa' }])))
    expect(r.tls).toEqual({ caCert: CA })
    expect(failed(resolveProvider(p, secrets(['cert', { 'ca.crt': 'aaaaa' }])))).toBe(
      'failed to get TLS config: failed to parse CA certificate',
    )
  })

  it('certSecretRef without certificate keys is an error', () => {
    const p = provider({ type: 'generic', certSecretRef: { name: 'cert' } })
    expect(failed(resolveProvider(p, secrets(['cert', { token: 'x' }])))).toBe(
      "failed to get TLS config: secret 'ns/cert' must contain either 'ca.crt' or both 'tls.crt' and 'tls.key'",
    )
    expect(failed(resolveProvider(p, secrets(['cert', { 'tls.crt': CA }])))).toBe(
      "failed to get TLS config: secret 'ns/cert' contains 'tls.crt' but missing 'tls.key'",
    )
  })

  it('a client certificate pair is checked', () => {
    const p = provider({ type: 'generic', certSecretRef: { name: 'cert' } })
    expect(
      ok(resolveProvider(p, secrets(['cert', { 'tls.crt': CA, 'tls.key': KEY }]))).tls,
    ).toEqual({
      cert: CA,
      key: KEY,
    })
    expect(
      failed(resolveProvider(p, secrets(['cert', { 'tls.crt': CA, 'tls.key': MISMATCHED_KEY }]))),
    ).toMatch(/^failed to get TLS config: failed to parse TLS certificate and key: /)
  })

  it('certSecretRef wins over secretRef; secretRef ca.crt is used only by commit-status types', () => {
    const all = secrets(['s', { token: 't', 'ca.crt': CA }], ['cert', { caFile: CA }])
    const github = provider({ type: 'github', secretRef: { name: 's' } })
    expect(ok(resolveProvider(github, all)).tls).toEqual({ caCert: CA })
    const slack = provider({ type: 'slack', secretRef: { name: 's' } })
    expect(ok(resolveProvider(slack, all)).tls).toBeUndefined()
    const both = provider({
      type: 'generic',
      secretRef: { name: 's' },
      certSecretRef: { name: 'cert' },
    })
    expect(ok(resolveProvider(both, all)).tls).toEqual({ caCert: CA })
  })

  it('an unparsable ca.crt in secretRef silently drops the token of a non commit-status type', () => {
    const r = ok(
      resolveProvider(
        provider({ type: 'slack', secretRef: { name: 's' } }),
        secrets(['s', { token: 't', 'ca.crt': 'x' }]),
      ),
    )
    expect(r.token).toBe('')
  })
})

describe('identity, GitHub token fallback, masking', () => {
  it('the UID is metadata.uid, else 8 hex digits of sha256(namespace/name), stable', () => {
    // sha256("flux-system/github") = d775ccaa…, computed with sha256sum
    const derived = ok(
      resolveProvider(provider({ type: 'github' }, 'github', 'flux-system'), new Map()),
    )
    expect(derived.uid).toBe('d775ccaa')
    expect(derived.key).toBe('flux-system/github')
    const again = ok(
      resolveProvider(provider({ type: 'github' }, 'github', 'flux-system'), new Map()),
    )
    expect(again.uid).toBe(derived.uid)
    // sha256("apps/slack") = 40e0e0c2…
    expect(ok(resolveProvider(provider({ type: 'slack' }, 'slack', 'apps'), new Map())).uid).toBe(
      '40e0e0c2',
    )

    const withUid = provider({ type: 'github' })
    withUid.metadata.uid = '0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a'
    expect(ok(resolveProvider(withUid, new Map())).uid).toBe('0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a')
  })

  it('GitHub-family providers without credentials use the github-token input', () => {
    const options = { githubToken: 'ghs_fallback' }
    for (const type of ['github', 'githubdispatch', 'githubpullrequestcomment']) {
      const r = ok(resolveProvider(provider({ type }), new Map(), options))
      expect(r.token).toBe('ghs_fallback')
      expect(r.secretValues).toContain('ghs_fallback')
    }
    const withSecret = (data: Record<string, string>) =>
      ok(
        resolveProvider(
          provider({ type: 'github', secretRef: { name: 's' } }),
          secrets(['s', data]),
          options,
        ),
      )
    expect(withSecret({ token: 'ghp_own' }).token).toBe('ghp_own')
    expect(
      withSecret({ githubAppID: '1', githubAppInstallationID: '2', githubAppPrivateKey: 'k' })
        .token,
    ).toBe('')
    expect(withSecret({ username: 'u', password: 'pat' }).token).toBe('')
    expect(ok(resolveProvider(provider({ type: 'slack' }), new Map(), options)).token).toBe('')
    expect(ok(resolveProvider(provider({ type: 'gitlab' }), new Map(), options)).token).toBe('')
  })

  it('secretValues holds every secret value the provider carries, but not usernames', () => {
    const p = provider({
      type: 'generic',
      secretRef: { name: 's' },
      proxySecretRef: { name: 'px' },
    })
    const r = ok(
      resolveProvider(
        p,
        secrets(
          ['s', { address: 'https://h/x ', token: 'tok', empty: '' }],
          ['px', { address: 'http://proxy', username: 'u', password: 'pw' }],
        ),
      ),
    )
    expect(r.secretValues).toEqual(
      expect.arrayContaining([
        'https://h/x ',
        'https://h/x',
        'tok',
        'http://proxy',
        'pw',
        'http://u:pw@proxy',
      ]),
    )
    // a username is an identifier: masking `u` would blank the letter out of every log line
    expect(r.secretValues).not.toContain('u')
    expect(r.secretValues).not.toContain('')
  })

  it('a plain-named input secret is found from any namespace', () => {
    const inputSecrets = new Map<string, Secret>([
      [
        `${ANY_NAMESPACE}/slack-url`,
        {
          metadata: { name: 'slack-url', namespace: ANY_NAMESPACE },
          data: { address: 'https://hooks.slack.com/services/X' },
          location: { file: 'secrets input', line: 1 },
          fromInput: true,
        },
      ],
    ])
    const r = ok(
      resolveProvider(
        provider({ type: 'slack', secretRef: { name: 'slack-url' } }, 'slack', 'apps'),
        inputSecrets,
      ),
    )
    expect(r.address).toBe('https://hooks.slack.com/services/X')
  })
})

describe('resolveProviders', () => {
  const config = () =>
    loadManifests(
      [
        {
          path: 'm.yaml',
          text: [
            'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
            'kind: Provider',
            'metadata: {name: used}',
            'spec: {type: slack, secretRef: {name: missing}}',
            '---',
            'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
            'kind: Provider',
            'metadata: {name: unused}',
            'spec: {type: slack, secretRef: {name: missing}}',
            '---',
            'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
            'kind: Provider',
            'metadata: {name: fine}',
            'spec: {type: github, suspend: true}',
            '---',
            'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
            'kind: Alert',
            'metadata: {name: a}',
            'spec: {providerRef: {name: used}, eventSources: [{kind: Bucket, name: b}]}',
            '',
          ].join('\n'),
        },
      ],
      { defaultNamespace: 'flux-system' },
    )

  it('wraps errors like the controller and reports them: error when an Alert uses the provider', () => {
    const { providers, problems } = resolveProviders(config(), { githubToken: 'ghs_x' })
    const message =
      "failed to initialize notifier for provider 'used': failed to get secret 'flux-system/missing': secret not found"
    expect(providers.get('flux-system/used')).toEqual({ error: message })
    expect(problems).toEqual([
      {
        severity: 'warning',
        message:
          "Provider/flux-system/unused: failed to initialize notifier for provider 'unused': failed to get secret 'flux-system/missing': secret not found",
        location: { file: 'm.yaml', line: 6, column: 1 },
      },
      {
        severity: 'error',
        message: `Provider/flux-system/used: ${message}`,
        location: { file: 'm.yaml', line: 1, column: 1 },
      },
    ])
    // suspended providers are still resolved
    expect(providers.get('flux-system/fine')).toMatchObject({
      type: 'github',
      token: 'ghs_x',
      uid: expect.stringMatching(/^[0-9a-f]{8}$/),
    })
  })
})

describe('parseHeaders (sigs.k8s.io/yaml into map[string]string)', () => {
  it.each([
    ['foo', 'string into Go value of type map[string]string'],
    ['- a', 'array into Go value of type map[string]string'],
    ['X-Count: 1', 'number into Go value of type string'],
    ['X-On: yes', 'bool into Go value of type string'],
    ['X-Map: {a: b}', 'object into Go value of type string'],
  ])('%j is an error', (text, why) => {
    const result = parseHeaders(text)
    expect('error' in result && result.error).toBe(
      `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${why}`,
    )
  })

  it('an empty value is no headers', () => {
    expect(parseHeaders('')).toEqual({ headers: {} })
  })
})
