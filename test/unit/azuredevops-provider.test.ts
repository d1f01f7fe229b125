import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import {
  azureDevOps,
  azureDevOpsRepository,
  azureGenre,
} from '../../src/providers/git/azuredevops.js'
import type {
  CommitStatusModule,
  DesiredStatus,
  Notification,
  ResolvedProvider,
} from '../../src/providers/types.js'
import { startFakeAzureDevOps } from '../servers/fake-azure-devops.js'
import type { FakeAzureDevOps } from '../servers/fake-azure-devops.js'
import { resolvedProvider, gitopsSystemEvent } from '../support/factories.js'

const SHA = '5394cb7f48332b2de7c17dd8b8384bbc84b7e738'
const ID = 'kustomization/gitops-system/0c9c2e41'
const PAT = 'azure-pat'

function provider(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('azuredevops', {
    address: 'https://example.com/foo/bar/_git/baz',
    token: PAT,
    secretValues: [PAT],
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

describe('azuredevops address (§6.1)', () => {
  it('reads org/project/_git/repo (§8.1: project bar, repo baz)', () => {
    expect(azureDevOpsRepository('https://example.com/foo/bar/_git/baz')).toEqual({
      orgUrl: 'https://example.com/foo',
      project: 'bar',
      repo: 'baz',
      id: 'foo/bar/_git/baz',
    })
  })

  it('lower-cases the organization URL, not the project or repository', () => {
    expect(
      azureDevOpsRepository('https://Dev.Azure.com/MyOrg/My-Project/_git/My-Repo.git'),
    ).toEqual({
      orgUrl: 'https://dev.azure.com/myorg',
      project: 'My-Project',
      repo: 'My-Repo',
      id: 'MyOrg/My-Project/_git/My-Repo',
    })
  })

  it('does not check the third part', () => {
    expect(azureDevOpsRepository('https://dev.azure.com/o/p/anything/r')).toMatchObject({
      project: 'p',
      repo: 'r',
    })
  })

  it.each([
    ['https://dev.azure.com/foo/bar/baz', 'invalid repository id "foo/bar/baz"'],
    [
      'https://dev.azure.com/foo/bar/_git/baz/extra',
      'invalid repository id "foo/bar/_git/baz/extra"',
    ],
  ])('refuses %s', (address, error) => {
    expect(azureDevOps.validate(provider({ address }))).toBe(error)
  })
})

describe('azuredevops validate', () => {
  it('accepts a PAT', () => {
    expect(azureDevOps.validate(provider())).toBeUndefined()
  })

  it('has no managed identity to fall back on without a token', () => {
    expect(azureDevOps.validate(provider({ token: '' }))).toBe(
      'failed to acquire azure devops token: managed identity is not available in CI',
    )
  })
})

describe('azuredevops desiredStatus', () => {
  it('info → succeeded, `ApplySucceeded` → `apply succeeded`, genre fluxcd (§8.1)', () => {
    expect(azureDevOps.desiredStatus(notification(gitopsSystemEvent(SHA)), ID)).toEqual({
      repository: 'foo/bar/_git/baz',
      sha: SHA,
      context: ID,
      state: 'succeeded',
      description: 'apply succeeded',
      genre: 'fluxcd',
    })
  })

  it('genre fluxcd:<summary> when the metadata has a summary (§8.1)', () => {
    const event = gitopsSystemEvent(SHA, {
      metadata: { revision: `main@sha1:${SHA}`, summary: 'test summary' },
    })
    expect(azureDevOps.desiredStatus(notification(event), ID)).toMatchObject({
      genre: 'fluxcd:test summary',
    })
  })

  it('a present but empty summary still counts', () => {
    expect(azureGenre({ summary: '' })).toBe('fluxcd:')
    expect(azureGenre({ other: 'x' })).toBe('fluxcd')
    expect(azureGenre(undefined)).toBe('fluxcd')
  })

  it('error → error', () => {
    const event = gitopsSystemEvent(SHA, { severity: 'error', reason: 'HealthCheckFailed' })
    expect(azureDevOps.desiredStatus(notification(event), ID)).toMatchObject({
      state: 'error',
      description: 'health check failed',
    })
  })

  it('skips Progressing and severities it has no state for', () => {
    expect(
      azureDevOps.desiredStatus(
        notification(gitopsSystemEvent(SHA, { reason: 'Progressing' })),
        ID,
      ),
    ).toEqual({
      skip: 'reason Progressing is not posted to azuredevops',
    })
    expect(
      azureDevOps.desiredStatus(notification(gitopsSystemEvent(SHA, { severity: 'trace' })), ID),
    ).toEqual({
      skip: "can't convert to azure devops state",
    })
  })

  it('takes the originRevision over the revision (§8.1)', () => {
    const other = 'a1afe267b54f38b46b487f6e938a6fd508278c07'
    const event = gitopsSystemEvent(SHA, {
      metadata: { revision: `main@sha1:${other}`, originRevision: `main@sha1:${SHA}` },
    })
    expect((azureDevOps.desiredStatus(notification(event), ID) as DesiredStatus).sha).toBe(SHA)
  })
})

describe('azuredevops isUnchanged: the first status with the same name and genre decides', () => {
  const desired = azureDevOps.desiredStatus(
    notification(gitopsSystemEvent(SHA)),
    ID,
  ) as DesiredStatus
  const same = { context: ID, genre: 'fluxcd', state: 'succeeded', description: 'apply succeeded' }
  it.each([
    ['the same status', [same], true],
    ['nothing', [], false],
    ['a newer status in another state', [{ ...same, state: 'error' }, same], false],
    [
      'a newer status of another genre first',
      [{ ...same, genre: 'fluxcd:x', state: 'error' }, same],
      true,
    ],
    ['another description', [{ ...same, description: 'other' }], false],
    ['the same name under another genre only', [{ ...same, genre: 'other' }], false],
  ])('%s → %s', (_what, current, unchanged) => {
    expect(azureDevOps.isUnchanged(desired, current)).toBe(unchanged)
  })
})

describe('azuredevops over HTTP', () => {
  let fake: FakeAzureDevOps
  let address: string
  beforeEach(async () => {
    fake = await startFakeAzureDevOps({ token: PAT, repositories: ['Org/Project/repo'] })
    address = `${fake.url}/Org/Project/_git/repo`
  })
  afterEach(async () => {
    await fake.close()
  })

  it('lists and creates statuses with the SDK’s headers and body', async () => {
    expect(
      await deliverOnce(
        azureDevOps,
        notification(gitopsSystemEvent(SHA), provider({ address })),
        ID,
      ),
    ).toBe('sent')
    const base = `/org/Project/_apis/git/repositories/repo/commits/${SHA}/statuses?api-version=6.0`
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${base}&top=25&skip=0`,
      `POST ${base}`,
    ])
    for (const request of fake.requests) {
      expect(request.headers.authorization).toBe(
        `Basic ${Buffer.from(`:${PAT}`).toString('base64')}`,
      )
      expect(request.headers.accept).toBe('application/json;api-version=6.0')
    }
    const post = fake.requests[1]!
    expect(post.headers['content-type']).toBe('application/json;charset=utf-8')
    expect(post.body).toBe(
      `{"context":{"genre":"fluxcd","name":"${ID}"},"description":"apply succeeded","state":"succeeded"}`,
    )
    expect(fake.statuses('Org/Project/repo', SHA)).toMatchObject([
      {
        state: 'succeeded',
        description: 'apply succeeded',
        context: { name: ID, genre: 'fluxcd' },
      },
    ])
  })

  it('writes only when changed, across two runs', async () => {
    const p = provider({ address })
    expect(await deliverOnce(azureDevOps, notification(gitopsSystemEvent(SHA), p), ID)).toBe('sent')
    expect(await deliverOnce(azureDevOps, notification(gitopsSystemEvent(SHA), p), ID)).toBe(
      'unchanged',
    )
    const failed = gitopsSystemEvent(SHA, { severity: 'error', reason: 'HealthCheckFailed' })
    expect(await deliverOnce(azureDevOps, notification(failed, p), ID)).toBe('sent')
    expect(await deliverOnce(azureDevOps, notification(failed, p), ID)).toBe('unchanged')
    // back to success: the newest status (error) decides, so it is written again
    expect(await deliverOnce(azureDevOps, notification(gitopsSystemEvent(SHA), p), ID)).toBe('sent')
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(3)
  })

  it('a summary makes another genre, so another status', async () => {
    const p = provider({ address })
    expect(await deliverOnce(azureDevOps, notification(gitopsSystemEvent(SHA), p), ID)).toBe('sent')
    const summarised = gitopsSystemEvent(SHA, {
      metadata: { revision: `main@sha1:${SHA}`, summary: 'prod' },
    })
    expect(await deliverOnce(azureDevOps, notification(summarised, p), ID)).toBe('sent')
    expect(fake.requests.at(-1)!.body).toBe(
      `{"context":{"genre":"fluxcd:prod","name":"${ID}"},"description":"apply succeeded","state":"succeeded"}`,
    )
    expect(await deliverOnce(azureDevOps, notification(summarised, p), ID)).toBe('unchanged')
  })

  it('reads every page (top / skip until a short page)', async () => {
    // our status is the oldest, so the newest-first list has it on the third page
    fake.seedStatus('Org/Project/repo', SHA, {
      state: 'succeeded',
      description: 'apply succeeded',
      context: { name: ID, genre: 'fluxcd' },
    })
    for (let i = 0; i < 60; i++) {
      fake.seedStatus('Org/Project/repo', SHA, {
        state: 'failed',
        description: 'build failed',
        context: { name: `ci/${i}`, genre: 'ci' },
      })
    }
    expect(
      await deliverOnce(
        azureDevOps,
        notification(gitopsSystemEvent(SHA), provider({ address })),
        ID,
      ),
    ).toBe('unchanged')
    expect(fake.requests.map((r) => new URL(r.path, fake.url).search)).toEqual([
      '?api-version=6.0&top=25&skip=0',
      '?api-version=6.0&top=25&skip=25',
      '?api-version=6.0&top=25&skip=50',
    ])
  })

  it('reports Azure DevOps’ error message for a missing repository', async () => {
    const p = provider({ address: `${fake.url}/Org/Project/_git/nope` })
    const client = await azureDevOps.createClient(p)
    await expect(client.readStatuses('Org/Project/_git/nope', SHA, signal())).rejects.toThrow(
      /^could not list commit statuses: TF401019: The Git repository with name or identifier nope does not exist/u,
    )
    const desired = azureDevOps.desiredStatus(
      notification(gitopsSystemEvent(SHA), p),
      ID,
    ) as DesiredStatus
    await expect(client.writeStatus(desired, signal())).rejects.toThrow(
      /^could not create commit status: TF401019: /u,
    )
  })

  it('reports a refused PAT', async () => {
    const client = await azureDevOps.createClient(provider({ address, token: 'wrong' }))
    await expect(client.readStatuses('Org/Project/_git/repo', SHA, signal())).rejects.toThrow(
      /^could not list commit statuses: TF400813: /u,
    )
  })

  it('falls back to the status code when the error body is not JSON', async () => {
    fake.failNext(1, { status: 403, body: '<html>Forbidden</html>' })
    const client = await azureDevOps.createClient(provider({ address }))
    await expect(client.readStatuses('Org/Project/_git/repo', SHA, signal())).rejects.toThrow(
      /^could not list commit statuses: 403 Forbidden$/u,
    )
  })
})
