import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { bitbucket, sha1Hex } from '../../src/providers/git/bitbucket.js'
import type {
  CommitStatusModule,
  DesiredStatus,
  Notification,
  ResolvedProvider,
} from '../../src/providers/types.js'
import { startFakeBitbucket } from '../servers/fake-bitbucket.js'
import type { FakeBitbucket } from '../servers/fake-bitbucket.js'
import { resolvedProvider, gitopsSystemEvent } from '../support/factories.js'

const SHA = '5394cb7f48332b2de7c17dd8b8384bbc84b7e738'
const ID = 'kustomization/gitops-system/0c9c2e41'
/** §6.3: the key Bitbucket gets for that id */
const KEY = 'c99410a43c260fddd152a40c296bddfa0b8fd879'

function provider(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('bitbucket', {
    address: 'https://bitbucket.org/fluxcd/podinfo',
    token: 'user:app-password',
    secretValues: ['user:app-password'],
    ...overrides,
  })
}

function notification(event: FluxEvent, p = provider()): Notification {
  return { event, alert: {} as Alert, provider: p }
}

const signal = () => AbortSignal.timeout(20_000)

/** One run as delivery drives a commit-status module: a fresh client, read, compare, write. */
async function deliverOnce(
  module: CommitStatusModule,
  n: Notification,
  id: string,
): Promise<'sent' | 'unchanged'> {
  const desired = module.desiredStatus(n, id) as DesiredStatus
  const client = await module.createClient(n.provider)
  const current = await client.readStatuses(desired.repository, desired.sha, signal())
  if (module.isUnchanged(desired, current)) return 'unchanged'
  await client.writeStatus(desired, signal())
  return 'sent'
}

let savedBase: string | undefined
beforeEach(() => {
  savedBase = process.env.BITBUCKET_API_BASE_URL
  delete process.env.BITBUCKET_API_BASE_URL
})
afterEach(() => {
  if (savedBase === undefined) delete process.env.BITBUCKET_API_BASE_URL
  else process.env.BITBUCKET_API_BASE_URL = savedBase
})

describe('bitbucket validate (constructor errors)', () => {
  it('accepts user:app-password and owner/repo', () => {
    expect(bitbucket.validate(provider())).toBeUndefined()
    expect(
      bitbucket.validate(provider({ address: 'git@bitbucket.org:fluxcd/podinfo.git' })),
    ).toBeUndefined()
  })

  it.each([
    ['', 'bitbucket token cannot be empty'],
    ['bar', 'invalid token format, expected to be <user>:<password>'],
    ['a:b:c', 'invalid token format, expected to be <user>:<password>'],
  ])('refuses the token %j', (token, error) => {
    expect(bitbucket.validate(provider({ token }))).toBe(error)
  })

  it('checks the token before the address', () => {
    expect(
      bitbucket.validate(provider({ token: 'bar', address: 'https://bitbucket.org/a/b/c' })),
    ).toBe('invalid token format, expected to be <user>:<password>')
  })

  it('needs exactly owner/repo', () => {
    expect(bitbucket.validate(provider({ address: 'https://bitbucket.org/a/b/c' }))).toBe(
      'invalid repository id "a/b/c"',
    )
  })

  it('refuses a BITBUCKET_API_BASE_URL that is not an http(s) URL', () => {
    process.env.BITBUCKET_API_BASE_URL = 'ftp://example.com'
    expect(bitbucket.validate(provider())).toBe(
      "invalid BITBUCKET_API_BASE_URL 'ftp://example.com': expected an http(s) URL",
    )
  })
})

