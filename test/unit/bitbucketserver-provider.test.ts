import { MAX_BODY_BYTES } from '../../src/delivery/http.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { sha1Hex } from '../../src/providers/git/bitbucket.js'
import {
  bitbucketServer,
  bitbucketServerRepository,
  commitsApiBase,
} from '../../src/providers/git/bitbucketserver.js'
import type {
  CommitStatusModule,
  DesiredStatus,
  Notification,
  ResolvedProvider,
} from '../../src/providers/types.js'
import { startFakeBitbucketServer } from '../servers/fake-bitbucket-server.js'
import type { FakeBitbucketServer } from '../servers/fake-bitbucket-server.js'
import { resolvedProvider } from '../support/factories.js'

const SHA = '5394cb7f48332b2de7c17dd8b8384bbc84b7e738'
/** §6.3: the default id of Kustomization gitops-system with UID 0c9c2e41-… */
const ID = 'kustomization/gitops-system/0c9c2e41'
const KEY = 'c99410a43c260fddd152a40c296bddfa0b8fd879'

/** The event of upstream's bitbucketserver_test.go: Kustomization hello-world, reason `reason`. */
function helloWorld(overrides: Partial<FluxEvent> = {}): FluxEvent {
  return {
    involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'hello-world' },
    severity: 'info',
    timestamp: '2022-09-30T06:40:29Z',
    message: 'message',
    reason: 'reason',
    metadata: { revision: `main@sha1:${SHA}` },
    reportingController: 'kustomize-controller',
    ...overrides,
  }
}

function provider(address: string, overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('bitbucketserver', {
    address,
    token: 'goodtoken',
    secretValues: ['goodtoken'],
    ...overrides,
  })
}

