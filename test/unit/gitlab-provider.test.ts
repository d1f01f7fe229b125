import { afterEach, describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import {
  gitlab,
  gitlabErrorText,
  gitlabNextPage,
  gitlabPathEscape,
  gitlabProject,
} from '../../src/providers/git/gitlab.js'
import { goPathEscape } from '../../src/util/go-url.js'
import { SendError } from '../../src/delivery/http.js'
import type {
  CurrentStatus,
  DesiredStatus,
  Notification,
  ResolvedProvider,
} from '../../src/providers/types.js'
import { startFakeGitLab } from '../servers/fake-gitlab.js'
import type { FakeGitLab } from '../servers/fake-gitlab.js'
import {
  providerManifest,
  resolvedProvider,
  reconciledKustomization,
} from '../support/factories.js'

const SHA = '5394cb7f48332b2de7c17dd8b8384bbc84b7e738'
const CONTEXT = 'kustomization/podinfo/0c9c2e41'
const TOKEN = 'glpat-test'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('gitlab', {
    provider: providerManifest('gitlab', {
      name: 'gitlab',
      namespace: 'flux-system',
      address: 'https://gitlab.com/group/sub/podinfo',
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

function desired(event: FluxEvent, provider = resolved()): DesiredStatus {
  const status = gitlab.desiredStatus(notification(event, provider), CONTEXT)
  if ('skip' in status) throw new Error(`unexpected skip: ${status.skip}`)
  return status
}

describe('gitlab address', () => {
  it.each([
    ['https://gitlab.com/foo/bar', 'https://gitlab.com/api/v4', 'foo/bar'],
    ['https://gitlab.com/foo/bar.git', 'https://gitlab.com/api/v4', 'foo/bar'],
    ['git@gitlab.com:foo/bar.git', 'https://gitlab.com/api/v4', 'foo/bar'],
    ['https://gitlab.com/foo/bar/foo.git', 'https://gitlab.com/api/v4', 'foo/bar/foo'],
    // §8.3: a third path part is a subgroup, not an error
    ['https://gitlab.com/foo/bar/baz', 'https://gitlab.com/api/v4', 'foo/bar/baz'],
    ['https://gitlab.com/a/b/c/d/project', 'https://gitlab.com/api/v4', 'a/b/c/d/project'],
    // §8.3: a self-hosted GitLab is reached on its own host
    ['https://example.com/foo/bar', 'https://example.com/api/v4', 'foo/bar'],
    [
      'ssh://git@gitlab.example.com:2222/foo/bar.git',
      'https://gitlab.example.com:2222/api/v4',
      'foo/bar',
    ],
    ['https://gitlab.com/12345', 'https://gitlab.com/api/v4', '12345'],
  ])('%s → %s, project %s', (address, apiBase, projectId) => {
    expect(gitlabProject(address)).toEqual({ apiBase, projectId })
  })

  it('escapes the project path as one segment, dots included (client-go)', () => {
    expect(gitlabPathEscape('foo/bar/baz')).toBe('foo%2Fbar%2Fbaz')
    expect(gitlabPathEscape('group/my.app')).toBe('group%2Fmy%2Eapp')
    expect(gitlabPathEscape('12345')).toBe('12345')
    expect(gitlabPathEscape('a b/c;d,e?f')).toBe('a%20b%2Fc%3Bd%2Ce%3Ff')
  })

  it("escapes like Go's url.PathEscape", () => {
    expect(goPathEscape("$&+:=@-_.~!'()*")).toBe('$&+:=@-_.~%21%27%28%29%2A')
    expect(goPathEscape('é')).toBe('%C3%A9')
  })
})

describe('gitlab validate', () => {
  it('accepts a token, and any address', () => {
    expect(gitlab.validate(resolved())).toBeUndefined()
    expect(gitlab.validate(resolved({ address: 'https://gitlab.com/foo/bar/baz' }))).toBeUndefined()
  })

  it('falls back to the password when there is no token', () => {
    expect(gitlab.validate(resolved({ token: '', password: 'pat' }))).toBeUndefined()
  })

  it('needs a token or a password', () => {
    expect(gitlab.validate(resolved({ token: '', password: '' }))).toBe(
      'gitlab token cannot be empty',
    )
  })
})

describe('gitlab desiredStatus', () => {
  it('info → success, named by the status id, with the reason in words', () => {
    expect(desired(reconciledKustomization(SHA, { reason: 'ApplySucceeded' }))).toEqual({
      repository: 'group/sub/podinfo',
      sha: SHA,
      context: CONTEXT,
      state: 'success',
      description: 'apply succeeded',
    })
  })

  it('error → failed', () => {
    const status = desired(
      reconciledKustomization(SHA, { severity: 'error', reason: 'HealthCheckFailed' }),
    )
    expect(status.state).toBe('failed')
    expect(status.description).toBe('health check failed')
  })

  it('skips Progressing, as the controller does', () => {
    const status = gitlab.desiredStatus(
      notification(reconciledKustomization(SHA, { reason: 'Progressing' })),
      CONTEXT,
    )
    expect(status).toEqual({ skip: 'reason Progressing is not posted to gitlab' })
  })

  it('has no state for other severities', () => {
    const status = gitlab.desiredStatus(
      notification(reconciledKustomization(SHA, { severity: 'trace' })),
      CONTEXT,
    )
    expect(status).toEqual({ skip: "can't convert to gitlab state" })
  })

  it('skips an event without a commit SHA', () => {
    const status = gitlab.desiredStatus(
      notification(reconciledKustomization(SHA, { metadata: {} })),
      CONTEXT,
    )
    expect(status).toEqual({ skip: 'no commit SHA: missing revision metadata' })
  })

  it('keeps a long description whole (the controller never cuts)', () => {
    const reason = 'Very'.repeat(50)
    expect(desired(reconciledKustomization(SHA, { reason })).description).toBe(
      Array(50).fill('very').join(' '),
    )
  })
})

describe('gitlab isUnchanged', () => {
  const want = (): DesiredStatus => desired(reconciledKustomization(SHA))

  it('is unchanged when the newest status of that name has the same state and description', () => {
    const current: CurrentStatus[] = [
      { context: 'other', state: 'failed', description: 'x' },
      { context: CONTEXT, state: 'success', description: 'reconciliation succeeded' },
    ]
    expect(gitlab.isUnchanged(want(), current)).toBe(true)
  })

  it('is changed when the state or the description differs', () => {
    expect(
      gitlab.isUnchanged(want(), [
        { context: CONTEXT, state: 'failed', description: 'reconciliation succeeded' },
      ]),
    ).toBe(false)
    expect(
      gitlab.isUnchanged(want(), [{ context: CONTEXT, state: 'success', description: 'other' }]),
    ).toBe(false)
    expect(gitlab.isUnchanged(want(), [])).toBe(false)
  })

  it('compares with the newest status of the name, not an older equal one', () => {
    const current: CurrentStatus[] = [
      { context: CONTEXT, state: 'failed', description: 'health check failed' },
      { context: CONTEXT, state: 'success', description: 'reconciliation succeeded' },
    ]
    expect(gitlab.isUnchanged(want(), current)).toBe(false)
  })
})

describe('gitlab pagination headers', () => {
  it('follows X-Next-Page, which is empty on the last page', () => {
    expect(gitlabNextPage(new Headers({ 'x-next-page': '2' }), 1, 100, 100)).toBe(2)
    expect(
      gitlabNextPage(new Headers({ 'x-next-page': '', 'x-total-pages': '3' }), 3, 5, 100),
    ).toBe(undefined)
  })

  it('uses X-Total-Pages when X-Next-Page is missing', () => {
    expect(gitlabNextPage(new Headers({ 'x-total-pages': '3' }), 2, 100, 100)).toBe(3)
    expect(gitlabNextPage(new Headers({ 'x-total-pages': '3' }), 3, 100, 100)).toBe(undefined)
  })

  it('without headers, a short page is the last', () => {
    expect(gitlabNextPage(undefined, 1, 100, 100)).toBe(2)
    expect(gitlabNextPage(undefined, 2, 99, 100)).toBe(undefined)
    expect(gitlabNextPage(undefined, 1, 0, 100)).toBe(undefined)
  })
})

describe('gitlab error texts (client-go)', () => {
  const failed = (status: number, body: string) =>
    new SendError(`request failed with status code ${status}: ${body}`)

  it('names the call, the unescaped path, the code and the message', () => {
    const url = 'https://gitlab.com/api/v4/projects/foo%2Fbar/statuses/abc'
    expect(gitlabErrorText('POST', url, failed(401, '{"message":"401 Unauthorized"}'))).toBe(
      'POST https://gitlab.com/api/v4/projects/foo/bar/statuses/abc: 401 {message: 401 Unauthorized}',
    )
    expect(
      gitlabErrorText(
        'POST',
        url,
        failed(400, '{"message":{"state":["is invalid"],"name":["x"]}}'),
      ),
    ).toBe(
      'POST https://gitlab.com/api/v4/projects/foo/bar/statuses/abc: 400 {message: {name: [x]}, {state: [is invalid]}}',
    )
    expect(gitlabErrorText('POST', url, failed(400, 'not json'))).toBe(
      'POST https://gitlab.com/api/v4/projects/foo/bar/statuses/abc: 400 failed to parse unknown error format: not json',
    )
  })

  it("is client-go's ErrNotFound for a 404", () => {
    expect(
      gitlabErrorText(
        'GET',
        'https://gitlab.com/x',
        failed(404, '{"message":"404 Project Not Found"}'),
      ),
    ).toBe('404 Not Found')
  })

  it('keeps the HTTP client text when there was no answer', () => {
    const error = new SendError('GET https://gitlab.com/x giving up after 5 attempt(s)')
    expect(gitlabErrorText('GET', 'https://gitlab.com/x', error)).toBe(error.message)
  })
})

describe('gitlab client over HTTP', () => {
  let fake: FakeGitLab | undefined
  afterEach(async () => {
    await fake?.close()
    fake = undefined
  })

  const signal = () => AbortSignal.timeout(5_000)
  const onFake = (server: FakeGitLab, path = 'group/sub/podinfo', token = TOKEN) =>
    resolved({ address: `${server.url}/${path}.git`, token, secretValues: [token] })

  /** One run of the delivery loop for one event: a new client, read once, write when changed. */
  async function run(provider: ResolvedProvider, event: FluxEvent): Promise<'sent' | 'unchanged'> {
    const client = await gitlab.createClient(provider)
    const want = desired(event, provider)
    const current = await client.readStatuses(want.repository, want.sha, signal())
    if (gitlab.isUnchanged(want, current)) return 'unchanged'
    await client.writeStatus(want, signal())
    return 'sent'
  }

  it('writes state, name and description to the escaped project path', async () => {
    fake = await startFakeGitLab()
    fake.projectId('group/sub/podinfo')
    const provider = onFake(fake)
    const client = await gitlab.createClient(provider)
    await client.writeStatus(desired(reconciledKustomization(SHA), provider), signal())

    expect(fake.requests).toHaveLength(1)
    const request = fake.requests[0]!
    expect(request.method).toBe('POST')
    expect(request.path).toBe(`/api/v4/projects/group%2Fsub%2Fpodinfo/statuses/${SHA}`)
    expect(request.headers['private-token']).toBe(TOKEN)
    expect(request.headers['content-type']).toBe('application/json')
    expect(request.body).toBe(
      `{"state":"success","name":"${CONTEXT}","description":"reconciliation succeeded"}`,
    )
    expect(request.status).toBe(201)
    expect(fake.statuses('group/sub/podinfo', SHA)).toMatchObject([
      { name: CONTEXT, status: 'success', description: 'reconciliation succeeded' },
    ])
  })

  it('reads every page of the commit statuses, newest first', async () => {
    fake = await startFakeGitLab()
    for (let i = 0; i < 150; i++) {
      fake.seedStatus('group/sub/podinfo', SHA, { name: `ci/job-${i}`, status: 'success' })
    }
    const provider = onFake(fake)
    const client = await gitlab.createClient(provider)
    const statuses = await client.readStatuses('group/sub/podinfo', SHA, signal())

    expect(statuses).toHaveLength(150)
    expect(statuses[0]).toEqual({ context: 'ci/job-149', state: 'success', description: '' })
    expect(statuses[149]!.context).toBe('ci/job-0')
    expect(fake.requests.map((r) => r.path)).toEqual([
      `/api/v4/projects/group%2Fsub%2Fpodinfo/repository/commits/${SHA}/statuses?page=1&per_page=100`,
      `/api/v4/projects/group%2Fsub%2Fpodinfo/repository/commits/${SHA}/statuses?page=2&per_page=100`,
    ])
  })

  it('writes only when changed, across two runs with their own clients', async () => {
    fake = await startFakeGitLab()
    fake.projectId('group/sub/podinfo')
    const provider = onFake(fake)

    expect(await run(provider, reconciledKustomization(SHA))).toBe('sent')
    expect(await run(provider, reconciledKustomization(SHA))).toBe('unchanged')
    const posts = () => fake!.requests.filter((r) => r.method === 'POST').length
    expect(posts()).toBe(1)

    // a new state is written, then again left alone
    const failure = reconciledKustomization(SHA, { severity: 'error', reason: 'HealthCheckFailed' })
    expect(await run(provider, failure)).toBe('sent')
    expect(await run(provider, failure)).toBe('unchanged')
    expect(posts()).toBe(2)
  })

  it('reaches a project by its numeric id', async () => {
    fake = await startFakeGitLab()
    const id = fake.projectId('group/podinfo')
    const provider = onFake(fake, String(id))
    expect(await run(provider, reconciledKustomization(SHA))).toBe('sent')
    expect(fake.requests.at(-1)!.path).toBe(`/api/v4/projects/${id}/statuses/${SHA}`)
    expect(fake.statuses('group/podinfo', SHA)).toHaveLength(1)
  })

  it("reports a refused token with GitLab's message", async () => {
    fake = await startFakeGitLab()
    fake.projectId('group/sub/podinfo')
    const client = await gitlab.createClient(onFake(fake, 'group/sub/podinfo', 'wrong'))
    await expect(client.readStatuses('group/sub/podinfo', SHA, signal())).rejects.toThrow(
      `unable to list commit status: GET ${fake.url}/api/v4/projects/group/sub/podinfo/repository/commits/${SHA}/statuses: 401 {message: 401 Unauthorized}`,
    )
  })

  it('reports an unknown project', async () => {
    fake = await startFakeGitLab()
    const client = await gitlab.createClient(onFake(fake, 'nobody/nothing'))
    await expect(client.readStatuses('nobody/nothing', SHA, signal())).rejects.toThrow(
      'unable to list commit status: 404 Not Found',
    )
  })

  it('reports a refused write', async () => {
    fake = await startFakeGitLab()
    fake.projectId('group/sub/podinfo')
    fake.failNext(1, {
      status: 400,
      body: '{"message":"Cannot transition status via :run from :running"}',
    })
    const provider = onFake(fake)
    const client = await gitlab.createClient(provider)
    await expect(
      client.writeStatus(desired(reconciledKustomization(SHA), provider), signal()),
    ).rejects.toThrow(
      `POST ${fake.url}/api/v4/projects/group/sub/podinfo/statuses/${SHA}: 400 {message: Cannot transition status via :run from :running}`,
    )
  })
})
