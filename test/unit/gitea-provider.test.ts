import { afterEach, describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { SendError } from '../../src/delivery/http.js'
import {
  gitea,
  giteaErrorText,
  giteaHasNextPage,
  giteaRepository,
  giteaState,
  giteaVersionNumbers,
} from '../../src/providers/git/gitea.js'
import type {
  CurrentStatus,
  DesiredStatus,
  Notification,
  ResolvedProvider,
} from '../../src/providers/types.js'
import { startFakeGitea } from '../servers/fake-gitea.js'
import type { FakeGitea } from '../servers/fake-gitea.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import {
  providerManifest,
  resolvedProvider,
  testEvent,
  reconciledKustomization,
} from '../support/factories.js'

const SHA = '5394cb7f48332b2de7c17dd8b8384bbc84b7e738'
const CONTEXT = 'kustomization/podinfo/0c9c2e41'
const TOKEN = 'gitea-test'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('gitea', {
    provider: providerManifest('gitea', {
      name: 'gitea',
      namespace: 'flux-system',
      address: 'https://gitea.example.com/stefanprodan/podinfo',
    }),
    uid: '0c9c2e41',
    token: TOKEN,
    secretValues: [TOKEN],
    ...overrides,
  })
}

function notification(event: FluxEvent, provider = resolved()): Notification {
  return { event, alert: {} as Alert, provider }
}

function desired(event: FluxEvent, provider = resolved(), context = CONTEXT): DesiredStatus {
  const status = gitea.desiredStatus(notification(event, provider), context)
  if ('skip' in status) throw new Error(`unexpected skip: ${status.skip}`)
  return status
}

describe('gitea address', () => {
  it.each([
    ['https://gitea.example.com/foo/bar', 'https://gitea.example.com/api/v1', 'foo', 'bar'],
    ['https://gitea.example.com/foo/bar.git', 'https://gitea.example.com/api/v1', 'foo', 'bar'],
    ['git@gitea.example.com:foo/bar.git', 'https://gitea.example.com/api/v1', 'foo', 'bar'],
    ['http://127.0.0.1:3000/foo/bar', 'http://127.0.0.1:3000/api/v1', 'foo', 'bar'],
  ])('%s → %s, %s/%s', (address, apiBase, owner, repo) => {
    expect(giteaRepository(address)).toMatchObject({ apiBase, owner, repo })
  })

  it('needs exactly owner/repo', () => {
    expect(giteaRepository('https://gitea.example.com/foo/bar/baz')).toEqual({
      error: 'invalid repository id "foo/bar/baz"',
    })
    expect(giteaRepository('https://gitea.example.com/foo')).toEqual({
      error: 'invalid repository id "foo"',
    })
  })
})

describe('gitea validate', () => {
  it('accepts a token and an owner/repo address', () => {
    expect(gitea.validate(resolved())).toBeUndefined()
  })

  it('falls back to the password when there is no token', () => {
    expect(gitea.validate(resolved({ token: '', password: 'pat' }))).toBeUndefined()
  })

  it('needs a token, checked before the address', () => {
    expect(
      gitea.validate(resolved({ token: '', address: 'https://gitea.example.com/a/b/c' })),
    ).toBe('gitea token cannot be empty')
  })

  it('refuses an id that is not owner/repo', () => {
    expect(gitea.validate(resolved({ address: 'https://gitea.example.com/a/b/c' }))).toBe(
      'invalid repository id "a/b/c"',
    )
  })
})

describe('gitea states', () => {
  it.each([
    ['ReconciliationSucceeded', 'info', 'success'],
    ['HealthCheckFailed', 'error', 'failure'],
    ['Progressing', 'info', 'pending'],
    ['Progressing', 'error', 'pending'],
    ['Progressing', 'trace', 'pending'],
  ])('%s / %s → %s', (reason, severity, state) => {
    expect(giteaState(reason, severity)).toBe(state)
  })

  it('posts Progressing as pending, unlike the other hosts', () => {
    expect(desired(reconciledKustomization(SHA, { reason: 'Progressing' }))).toEqual({
      repository: 'stefanprodan/podinfo',
      sha: SHA,
      context: CONTEXT,
      state: 'pending',
      description: 'progressing',
    })
  })

  it('has no state for other severities', () => {
    const status = gitea.desiredStatus(
      notification(reconciledKustomization(SHA, { severity: 'trace' })),
      CONTEXT,
    )
    expect(status).toEqual({ skip: "can't convert to gitea state" })
  })

  it('skips an event without a commit SHA', () => {
    const status = gitea.desiredStatus(
      notification(reconciledKustomization(SHA, { metadata: {} })),
      CONTEXT,
    )
    expect(status).toEqual({ skip: 'no commit SHA: missing revision metadata' })
  })
})

