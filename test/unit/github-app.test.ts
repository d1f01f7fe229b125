import { createVerify, generateKeyPairSync } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { closeDispatchers } from '../../src/delivery/transport.js'
import { github } from '../../src/providers/git/github.js'
import {
  appJwt,
  clearGitHubAppTokens,
  githubAppInstallationToken,
  githubAppSettings,
} from '../../src/providers/git/github-app.js'
import type { ResolvedProvider } from '../../src/providers/types.js'
import { startFakeGitHub } from '../servers/fake-github.js'
import type { FakeGitHub } from '../servers/fake-github.js'
import { createTestPki, hasOpenssl, startTlsFront } from '../servers/tls.js'
import type { TestPki, TlsFront } from '../servers/tls.js'
import { resolvedProvider } from '../support/factories.js'

const SHA = 'a1afe267b54f38b46b487f6e938a6fd508278c07'
const CONTEXT = 'kustomization/gitops-system/0c9c2e41'
const APP_ID = 4242

const appKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
})
const strangerKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
})

function decode(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
}

// ---- the JWT --------------------------------------------------------------------------------

describe('appJwt (reference §6.6: RS256, iss = App ID, iat = now − 30 s, exp = iat + 2 min)', () => {
  const now = 1_700_000_000
  const jwt = appJwt('4242', appKeys.privateKey, now)
  const [header, claims, signature] = jwt.split('.') as [string, string, string]

  it('has an RS256 JWT header and the App claims', () => {
    expect(decode(header)).toEqual({ alg: 'RS256', typ: 'JWT' })
    expect(decode(claims)).toEqual({ iss: '4242', iat: now - 30, exp: now - 30 + 120 })
  })

  it('is signed with the App private key', () => {
    const verifier = createVerify('RSA-SHA256')
    verifier.update(`${header}.${claims}`)
    expect(verifier.verify(appKeys.publicKey, Buffer.from(signature, 'base64url'))).toBe(true)
    const stranger = createVerify('RSA-SHA256')
    stranger.update(`${header}.${claims}`)
    expect(stranger.verify(strangerKeys.publicKey, Buffer.from(signature, 'base64url'))).toBe(false)
  })

  it('uses whole seconds', () => {
    const fractional = appJwt('1', appKeys.privateKey, now + 0.75)
    expect(decode(fractional.split('.')[1]!)).toMatchObject({ iat: now - 30 })
  })
})

// ---- settings checks (fluxcd/pkg git/github client, NC github_test) -------------------------

describe('githubAppSettings: the errors of the controller', () => {
  const key = appKeys.privateKey
  const cases: [name: string, data: Record<string, string>, error: string | undefined][] = [
    [
      'no installation ID nor owner',
      { githubAppID: '123', githubAppPrivateKey: key },
      'app installation owner or ID must be provided to use github app authentication',
    ],
    [
      'no private key',
      { githubAppID: '123', githubAppInstallationID: '456' },
      'private key must be provided to use github app authentication',
    ],
    [
      'both installation owner and ID',
      {
        githubAppID: '123',
        githubAppInstallationOwner: 'my-org',
        githubAppInstallationID: '456',
        githubAppPrivateKey: key,
      },
      'only one of app installation owner or ID must be provided to use github app authentication',
    ],
    [
      'an App ID that is not a number',
      { githubAppID: 'abc', githubAppInstallationID: '456', githubAppPrivateKey: key },
      'app ID must be provided to use github app authentication',
    ],
    [
      'a private key that is not PEM',
      { githubAppID: '123', githubAppInstallationID: '456', githubAppPrivateKey: 'nope' },
      'could not parse private key: invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key',
    ],
    [
      'complete, by installation ID',
      { githubAppID: '123', githubAppInstallationID: '456', githubAppPrivateKey: key },
      undefined,
    ],
    [
      'complete, by installation owner',
      { githubAppID: '123', githubAppInstallationOwner: 'my-org', githubAppPrivateKey: key },
      undefined,
    ],
  ]
  for (const [name, data, error] of cases) {
    it(name, () => {
      const result = githubAppSettings(data)
      if (error === undefined) expect(result).not.toHaveProperty('error')
      else expect(result).toEqual({ error })
    })
  }

  it('github validate: App settings instead of a token', () => {
    const provider = (secretData: Record<string, string>) =>
      resolvedProvider('github', { address: 'https://github.com/foo/bar', secretData })
    expect(github.validate(provider({}))).toBe(
      'github token or github app details must be specified',
    )
    expect(github.validate(provider({ githubAppID: '123', githubAppPrivateKey: key }))).toBe(
      'app installation owner or ID must be provided to use github app authentication',
    )
    expect(
      github.validate(
        provider({ githubAppID: '123', githubAppInstallationID: '7', githubAppPrivateKey: key }),
      ),
    ).toBeUndefined()
  })
})

