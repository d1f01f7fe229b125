import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeGitHub } from '../servers/fake-github.js'
import type { FakeGitHub } from '../servers/fake-github.js'

const SHA = 'a1afe267b54f38b46b487f6e938a6fd508278c07'
const HEADERS = {
  authorization: 'Bearer t0ken',
  accept: 'application/vnd.github.v3+json',
  'x-github-api-version': '2022-11-28',
  'user-agent': 'go-github/v64.0.0',
}

let github: FakeGitHub
beforeEach(async () => {
  github = await startFakeGitHub()
})
afterEach(async () => {
  await github.close()
})

async function call(method: string, path: string, body?: unknown, headers = HEADERS) {
  const response = await fetch(`${github.apiUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return {
    status: response.status,
    link: response.headers.get('link'),
    json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  }
}

describe('fake GitHub: create a commit status', () => {
  it('accepts a valid create, stores it and answers 201 with a status object', async () => {
    const res = await call('POST', `/repos/foo/bar/statuses/${SHA}`, {
      state: 'success',
      description: 'reconciliation succeeded',
      context: 'kustomization/gitops-system/0c9c2e41',
    })
    expect(res.status).toBe(201)
    expect(res.json).toMatchObject({
      state: 'success',
      description: 'reconciliation succeeded',
      context: 'kustomization/gitops-system/0c9c2e41',
    })
    expect(github.statuses('foo/bar', SHA)).toMatchObject([
      { state: 'success', context: 'kustomization/gitops-system/0c9c2e41' },
    ])
    expect(github.requests[0]?.operationId).toBe('repos/create-commit-status')
    // neither the request nor our answer strays from GitHub's description
    expect(github.violations).toEqual([])
  })

  it('answers 422 and records a violation for a state GitHub does not know', async () => {
    const res = await call('POST', `/repos/foo/bar/statuses/${SHA}`, {
      state: 'succeeded',
      context: 'x',
    })
    expect(res.status).toBe(422)
    expect(typeof res.json?.message).toBe('string')
    expect(github.violations).toHaveLength(1)
    expect(github.violations[0]).toContain('state')
    expect(github.statuses('foo/bar', SHA)).toEqual([])
  })

  it('answers 422 Validation Failed for a description over 140 characters (not a violation)', async () => {
    const ok = await call('POST', `/repos/foo/bar/statuses/${SHA}`, {
      state: 'failure',
      description: 'd'.repeat(140),
      context: 'c',
    })
    expect(ok.status).toBe(201)
    const res = await call('POST', `/repos/foo/bar/statuses/${SHA}`, {
      state: 'failure',
      description: 'd'.repeat(141),
      context: 'c',
    })
    expect(res.status).toBe(422)
    expect(res.json?.message).toBe('Validation Failed')
    expect(github.violations).toEqual([])
  })

  it('answers 401 without a token, 404 for an unknown route (a violation)', async () => {
    const { authorization: _a, ...anonymous } = HEADERS
    const unauthenticated = await call('GET', `/repos/foo/bar/commits/${SHA}/status`, undefined, {
      ...anonymous,
      authorization: '',
    })
    expect(unauthenticated.status).toBe(401)
    expect(github.violations).toEqual([])

    const unknown = await call('GET', '/repos/foo/bar/no-such-thing')
    expect(unknown.status).toBe(404)
    expect(unknown.json?.message).toBe('Not Found')
    expect(github.violations).toHaveLength(1)
  })

  it('answers injected failures for the next n requests', async () => {
    github.failNext(2, { status: 502 })
    expect((await call('GET', `/repos/foo/bar/commits/${SHA}/statuses`)).status).toBe(502)
    expect((await call('GET', `/repos/foo/bar/commits/${SHA}/statuses`)).status).toBe(502)
    expect((await call('GET', `/repos/foo/bar/commits/${SHA}/statuses`)).status).toBe(200)
  })
})

describe('fake GitHub: reading statuses', () => {
  it('lists statuses newest first with per_page/page and a Link header', async () => {
    for (const state of ['pending', 'failure', 'success']) {
      github.seedStatus('foo/bar', SHA, { context: 'ci', state, description: state })
    }
    const first = await call('GET', `/repos/foo/bar/commits/${SHA}/statuses?per_page=2`)
    expect(first.status).toBe(200)
    const states = (first.json as unknown as Array<{ state: string }>).map((s) => s.state)
    expect(states).toEqual(['success', 'failure'])
    expect(first.link).toContain('page=2>; rel="next"')
    expect(first.link).toContain('rel="last"')
    const second = await call('GET', `/repos/foo/bar/commits/${SHA}/statuses?per_page=2&page=2`)
    expect((second.json as unknown as Array<{ state: string }>).map((s) => s.state)).toEqual([
      'pending',
    ])
    expect(second.link).toContain('rel="prev"')
    expect(second.link).not.toContain('rel="next"')
    expect(github.violations).toEqual([])
  })

  it('paginates the combined status over more than 100 contexts, latest per context', async () => {
    for (let i = 0; i < 150; i++) {
      github.seedStatus('foo/bar', SHA, { context: `ctx-${i}`, state: 'pending', description: 'a' })
    }
    // a newer status for ctx-0 replaces its older one in the combined view
    github.seedStatus('foo/bar', SHA, { context: 'ctx-0', state: 'success', description: 'b' })

    const page1 = await call('GET', `/repos/foo/bar/commits/${SHA}/status?per_page=100`)
    expect(page1.status).toBe(200)
    expect(page1.json?.total_count).toBe(150)
    expect(page1.json?.state).toBe('pending')
    expect(page1.json?.statuses).toHaveLength(100)
    expect(page1.link).toMatch(/[?&]page=2>; rel="next"/u)

    const page2 = await call('GET', `/repos/foo/bar/commits/${SHA}/status?per_page=100&page=2`)
    const statuses = page2.json?.statuses as Array<{ context: string }>
    expect(statuses).toHaveLength(50)
    const all = [
      ...(page1.json?.statuses as Array<{ context: string; state: string }>),
      ...statuses,
    ]
    expect(new Set(all.map((s) => s.context)).size).toBe(150)
    expect(all.find((s) => s.context === 'ctx-0')).toMatchObject({ state: 'success' })

    // per_page over 100 is clamped to 100, as GitHub does
    const clamped = await call('GET', `/repos/foo/bar/commits/${SHA}/status?per_page=500`)
    expect(clamped.json?.statuses).toHaveLength(100)
    expect(github.violations).toEqual([])
  })

  it('computes the combined state: failure over pending over success', async () => {
    github.seedStatus('foo/bar', SHA, { context: 'a', state: 'success', description: '' })
    expect((await call('GET', `/repos/foo/bar/commits/${SHA}/status`)).json?.state).toBe('success')
    github.seedStatus('foo/bar', SHA, { context: 'b', state: 'error', description: '' })
    expect((await call('GET', `/repos/foo/bar/commits/${SHA}/status`)).json?.state).toBe('failure')
  })

  it('records a violation for a query parameter of the wrong type', async () => {
    const res = await call('GET', `/repos/foo/bar/commits/${SHA}/status?per_page=many`)
    expect(res.status).toBe(422)
    expect(github.violations).toHaveLength(1)
    expect(github.violations[0]).toContain('per_page')
  })
})