describe('bitbucket desiredStatus', () => {
  it('hashes the id into the key (§6.3, sha1String goldens)', () => {
    expect(sha1Hex(ID)).toBe(KEY)
    expect(sha1Hex('kustomization/namespace-foo-and-service-bar')).toBe(
      '12ea142172e98435e16336acbbed8919610922c3',
    )
  })

  it('info → SUCCESSFUL with name kind/name, the reason in words and the constant url', () => {
    expect(bitbucket.desiredStatus(notification(gitopsSystemEvent(SHA)), ID)).toEqual({
      repository: 'fluxcd/podinfo',
      sha: SHA,
      context: KEY,
      state: 'SUCCESSFUL',
      description: 'apply succeeded',
      name: 'kustomization/gitops-system',
      targetUrl: 'https://bitbucket.org',
    })
  })

  it('error → FAILED', () => {
    const event = gitopsSystemEvent(SHA, { severity: 'error', reason: 'HealthCheckFailed' })
    expect(bitbucket.desiredStatus(notification(event), ID)).toMatchObject({
      state: 'FAILED',
      description: 'health check failed',
    })
  })

  it('skips Progressing, other severities and events without a commit', () => {
    expect(
      bitbucket.desiredStatus(notification(gitopsSystemEvent(SHA, { reason: 'Progressing' })), ID),
    ).toEqual({
      skip: 'reason Progressing is not posted to bitbucket',
    })
    expect(
      bitbucket.desiredStatus(notification(gitopsSystemEvent(SHA, { severity: 'trace' })), ID),
    ).toEqual({
      skip: "can't convert to bitbucket state",
    })
    expect(
      bitbucket.desiredStatus(notification(gitopsSystemEvent(SHA, { metadata: {} })), ID),
    ).toEqual({
      skip: 'no commit SHA: missing revision metadata',
    })
  })

  it('ignores the address host: only owner/repo count', () => {
    const p = provider({ address: 'https://bitbucket.example.com/team/app.git' })
    expect(bitbucket.desiredStatus(notification(gitopsSystemEvent(SHA), p), ID)).toMatchObject({
      repository: 'team/app',
    })
  })
})

describe('bitbucket isUnchanged: the status under the key has the same state and description', () => {
  const desired = bitbucket.desiredStatus(notification(gitopsSystemEvent(SHA)), ID) as DesiredStatus
  const same = { context: KEY, state: 'SUCCESSFUL', description: 'apply succeeded', name: 'x' }
  it.each([
    ['the same state and description (name aside)', [same], true],
    ['nothing', [], false],
    ['another state', [{ ...same, state: 'FAILED' }], false],
    ['another description', [{ ...same, description: 'reconciliation succeeded' }], false],
    ['only other keys', [{ ...same, context: sha1Hex('other') }], false],
  ])('%s → %s', (_what, current, unchanged) => {
    expect(bitbucket.isUnchanged(desired, current)).toBe(unchanged)
  })
})