function notification(event: FluxEvent, p: ResolvedProvider): Notification {
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

describe('bitbucketserver address (parseBitbucketServerGitAddress, §6.1)', () => {
  it.each([
    [
      'https://example.com:7990/context1/context2/context3/scm/projectfoo/repobar.git',
      'https://example.com:7990/context1/context2/context3',
      'projectfoo',
      'repobar',
    ],
    [
      'https://example.com/scm/scm/projectfoo/repobar.git',
      'https://example.com/scm',
      'projectfoo',
      'repobar',
    ],
    [
      'https://example.com/scm/projectfoo/repobar.git',
      'https://example.com',
      'projectfoo',
      'repobar',
    ],
    [
      'http://example.com:7990/scm/projectfoo/repobar',
      'http://example.com:7990',
      'projectfoo',
      'repobar',
    ],
  ])('%s → %s', (address, root, project, repo) => {
    expect(bitbucketServerRepository(address)).toEqual({ root, project, repo })
  })

  it('builds the controller’s commits API base under the context path', () => {
    const repository = bitbucketServerRepository(
      'https://example.com:7990/context1/context2/context3/scm/projectfoo/repobar.git',
    )
    expect(commitsApiBase(repository as never)).toBe(
      'https://example.com:7990/context1/context2/context3/rest/api/latest/projects/projectfoo/repos/repobar/commits',
    )
  })

  it.each([
    [
      'ssh://git@example.com:7999/projectfoo/repobar.git',
      'could not parse git address: unsupported scheme type in address: ssh. Must be http or https',
    ],
    [
      'https://example.com/projectfoo/repobar.git',
      'could not parse git address: supplied provider address is not http(s) git clone url',
    ],
    [
      'https://example.com/scm/projectfoo/repobar/extra.git',
      'could not parse git address: invalid repository id "projectfoo/repobar/extra"',
    ],
    [
      'https://example.com/scm/repobar.git',
      'could not parse git address: invalid repository id "repobar"',
    ],
    [
      'git@example.com:scm/projectfoo/repobar.git',
      'could not parse git address: parse "git@example.com:scm/projectfoo/repobar.git": first path segment in URL cannot contain colon',
    ],
  ])('refuses %s', (address, error) => {
    expect(bitbucketServerRepository(address)).toEqual({ error })
    expect(bitbucketServer.validate(provider(address))).toBe(error)
  })
})

describe('bitbucketserver credentials', () => {
  const address = 'https://example.com/scm/projectfoo/repobar.git'
  it('accepts a token, or a username with a password', () => {
    expect(bitbucketServer.validate(provider(address))).toBeUndefined()
    const basic = provider(address, { token: '', username: 'user', password: 'password' })
    expect(bitbucketServer.validate(basic)).toBeUndefined()
  })

  it.each([
    ['nothing', { token: '' }],
    ['a username alone', { token: '', username: 'user' }],
    ['a password alone', { token: '', password: 'password' }],
  ])('refuses %s', (_what, overrides) => {
    expect(bitbucketServer.validate(provider(address, overrides))).toBe(
      'invalid credentials, expected to be one of username/password or API Token',
    )
  })
})

describe('bitbucketserver desiredStatus', () => {
  const address = 'https://example.com/scm/projectfoo/repobar.git'

  it('hashes the id into the key (sha1String goldens)', () => {
    expect(sha1Hex('kustomization/namespace-foo-and-service-bar')).toBe(
      '12ea142172e98435e16336acbbed8919610922c3',
    )
    expect(sha1Hex(ID)).toBe(KEY)
  })

  it('info → SUCCESSFUL, name "<kind/name> [<desc>]", url the address as written', () => {
    expect(
      bitbucketServer.desiredStatus(notification(helloWorld(), provider(address)), ID),
    ).toEqual({
      repository: 'projectfoo/repobar',
      sha: SHA,
      context: KEY,
      state: 'SUCCESSFUL',
      description: 'reason',
      name: 'kustomization/hello-world [reason]',
      targetUrl: address,
    })
  })

  it('error → FAILED, the reason in words', () => {
    const event = helloWorld({ severity: 'error', reason: 'HealthCheckFailed' })
    expect(bitbucketServer.desiredStatus(notification(event, provider(address)), ID)).toMatchObject(
      {
        state: 'FAILED',
        description: 'health check failed',
        name: 'kustomization/hello-world [health check failed]',
      },
    )
  })

  it('skips Progressing and severities it has no state for', () => {
    const progressing = helloWorld({ reason: 'Progressing' })
    expect(bitbucketServer.desiredStatus(notification(progressing, provider(address)), ID)).toEqual(
      {
        skip: 'reason Progressing is not posted to bitbucketserver',
      },
    )
    const trace = helloWorld({ severity: 'trace' })
    expect(bitbucketServer.desiredStatus(notification(trace, provider(address)), ID)).toEqual({
      skip: "couldn't convert to bitbucket server state: bitbucket server state generated on info or error events only",
    })
  })

  it('takes the originRevision over the revision', () => {
    const other = 'a1afe267b54f38b46b487f6e938a6fd508278c07'
    const event = helloWorld({
      metadata: { revision: `main@sha1:${other}`, originRevision: `main@sha1:${SHA}` },
    })
    const status = bitbucketServer.desiredStatus(notification(event, provider(address)), ID)
    expect((status as DesiredStatus).sha).toBe(SHA)
  })
})

describe('bitbucketserver isUnchanged: key, state, description and name all equal', () => {
  const desired: DesiredStatus = {
    repository: 'p/r',
    sha: SHA,
    context: KEY,
    state: 'SUCCESSFUL',
    description: 'reason',
    name: 'kustomization/hello-world [reason]',
  }
  const same = { context: KEY, state: 'SUCCESSFUL', description: 'reason', name: desired.name! }
  it.each([
    ['the same status', [same], true],
    ['nothing', [], false],
    ['another state', [{ ...same, state: 'FAILED' }], false],
    ['another description', [{ ...same, description: 'other' }], false],
    ['another name', [{ ...same, name: 'kustomization/other [reason]' }], false],
    ['another key', [{ ...same, context: sha1Hex('other') }], false],
  ])('%s → %s', (_what, current, unchanged) => {
    expect(bitbucketServer.isUnchanged(desired, current)).toBe(unchanged)
  })
})

describe('bitbucketserver over HTTP', () => {
  let fake: FakeBitbucketServer
  let address: string
  beforeEach(async () => {
    fake = await startFakeBitbucketServer({ token: 'goodtoken' })
    address = `${fake.url}/scm/projectfoo/repobar.git`
  })
  afterEach(async () => {
    await fake.close()
  })

  it('sends the controller’s POST byte for byte (§8.1 golden)', async () => {
    const p = provider(address)
    expect(await deliverOnce(bitbucketServer, notification(helloWorld(), p), ID)).toBe('sent')
    const post = fake.requests.find((r) => r.method === 'POST')!
    expect(post.path).toBe(
      `/rest/api/latest/projects/projectfoo/repos/repobar/commits/${SHA}/builds`,
    )
    expect(post.body).toBe(
      `{"description":"reason","key":"${KEY}","name":"kustomization/hello-world [reason]","state":"SUCCESSFUL","url":"${address}"}\n`,
    )
    expect(post.headers['content-type']).toBe('application/json')
    for (const request of fake.requests) {
      expect(request.headers.authorization).toBe('Bearer goodtoken')
      expect(request.headers['x-atlassian-token']).toBe('no-check')
      expect(request.headers['x-requested-with']).toBe('XMLHttpRequest')
    }
    expect(fake.statuses('projectfoo/repobar', SHA)).toMatchObject([
      { key: KEY, state: 'SUCCESSFUL', description: 'reason', url: address },
    ])
  })

  it('reads the commit’s build statuses with a GET carrying no body', async () => {
    await deliverOnce(bitbucketServer, notification(helloWorld(), provider(address)), ID)
    const get = fake.requests.find((r) => r.method === 'GET')!
    expect(get.path).toBe(`/rest/build-status/latest/commits/${SHA}?start=0&limit=100`)
    expect(get.body).toBe('')
  })

  it('uses Basic auth for a username and password', async () => {
    await fake.close()
    fake = await startFakeBitbucketServer({
      credentials: { username: 'user', password: 'password' },
    })
    address = `${fake.url}/scm/projectfoo/repobar.git`
    const p = provider(address, { token: '', username: 'user', password: 'password' })
    expect(await deliverOnce(bitbucketServer, notification(helloWorld(), p), ID)).toBe('sent')
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual([
      'Basic dXNlcjpwYXNzd29yZA==',
      'Basic dXNlcjpwYXNzd29yZA==',
    ])
  })

  it('writes only when changed, across two runs', async () => {
    const p = provider(address)
    expect(await deliverOnce(bitbucketServer, notification(helloWorld(), p), ID)).toBe('sent')
    expect(await deliverOnce(bitbucketServer, notification(helloWorld(), p), ID)).toBe('unchanged')
    const failed = helloWorld({ severity: 'error', reason: 'HealthCheckFailed' })
    expect(await deliverOnce(bitbucketServer, notification(failed, p), ID)).toBe('sent')
    expect(await deliverOnce(bitbucketServer, notification(failed, p), ID)).toBe('unchanged')
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(2)
    expect(fake.statuses('projectfoo/repobar', SHA)).toMatchObject([
      { key: KEY, state: 'FAILED', name: 'kustomization/hello-world [health check failed]' },
    ])
  })

  it('writes again when only the name differs (another object with the same id)', async () => {
    fake.seedStatus('projectfoo/repobar', SHA, {
      key: KEY,
      state: 'SUCCESSFUL',
      description: 'reason',
      name: 'kustomization/other [reason]',
      url: address,
    })
    expect(
      await deliverOnce(bitbucketServer, notification(helloWorld(), provider(address)), ID),
    ).toBe('sent')
  })

  it('reads every page (start / isLastPage / nextPageStart)', async () => {
    for (let i = 0; i < 150; i++) {
      fake.seedStatus('projectfoo/repobar', SHA, {
        key: `other-${i}`,
        state: 'SUCCESSFUL',
        url: 'u',
      })
    }
    // our status is the oldest, so it is on the second page
    fake.seedStatus('projectfoo/repobar', SHA, {
      key: KEY,
      state: 'SUCCESSFUL',
      description: 'reason',
      name: 'kustomization/hello-world [reason]',
      url: address,
    })
    fake.seedStatus('projectfoo/repobar', SHA, { key: 'other-0', state: 'FAILED', url: 'u' })
    const client = await bitbucketServer.createClient(provider(address))
    const current = await client.readStatuses('projectfoo/repobar', SHA, signal())
    expect(current).toHaveLength(151)
    expect(fake.requests.map((r) => r.path)).toEqual([
      `/rest/build-status/latest/commits/${SHA}?start=0&limit=100`,
      `/rest/build-status/latest/commits/${SHA}?start=100&limit=100`,
    ])
    const desired = bitbucketServer.desiredStatus(notification(helloWorld(), provider(address)), ID)
    expect(bitbucketServer.isUnchanged(desired as DesiredStatus, current)).toBe(true)
  })

  it('reaches a server under a context path, even one named /scm', async () => {
    await fake.close()
    fake = await startFakeBitbucketServer({ contextPath: '/scm', token: 'goodtoken' })
    address = `${fake.url}/scm/projectfoo/repobar.git`
    expect(address).toMatch(/\/scm\/scm\/projectfoo\/repobar\.git$/u)
    expect(
      await deliverOnce(bitbucketServer, notification(helloWorld(), provider(address)), ID),
    ).toBe('sent')
    expect(fake.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      `GET /scm/rest/build-status/latest/commits/${SHA}`,
      `POST /scm/rest/api/latest/projects/projectfoo/repos/repobar/commits/${SHA}/builds`,
    ])
  })

  it('reports a refused read like the controller (§8.1)', async () => {
    fake.failNext(1, { status: 400 })
    const client = await bitbucketServer.createClient(provider(address))
    await expect(client.readStatuses('projectfoo/repobar', SHA, signal())).rejects.toThrow(
      /^could not get existing commit status: failed api call to check duplicate commit status: 400 - Bad Request$/u,
    )
  })

  it('reports an empty 200 on the read like the controller (§8.1)', async () => {
    fake.failNext(1, { status: 200, body: '' })
    const client = await bitbucketServer.createClient(provider(address))
    await expect(client.readStatuses('projectfoo/repobar', SHA, signal())).rejects.toThrow(
      /^could not get existing commit status: could not unmarshal json response body for duplicate commit status: unexpected end of JSON input$/u,
    )
  })

  it('refuses a page longer than the body it reads instead of parsing half of it', async () => {
    fake.failNext(1, {
      status: 200,
      body: JSON.stringify({ values: [], pad: 'x'.repeat(MAX_BODY_BYTES) }),
    })
    const client = await bitbucketServer.createClient(provider(address))
    await expect(client.readStatuses('projectfoo/repobar', SHA, signal())).rejects.toThrow(
      `could not unmarshal json response body for duplicate commit status: response body larger than ${MAX_BODY_BYTES / 1024} KiB`,
    )
  })

  it('reports a refused write like the controller (§8.1)', async () => {
    const p = provider(address, { token: 'badtoken' })
    const client = await bitbucketServer.createClient(p)
    const desired = bitbucketServer.desiredStatus(
      notification(helloWorld(), p),
      ID,
    ) as DesiredStatus
    await expect(client.writeStatus(desired, signal())).rejects.toThrow(
      /^could not post build status: could not post build commit status: 401 - Unauthorized$/u,
    )
  })

  it('treats a 404 on the read as "no statuses yet"', async () => {
    fake.failNext(1, { status: 404 })
    const client = await bitbucketServer.createClient(provider(address))
    expect(await client.readStatuses('projectfoo/repobar', SHA, signal())).toEqual([])
  })

  it('retries a 503 as the controller’s retryablehttp client does', async () => {
    fake.failNext(1, { status: 503, headers: { 'retry-after': '0' } })
    expect(
      await deliverOnce(bitbucketServer, notification(helloWorld(), provider(address)), ID),
    ).toBe('sent')
    expect(fake.requests.map((r) => r.status)).toEqual([503, 200, 204])
  })
})