describe('gitea isUnchanged', () => {
  const want = (): DesiredStatus => desired(reconciledKustomization(SHA))

  it('the newest status with our context decides', () => {
    const current: CurrentStatus[] = [
      { context: 'other', state: 'failure', description: 'x' },
      { context: CONTEXT, state: 'success', description: 'reconciliation succeeded' },
      { context: CONTEXT, state: 'failure', description: 'health check failed' },
    ]
    expect(gitea.isUnchanged(want(), current)).toBe(true)
    expect(gitea.isUnchanged(want(), [current[2]!, current[1]!])).toBe(false)
  })

  it('passes over entries with an empty state or description, as the controller does', () => {
    const current: CurrentStatus[] = [
      { context: CONTEXT, state: 'failure', description: '' },
      { context: CONTEXT, state: 'success', description: 'reconciliation succeeded' },
    ]
    expect(gitea.isUnchanged(want(), current)).toBe(true)
  })

  it('is changed when nothing matches', () => {
    expect(gitea.isUnchanged(want(), [])).toBe(false)
    expect(
      gitea.isUnchanged(want(), [
        { context: CONTEXT, state: 'pending', description: 'reconciliation succeeded' },
      ]),
    ).toBe(false)
  })
})

describe('gitea pagination and versions', () => {
  it('reads X-Total-Count, then Link, then the page length', () => {
    expect(giteaHasNextPage(new Headers({ 'x-total-count': '120' }), 50, 50, 50)).toBe(true)
    expect(giteaHasNextPage(new Headers({ 'x-total-count': '120' }), 120, 20, 50)).toBe(false)
    // a server whose MAX_RESPONSE_ITEMS is below our limit still says there is more
    expect(giteaHasNextPage(new Headers({ 'x-total-count': '45' }), 30, 30, 50)).toBe(true)
    expect(
      giteaHasNextPage(new Headers({ link: '<http://x/?page=2>; rel="next"' }), 30, 30, 50),
    ).toBe(true)
    expect(
      giteaHasNextPage(new Headers({ link: '<http://x/?page=1>; rel="first"' }), 50, 50, 50),
    ).toBe(false)
    expect(giteaHasNextPage(undefined, 50, 50, 50)).toBe(true)
    expect(giteaHasNextPage(undefined, 70, 20, 50)).toBe(false)
    expect(giteaHasNextPage(new Headers({ 'x-total-count': '9' }), 0, 0, 50)).toBe(false)
  })

  it('reads Gitea version strings', () => {
    expect(giteaVersionNumbers('1.18.3')).toEqual([1, 18, 3])
    expect(giteaVersionNumbers('1.22.0+dev-123-gabcdef')).toEqual([1, 22, 0])
    expect(giteaVersionNumbers('v1.21.4')).toEqual([1, 21, 4])
    expect(giteaVersionNumbers('development')).toBeUndefined()
  })

  it('words errors as the Gitea SDK does', () => {
    const failed = (status: number, body: string) =>
      new SendError(`request failed with status code ${status}: ${body}`)
    expect(giteaErrorText(failed(404, '{"message":"x"}'))).toBe('404 Not Found')
    expect(giteaErrorText(failed(403, ''))).toBe('403 Forbidden')
    expect(giteaErrorText(failed(409, ''))).toBe('409 Conflict')
    expect(giteaErrorText(failed(422, '[{"fieldNames":["State"]}]'))).toBe(
      '422 Unprocessable Entity: [{"fieldNames":["State"]}]',
    )
    expect(giteaErrorText(failed(401, '{"message":"token is required","url":"u"}'))).toBe(
      'token is required',
    )
    expect(giteaErrorText(failed(400, 'oops'))).toBe('Unknown API Error: 400 oops')
  })
})

