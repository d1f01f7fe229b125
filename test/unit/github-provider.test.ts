import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { github } from '../../src/providers/git/github.js'
import { createOctokit } from '../../src/providers/git/octokit.js'
import type { DesiredStatus, Notification, ResolvedProvider } from '../../src/providers/types.js'
import {
  providerManifest,
  resolvedProvider,
  reconciledKustomization,
} from '../support/factories.js'

const SHA = '5394cb7f48332b2de7c17dd8b8384bbc84b7e738'
const CONTEXT = 'kustomization/podinfo/0c9c2e41'

/** The github Provider of flux-system, for stefanprodan/podinfo, with a token. */
function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('github', {
    provider: providerManifest('github', {
      name: 'github',
      namespace: 'flux-system',
      address: 'https://github.com/stefanprodan/podinfo',
    }),
    uid: '0c9c2e41',
    token: 'ghp_test',
    secretValues: ['ghp_test'],
    ...overrides,
  })
}

function notification(event: FluxEvent, provider = resolved()): Notification {
  return { event, alert: {} as Alert, provider }
}

describe('github validate', () => {
  it('accepts a token and an owner/repo address', () => {
    expect(github.validate(resolved())).toBeUndefined()
    expect(github.validate(resolved({ address: 'git@github.com:o/r.git' }))).toBeUndefined()
  })

  it('falls back to the password when there is no token', () => {
    expect(github.validate(resolved({ token: '', password: 'pat' }))).toBeUndefined()
  })

  it('needs credentials, checked before the address', () => {
    expect(github.validate(resolved({ token: '', address: 'https://github.com/a/b/c' }))).toBe(
      'github token or github app details must be specified',
    )
  })

  it('checks GitHub App settings in place of a token (more in github-app.test.ts)', () => {
    const provider = resolved({ token: '', secretData: { githubAppID: '123' } })
    expect(github.validate(provider)).toBe(
      'app installation owner or ID must be provided to use github app authentication',
    )
  })

  it('refuses an id that is not owner/repo', () => {
    expect(github.validate(resolved({ address: 'https://github.com/foo/bar/baz' }))).toBe(
      "invalid repository id: 'foo/bar/baz'",
    )
  })
})

describe('github desiredStatus', () => {
  it('info → success with the reason in words', () => {
    expect(github.desiredStatus(notification(reconciledKustomization(SHA)), CONTEXT)).toEqual({
      repository: 'stefanprodan/podinfo',
      sha: SHA,
      context: CONTEXT,
      state: 'success',
      description: 'reconciliation succeeded',
    })
  })

  it('error → failure', () => {
    const event = reconciledKustomization(SHA, { severity: 'error', reason: 'HealthCheckFailed' })
    expect(github.desiredStatus(notification(event), CONTEXT)).toMatchObject({
      state: 'failure',
      description: 'health check failed',
    })
  })

  it('skips Progressing, as the controller does', () => {
    const event = reconciledKustomization(SHA, { reason: 'Progressing' })
    expect(github.desiredStatus(notification(event), CONTEXT)).toEqual({
      skip: 'reason Progressing is not posted to github',
    })
  })

  it('skips (does not fail) an event without a commit SHA', () => {
    const oci = reconciledKustomization(SHA, {
      metadata: { revision: 'latest@sha256:' + 'ab'.repeat(32) },
    })
    expect(github.desiredStatus(notification(oci), CONTEXT)).toEqual({
      skip: `no commit SHA: failed to extract commit hash from 'latest@sha256:${'ab'.repeat(32)}' revision`,
    })
    const none = reconciledKustomization(SHA, { metadata: { summary: 'x' } })
    expect(github.desiredStatus(notification(none), CONTEXT)).toEqual({
      skip: 'no commit SHA: missing revision metadata',
    })
  })

  it('has no state for other severities', () => {
    const event = reconciledKustomization(SHA, { severity: 'trace' })
    expect(github.desiredStatus(notification(event), CONTEXT)).toEqual({
      skip: "can't convert to github state",
    })
  })

  it('cuts a description over 140 characters', () => {
    const event = reconciledKustomization(SHA, { reason: 'Very'.repeat(40) })
    const status = github.desiredStatus(notification(event), CONTEXT) as DesiredStatus
    expect([...status.description]).toHaveLength(140)
    expect(status.description.endsWith('…')).toBe(true)
  })
})