// ---- end to end against the fake GitHub -----------------------------------------------------

describe('GitHub App authentication against the fake GitHub', () => {
  let fake: FakeGitHub

  beforeEach(async () => {
    clearGitHubAppTokens()
    fake = await startFakeGitHub({
      app: {
        appId: APP_ID,
        publicKey: appKeys.publicKey,
        slug: 'flux-status',
        installations: [
          { id: 7, account: 'acme', type: 'Organization' },
          { id: 9, account: 'alice', type: 'User' },
        ],
      },
    })
  })
  afterEach(async () => {
    expect(fake.violations).toEqual([])
    await fake.close()
  })

  const appProvider = (secret: Record<string, string>, repo = 'acme/app'): ResolvedProvider =>
    resolvedProvider('github', {
      address: `${fake.url}/${repo}`,
      secretData: {
        githubAppID: String(APP_ID),
        githubAppPrivateKey: appKeys.privateKey,
        ...secret,
      },
    })

  const desired = {
    repository: 'acme/app',
    sha: SHA,
    context: CONTEXT,
    state: 'success',
    description: 'reconciliation succeeded',
  }
  const signal = () => AbortSignal.timeout(10_000)

  it('by installation ID: gets an installation token with a valid JWT and posts with it', async () => {
    const client = await github.createClient(appProvider({ githubAppInstallationID: '7' }))
    await client.writeStatus(desired, signal())

    const paths = fake.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)
    expect(paths).toEqual([
      'POST /api/v3/app/installations/7/access_tokens',
      `POST /api/v3/repos/acme/app/statuses/${SHA}`,
    ])
    // the JWT the fake verified with the App public key
    expect(fake.app!.verifiedJwts).toHaveLength(1)
    const { claims } = fake.app!.verifiedJwts[0]!
    expect(claims.iss).toBe(String(APP_ID))
    expect((claims.exp as number) - (claims.iat as number)).toBe(120)
    expect(Math.abs((claims.iat as number) + 30 - Date.now() / 1000)).toBeLessThan(5)
    // the status call carries the installation token, not the JWT
    const issued = fake.app!.issuedTokens
    expect(issued).toHaveLength(1)
    expect(issued[0]!.installationId).toBe(7)
    expect(fake.requests[1]!.headers.authorization).toBe(`token ${issued[0]!.token}`)
    expect(fake.statuses('acme/app', SHA)).toMatchObject([
      { context: CONTEXT, state: 'success', description: 'reconciliation succeeded' },
    ])
  })

  it('caches the token for the run: two clients, one token request', async () => {
    const provider = appProvider({ githubAppInstallationID: '7' })
    const [first, second] = await Promise.all([
      github.createClient(provider),
      github.createClient({ ...provider, key: 'foo-ns/other-provider' }),
    ])
    await first.readStatuses('acme/app', SHA, signal())
    const third = await github.createClient(provider)
    await second.writeStatus(desired, signal())
    await third.readStatuses('acme/app', SHA, signal())
    const tokenRequests = fake.requests.filter((r) => r.path.endsWith('/access_tokens'))
    expect(tokenRequests).toHaveLength(1)
    expect(fake.requests.filter((r) => r.status === 401)).toEqual([])
  })

  it('by installation owner: the organization installation', async () => {
    const client = await github.createClient(appProvider({ githubAppInstallationOwner: 'acme' }))
    await client.writeStatus(desired, signal())
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/v3/orgs/acme/installation 200',
      'POST /api/v3/app/installations/7/access_tokens 201',
      `POST /api/v3/repos/acme/app/statuses/${SHA} 201`,
    ])
  })

  it('by installation owner: falls back to the user installation', async () => {
    const client = await github.createClient(
      appProvider({ githubAppInstallationOwner: 'alice' }, 'alice/app'),
    )
    await client.writeStatus({ ...desired, repository: 'alice/app' }, signal())
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/v3/orgs/alice/installation 404',
      'GET /api/v3/users/alice/installation 200',
      'POST /api/v3/app/installations/9/access_tokens 201',
      `POST /api/v3/repos/alice/app/statuses/${SHA} 201`,
    ])
    expect(fake.app!.issuedTokens[0]!.installationId).toBe(9)
  })

  it('an owner without installation: both lookups in the error', async () => {
    const error = await github
      .createClient(appProvider({ githubAppInstallationOwner: 'nobody' }))
      .catch((e: Error) => e)
    expect((error as Error).message).toBe(
      `failed to find organization installation: GET ${fake.apiUrl}/orgs/nobody/installation: 404 Not Found []; ` +
        `failed to find user installation: GET ${fake.apiUrl}/users/nobody/installation: 404 Not Found []`,
    )
  })

  it('a JWT signed by another key is refused by GitHub, and nothing is cached', async () => {
    const provider = appProvider({
      githubAppInstallationID: '7',
      githubAppPrivateKey: strangerKeys.privateKey,
    })
    await expect(github.createClient(provider)).rejects.toThrow(
      `POST ${fake.apiUrl}/app/installations/7/access_tokens: 401 A JSON web token could not be decoded []`,
    )
    expect(fake.app!.rejectedJwts).toEqual(['A JSON web token could not be decoded'])
    await expect(github.createClient(provider)).rejects.toThrow('401')
    expect(fake.requests.filter((r) => r.path.endsWith('/access_tokens'))).toHaveLength(2)
  })

  it('githubAppBaseURL: the App requests go there; the slug comes from GET /app', async () => {
    const provider = appProvider({
      githubAppInstallationID: '7',
      githubAppBaseURL: fake.apiUrl,
    })
    // the Provider's own API base is a closed port: only githubAppBaseURL can have answered
    const token = await githubAppInstallationToken(provider, 'http://127.0.0.1:1/api/v3', {
      withSlug: true,
    })
    expect(token.slug).toBe('flux-status')
    expect(token.token).toBe(fake.app!.issuedTokens[0]!.token)
    expect(token.expiresAt).toBe(Date.parse(fake.app!.issuedTokens[0]!.expiresAt))
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v3/app',
      'POST /api/v3/app/installations/7/access_tokens',
    ])
  })
})