describe('bitbucket over HTTP', () => {
  let fake: FakeBitbucket
  beforeEach(async () => {
    fake = await startFakeBitbucket({ credentials: { username: 'user', password: 'app-password' } })
    process.env.BITBUCKET_API_BASE_URL = fake.apiUrl
  })
  afterEach(async () => {
    await fake.close()
  })

  it('reads the commit’s statuses and posts go-bitbucket’s body with basic auth', async () => {
    expect(await deliverOnce(bitbucket, notification(gitopsSystemEvent(SHA)), ID)).toBe('sent')
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /2.0/repositories/fluxcd/podinfo/commit/${SHA}/statuses?pagelen=50`,
      `POST /2.0/repositories/fluxcd/podinfo/commit/${SHA}/statuses/build`,
    ])
    const basic = `Basic ${Buffer.from('user:app-password').toString('base64')}`
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual([basic, basic])
    expect(fake.requests[1]!.body).toBe(
      `{"key":"${KEY}","url":"https://bitbucket.org","state":"SUCCESSFUL","name":"kustomization/gitops-system","description":"apply succeeded"}`,
    )
    expect(fake.requests[1]!.headers['content-type']).toBe('application/json')
    expect(fake.statuses('fluxcd/podinfo', SHA)).toMatchObject([
      {
        key: KEY,
        state: 'SUCCESSFUL',
        description: 'apply succeeded',
        url: 'https://bitbucket.org',
      },
    ])
  })

  it('writes only when changed, across two runs', async () => {
    expect(await deliverOnce(bitbucket, notification(gitopsSystemEvent(SHA)), ID)).toBe('sent')
    expect(await deliverOnce(bitbucket, notification(gitopsSystemEvent(SHA)), ID)).toBe('unchanged')
    const failed = gitopsSystemEvent(SHA, { severity: 'error', reason: 'HealthCheckFailed' })
    expect(await deliverOnce(bitbucket, notification(failed), ID)).toBe('sent')
    expect(await deliverOnce(bitbucket, notification(failed), ID)).toBe('unchanged')
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(2)
    // one key, replaced in place
    expect(fake.statuses('fluxcd/podinfo', SHA)).toMatchObject([{ key: KEY, state: 'FAILED' }])
  })

  it('follows the next links through every page', async () => {
    for (let i = 0; i < 120; i++) {
      fake.seedStatus('fluxcd/podinfo', SHA, { key: `other-${i}`, state: 'SUCCESSFUL', url: 'u' })
    }
    fake.seedStatus('fluxcd/podinfo', SHA, {
      key: KEY,
      state: 'SUCCESSFUL',
      description: 'apply succeeded',
      url: 'https://bitbucket.org',
    })
    expect(await deliverOnce(bitbucket, notification(gitopsSystemEvent(SHA)), ID)).toBe('unchanged')
    expect(fake.requests.map((r) => r.path)).toEqual([
      `/2.0/repositories/fluxcd/podinfo/commit/${SHA}/statuses?pagelen=50`,
      `/2.0/repositories/fluxcd/podinfo/commit/${SHA}/statuses?pagelen=50&page=2`,
      `/2.0/repositories/fluxcd/podinfo/commit/${SHA}/statuses?pagelen=50&page=3`,
    ])
  })

  it('does not follow a next link to another origin', async () => {
    await fake.close()
    fake = await startFakeBitbucket({ nextOrigin: 'http://127.0.0.1:1' })
    process.env.BITBUCKET_API_BASE_URL = fake.apiUrl
    for (let i = 0; i < 60; i++) {
      fake.seedStatus('fluxcd/podinfo', SHA, { key: `other-${i}`, state: 'SUCCESSFUL', url: 'u' })
    }
    const client = await bitbucket.createClient(provider())
    const current = await client.readStatuses('fluxcd/podinfo', SHA, signal())
    expect(current).toHaveLength(50)
    expect(fake.requests).toHaveLength(1)
  })

  it('treats a 404 on the read as "no status yet", like the controller’s read by key', async () => {
    await fake.close()
    fake = await startFakeBitbucket({ commits: [] })
    process.env.BITBUCKET_API_BASE_URL = fake.apiUrl
    const client = await bitbucket.createClient(provider())
    expect(await client.readStatuses('fluxcd/podinfo', SHA, signal())).toEqual([])
    // the write then says what is wrong
    const desired = bitbucket.desiredStatus(
      notification(gitopsSystemEvent(SHA)),
      ID,
    ) as DesiredStatus
    await expect(client.writeStatus(desired, signal())).rejects.toThrow(
      /^could not set commit status: request failed with status code 404: .*Commit not found/u,
    )
  })

  it('answers 404 for an unknown key on the read by key (the controller’s call)', async () => {
    const response = await fetch(
      `${fake.apiUrl}/repositories/fluxcd/podinfo/commit/${SHA}/statuses/build/${KEY}`,
      {
        headers: { authorization: `Basic ${Buffer.from('user:app-password').toString('base64')}` },
      },
    )
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ type: 'error' })
  })

  it('reports bad credentials as a read error', async () => {
    const client = await bitbucket.createClient(provider({ token: 'user:wrong' }))
    await expect(client.readStatuses('fluxcd/podinfo', SHA, signal())).rejects.toThrow(
      /^could not get commit status: request failed with status code 401: /u,
    )
  })
})