describe('gitea client over HTTP', () => {
  let fake: FakeGitea | undefined
  let recorder: Recorder | undefined
  afterEach(async () => {
    await fake?.close()
    await recorder?.close()
    fake = undefined
    recorder = undefined
  })

  const signal = () => AbortSignal.timeout(5_000)
  const onFake = (server: { url: string }, path = 'stefanprodan/podinfo', token = TOKEN) =>
    resolved({ address: `${server.url}/${path}`, token, secretValues: [token] })

  /** One run of the delivery loop for one event: a new client, read once, write when changed. */
  async function run(
    provider: ResolvedProvider,
    event: FluxEvent,
    context = CONTEXT,
  ): Promise<'sent' | 'unchanged'> {
    const client = await gitea.createClient(provider)
    const want = desired(event, provider, context)
    const current = await client.readStatuses(want.repository, want.sha, signal())
    if (gitea.isUnchanged(want, current)) return 'unchanged'
    await client.writeStatus(want, signal())
    return 'sent'
  }

  it('§8.1: against the stub, reads the version, lists, then posts the status', async () => {
    recorder = await startRecorder({ defaultResponse: { status: 200, body: '{}' } })
    recorder.respond('/api/v1/version', [{ body: '{"version":"1.18.3"}' }])
    recorder.respond(`/api/v1/repos/foo/bar/commits/${SHA}/statuses`, [{ body: '[]' }])
    const provider = onFake(recorder, 'foo/bar')
    const event: FluxEvent = { ...testEvent(), metadata: { revision: `main@sha1:${SHA}` } }
    const context = 'gitrepository/webapp/0c9c2e41'

    expect(await run(provider, event, context)).toBe('sent')
    const seen = recorder.requests.map((r) => `${r.method} ${r.path}`)
    expect(seen).toEqual([
      'GET /api/v1/version',
      `GET /api/v1/repos/foo/bar/commits/${SHA}/statuses?limit=50&page=1`,
      `POST /api/v1/repos/foo/bar/statuses/${SHA}`,
    ])
    for (const request of recorder.requests) {
      expect(request.headers.authorization).toBe(`token ${TOKEN}`)
    }
    const post = recorder.requests[2]!
    expect(post.headers['content-type']).toBe('application/json')
    expect(post.body).toBe(
      `{"state":"success","target_url":"","description":"reason","context":"${context}"}`,
    )
  })

  it('reads every page of the commit statuses, newest first', async () => {
    fake = await startFakeGitea()
    for (let i = 0; i < 120; i++) {
      fake.seedStatus('stefanprodan/podinfo', SHA, {
        context: `ci/job-${i}`,
        state: 'success',
        description: `job ${i}`,
      })
    }
    const client = await gitea.createClient(onFake(fake))
    const statuses = await client.readStatuses('stefanprodan/podinfo', SHA, signal())

    expect(statuses).toHaveLength(120)
    expect(statuses[0]).toEqual({ context: 'ci/job-119', state: 'success', description: 'job 119' })
    expect(statuses[119]!.context).toBe('ci/job-0')
    expect(fake.requests.map((r) => r.path)).toEqual([
      '/api/v1/version',
      `/api/v1/repos/stefanprodan/podinfo/commits/${SHA}/statuses?limit=50&page=1`,
      `/api/v1/repos/stefanprodan/podinfo/commits/${SHA}/statuses?limit=50&page=2`,
      `/api/v1/repos/stefanprodan/podinfo/commits/${SHA}/statuses?limit=50&page=3`,
    ])
  })

  it('writes only when changed, across two runs with their own clients', async () => {
    fake = await startFakeGitea({ repositories: ['stefanprodan/podinfo'] })
    const provider = onFake(fake)
    const posts = () => fake!.requests.filter((r) => r.method === 'POST').length

    const progressing = reconciledKustomization(SHA, { reason: 'Progressing' })
    expect(await run(provider, progressing)).toBe('sent')
    expect(await run(provider, progressing)).toBe('unchanged')
    expect(await run(provider, reconciledKustomization(SHA))).toBe('sent')
    expect(await run(provider, reconciledKustomization(SHA))).toBe('unchanged')
    expect(posts()).toBe(2)
    expect(fake.statuses('stefanprodan/podinfo', SHA)).toMatchObject([
      { context: CONTEXT, status: 'pending', description: 'progressing' },
      { context: CONTEXT, status: 'success', description: 'reconciliation succeeded' },
    ])
  })

  it('fails to create the client when the server has no version endpoint', async () => {
    recorder = await startRecorder({
      defaultResponse: { status: 404, body: '{"message":"not found"}' },
    })
    await expect(gitea.createClient(onFake(recorder))).rejects.toThrow(
      'failed creating Gitea client: 404 Not Found',
    )
  })

  it('refuses a Gitea older than 1.11.0, as the SDK does', async () => {
    fake = await startFakeGitea({ version: '1.10.6' })
    await expect(gitea.createClient(onFake(fake))).rejects.toThrow(
      `failed creating Gitea client: gitea server at ${fake.url} is older than 1.11.0`,
    )
  })

  it("reports a refused token with Gitea's message", async () => {
    fake = await startFakeGitea()
    await expect(gitea.createClient(onFake(fake, 'stefanprodan/podinfo', 'wrong'))).rejects.toThrow(
      'failed creating Gitea client: user does not exist [uid: 0, name: ]',
    )
  })

  it('reports list and create failures', async () => {
    fake = await startFakeGitea()
    const provider = onFake(fake, 'nobody/nothing')
    const client = await gitea.createClient(provider)
    await expect(client.readStatuses('nobody/nothing', SHA, signal())).rejects.toThrow(
      'could not list commit statuses: 404 Not Found',
    )
    await expect(
      client.writeStatus(desired(reconciledKustomization(SHA), provider), signal()),
    ).rejects.toThrow('could not create commit status: 404 Not Found')
    fake.failNext(1, {
      status: 401,
      body: JSON.stringify({ message: 'token is required', url: `${fake.url}/api/swagger` }),
    })
    await expect(client.readStatuses('nobody/nothing', SHA, signal())).rejects.toThrow(
      'could not list commit statuses: token is required',
    )
  })
})