// ---- GitHub Enterprise over HTTPS with a private CA -----------------------------------------

describe.skipIf(!hasOpenssl())('GitHub Enterprise behind TLS with the Provider CA', () => {
  let pki: TestPki
  let fake: FakeGitHub
  let front: TlsFront

  beforeAll(async () => {
    pki = createTestPki()
    fake = await startFakeGitHub({ token: 't0ken' })
    front = await startTlsFront(pki, Number(new URL(fake.url).port))
  })
  afterAll(async () => {
    await Promise.all([front.close(), fake.close(), closeDispatchers()])
  })

  it('reads and writes statuses when the CA is given (certSecretRef material)', async () => {
    const client = await github.createClient(
      resolvedProvider('github', {
        address: `${front.url}/foo/bar`,
        token: 't0ken',
        tls: { caCert: pki.ca.cert },
      }),
    )
    await client.writeStatus({ ...CREATE, repository: 'foo/bar' }, AbortSignal.timeout(10_000))
    const current = await client.readStatuses('foo/bar', SHA, AbortSignal.timeout(10_000))
    expect(current).toEqual([
      { context: CONTEXT, state: 'failure', description: 'health check failed' },
    ])
    expect(fake.violations).toEqual([])
  })

  it('fails with a TLS error without it, once (not retried)', async () => {
    const before = fake.requests.length
    const failures = front.handshakeFailures
    const client = await github.createClient(
      resolvedProvider('github', { address: `${front.url}/foo/bar`, token: 't0ken' }),
    )
    const error = await client
      .readStatuses('foo/bar', SHA, AbortSignal.timeout(10_000))
      .catch((e: Error) => e)
    expect((error as Error).message).toBe(
      `could not list commit statuses: Get "${front.url}/api/v3/repos/foo/bar/commits/${SHA}/status?per_page=100&page=1": ` +
        'tls: failed to verify certificate: x509: certificate signed by unknown authority',
    )
    expect(fake.requests.length).toBe(before)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(front.handshakeFailures - failures).toBe(1)
  })
})

const CREATE = {
  repository: 'foo/bar',
  sha: SHA,
  context: CONTEXT,
  state: 'failure',
  description: 'health check failed',
}