describe('github isUnchanged', () => {
  const desired: DesiredStatus = {
    repository: 'o/r',
    sha: SHA,
    context: CONTEXT,
    state: 'success',
    description: 'reconciliation succeeded',
  }

  it('is unchanged only when the same context has the same state and description', () => {
    expect(github.isUnchanged(desired, [{ ...desired }])).toBe(true)
    expect(github.isUnchanged(desired, [{ ...desired, state: 'failure' }])).toBe(false)
    expect(github.isUnchanged(desired, [{ ...desired, description: 'other' }])).toBe(false)
    expect(github.isUnchanged(desired, [{ ...desired, context: 'other' }])).toBe(false)
    expect(github.isUnchanged(desired, [])).toBe(false)
  })

  it('looks at every context, not just the first', () => {
    const others = Array.from({ length: 120 }, (_, i) => ({
      context: `ci/${i}`,
      state: 'success',
      description: 'ok',
    }))
    expect(github.isUnchanged(desired, [...others, { ...desired }])).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------
// The client against a plain loopback server answering like GitHub Enterprise (/api/v3).

interface Recorded {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

let server: Server | undefined

afterEach(async () => {
  if (server) {
    server.closeAllConnections()
    await new Promise((resolve) => server!.close(resolve))
    server = undefined
  }
})

async function startServer(
  handle: (req: Recorded, res: ServerResponse, baseUrl: string) => void,
): Promise<{ baseUrl: string; requests: Recorded[] }> {
  const requests: Recorded[] = []
  let baseUrl = ''
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const recorded: Recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(recorded)
      handle(recorded, res, baseUrl)
    })
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { baseUrl, requests }
}

function json(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  res.end(JSON.stringify(body))
}

function combinedStatus(contexts: string[], total: number) {
  return {
    state: 'success',
    sha: SHA,
    total_count: total,
    statuses: contexts.map((context, i) => ({
      url: 'x',
      avatar_url: null,
      id: i + 1,
      node_id: `n${i}`,
      state: context.endsWith('/bad') ? 'failure' : 'success',
      description: context === 'ci/null' ? null : `about ${context}`,
      target_url: null,
      context,
      created_at: '2024-05-01T10:00:00Z',
      updated_at: '2024-05-01T10:00:00Z',
    })),
    repository: {},
    commit_url: 'x',
    url: 'x',
  }
}

describe('github client over HTTP', () => {
  it('reads every page of the combined status, following rel="next"', async () => {
    const page1 = Array.from({ length: 100 }, (_, i) => `ci/check-${i}`)
    const page2 = ['ci/null', 'kustomization/podinfo/0c9c2e41', 'deploy/bad']
    const { baseUrl, requests } = await startServer((req, res, base) => {
      const url = new URL(req.url, base)
      const page = url.searchParams.get('page')
      if (page === '1') {
        const next = `${base}/api/v3/repositories/1/commits/${SHA}/status?per_page=100&page=2`
        json(res, 200, combinedStatus(page1, 103), {
          link: `<${next}>; rel="next", <${next}>; rel="last"`,
        })
      } else {
        json(res, 200, combinedStatus(page2, 103))
      }
    })
    const client = await github.createClient(resolved({ address: `${baseUrl}/org/app` }))
    const statuses = await client.readStatuses('org/app', SHA, AbortSignal.timeout(10_000))

    expect(statuses).toHaveLength(103)
    expect(new Set(statuses.map((s) => s.context))).toEqual(new Set([...page1, ...page2]))
    expect(statuses.find((s) => s.context === 'ci/null')).toEqual({
      context: 'ci/null',
      state: 'success',
      description: '',
    })
    expect(statuses.find((s) => s.context === 'deploy/bad')?.state).toBe('failure')

    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /api/v3/repos/org/app/commits/${SHA}/status?per_page=100&page=1`,
      `GET /api/v3/repos/org/app/commits/${SHA}/status?per_page=100&page=2`,
    ])
    expect(requests[0]!.headers['authorization']).toBe('token ghp_test')
    expect(requests[0]!.headers['x-github-api-version']).toBe('2022-11-28')
  })

  it('keeps reading by page number while total_count says more and no Link is given', async () => {
    const { baseUrl, requests } = await startServer((req, res, base) => {
      const page = new URL(req.url, base).searchParams.get('page')
      if (page === '1') json(res, 200, combinedStatus(['a', 'b'], 3))
      else if (page === '2') json(res, 200, combinedStatus(['c'], 3))
      else json(res, 200, combinedStatus([], 3))
    })
    const client = await github.createClient(resolved({ address: `${baseUrl}/org/app` }))
    const statuses = await client.readStatuses('org/app', SHA, AbortSignal.timeout(10_000))
    expect(statuses.map((s) => s.context)).toEqual(['a', 'b', 'c'])
    expect(requests).toHaveLength(2)
  })

  it('writes a status with state, description and context', async () => {
    const { baseUrl, requests } = await startServer((_req, res) => {
      json(res, 201, { id: 1, state: 'success', context: CONTEXT })
    })
    const client = await github.createClient(resolved({ address: `${baseUrl}/org/app.git` }))
    await client.writeStatus(
      {
        repository: 'org/app',
        sha: SHA,
        context: CONTEXT,
        state: 'success',
        description: 'reconciliation succeeded',
      },
      AbortSignal.timeout(10_000),
    )
    expect(requests).toHaveLength(1)
    const [post] = requests
    expect(post!.method).toBe('POST')
    expect(post!.url).toBe(`/api/v3/repos/org/app/statuses/${SHA}`)
    expect(post!.headers['content-type']).toMatch(/^application\/json/)
    expect(JSON.parse(post!.body)).toEqual({
      state: 'success',
      description: 'reconciliation succeeded',
      context: CONTEXT,
    })
  })

  it("reports GitHub's status and message", async () => {
    const { baseUrl } = await startServer((req, res) => {
      if (req.method === 'GET') {
        json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com' })
      } else {
        json(res, 422, {
          message: 'Validation Failed',
          errors: [
            {
              resource: 'Status',
              code: 'custom',
              field: 'description',
              message: 'description is too long (maximum is 140 characters)',
            },
          ],
        })
      }
    })
    const client = await github.createClient(resolved({ address: `${baseUrl}/org/app` }))
    await expect(client.readStatuses('org/app', SHA, AbortSignal.timeout(10_000))).rejects.toThrow(
      /^could not list commit statuses: 404 Not Found$/,
    )
    await expect(
      client.writeStatus(
        { repository: 'org/app', sha: SHA, context: CONTEXT, state: 'success', description: 'x' },
        AbortSignal.timeout(10_000),
      ),
    ).rejects.toThrow(
      /^could not create commit status: 422 Validation Failed: description is too long \(maximum is 140 characters\)$/,
    )
  })

  it('stops when the provider timeout fires', async () => {
    const { baseUrl } = await startServer(() => {
      // never answer
    })
    const client = await github.createClient(resolved({ address: `${baseUrl}/org/app` }))
    const started = Date.now()
    await expect(client.readStatuses('org/app', SHA, AbortSignal.timeout(300))).rejects.toThrow(
      'could not list commit statuses: context deadline exceeded',
    )
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('retries a secondary rate limit at most twice, logging through the given logger', async () => {
    const { baseUrl, requests } = await startServer((_req, res) => {
      json(
        res,
        403,
        { message: 'You have exceeded a secondary rate limit. Please wait a few minutes.' },
        { 'retry-after': '1' },
      )
    })
    const logged: string[] = []
    const octokit = await createOctokit('t', `${baseUrl}/api/v3`, (m) => logged.push(m))
    await expect(
      octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/status', {
        owner: 'o',
        repo: 'r',
        ref: SHA,
      }),
    ).rejects.toMatchObject({ status: 403 })
    expect(requests).toHaveLength(3)
    expect(logged).toHaveLength(3)
    expect(logged[0]).toMatch(/secondary rate limit .* retrying in 1s/)
    expect(logged[2]).toMatch(/giving up/)
  })
})
