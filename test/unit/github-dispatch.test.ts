/**
 * `githubdispatch` (reference §5.26): the `repository_dispatch` request byte for byte, and sent to
 * the OpenAPI-validating GitHub fake over a real socket.
 */
import { generateKeyPairSync } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert } from '../../src/manifests/model.js'
import { clearGitHubAppTokens } from '../../src/providers/git/github-app.js'
import { githubDispatch } from '../../src/providers/git/github-dispatch.js'
import type { HttpRequestSpec, Notification, ResolvedProvider } from '../../src/providers/types.js'
import { startFakeGitHub } from '../servers/fake-github.js'
import type { FakeGitHub } from '../servers/fake-github.js'
import {
  errorTestEvent,
  providerManifest,
  resolvedProvider,
  testEvent,
} from '../support/factories.js'

/** §8.1's generic body: the payload the dispatch carries. */
const GENERIC_INFO_BODY =
  '{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp"},"severity":"info","timestamp":"2022-09-30T06:40:29Z","message":"message","reason":"reason","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}'

/** §8.2's generic body: HTML characters escaped by `json.Marshal`. */
const GENERIC_ERROR_BODY =
  '{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp","uid":"7d0cdc51-ddcf-4743-b223-83ca5c699632"},"severity":"error","timestamp":"2022-09-30T06:40:29Z","message":"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line","reason":"HealthCheckFailed","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}'

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('githubdispatch', {
    provider: providerManifest('githubdispatch', {
      name: 'dispatch',
      namespace: 'flux-system',
      address: 'https://github.com/stefanprodan/podinfo',
    }),
    token: 'ghp_dispatch',
    ...overrides,
  })
}

function notification(event: FluxEvent, provider = resolved()): Notification {
  return { event, alert: {} as Alert, provider }
}

function onlyRequest(notice: Notification): HttpRequestSpec {
  const rendered = githubDispatch.render(notice)
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

describe('githubdispatch render', () => {
  it('posts the §8.1 golden to the repository dispatches endpoint of api.github.com', () => {
    const request = onlyRequest(notification(testEvent()))
    expect(request.method).toBe('POST')
    expect(request.url).toBe('https://api.github.com/repos/stefanprodan/podinfo/dispatches')
    expect(request.headers).toEqual({
      Authorization: 'Bearer ghp_dispatch',
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': '2022-11-28',
      'Content-Type': 'application/json',
    })
    expect(request.body).toBe(
      `{"event_type":"GitRepository/webapp.gitops-system","client_payload":${GENERIC_INFO_BODY}}\n`,
    )
  })

  it('keeps the payload HTML-escaped (§8.2) while the outer JSON is not escaped', () => {
    expect(onlyRequest(notification(errorTestEvent())).body).toBe(
      `{"event_type":"GitRepository/webapp.gitops-system","client_payload":${GENERIC_ERROR_BODY}}\n`,
    )
    const odd: FluxEvent = {
      ...testEvent(),
      involvedObject: { kind: 'Kustomization', namespace: 'a&b', name: '<x>' },
      metadata: {},
    }
    const body = onlyRequest(notification(odd)).body as string
    expect(body.startsWith('{"event_type":"Kustomization/<x>.a&b","client_payload":')).toBe(true)
    expect(body).toContain(
      '"involvedObject":{"kind":"Kustomization","namespace":"a\\u0026b","name":"\\u003cx\\u003e"}',
    )
  })

  it('uses <host>/api/v3 for GitHub Enterprise and the password when there is no token', () => {
    const provider = resolved({
      address: 'https://ghe.example.com/org/app.git',
      token: '',
      password: 'ghp_from_password',
    })
    const request = onlyRequest(notification(testEvent(), provider))
    expect(request.url).toBe('https://ghe.example.com/api/v3/repos/org/app/dispatches')
    expect(request.headers.Authorization).toBe('Bearer ghp_from_password')
  })
})

describe('githubdispatch validate', () => {
  it('needs a token (or App details) and an owner/repo address', () => {
    expect(githubDispatch.validate(resolved())).toBeUndefined()
    expect(githubDispatch.validate(resolved({ token: '' }))).toBe(
      'github token or github app details must be specified',
    )
    expect(githubDispatch.validate(resolved({ address: 'https://github.com/a/b/c' }))).toBe(
      "invalid repository id: 'a/b/c'",
    )
    expect(githubDispatch.validate(resolved({ address: 'https://github.com/solo' }))).toBe(
      "invalid repository id: 'solo'",
    )
  })
})

describe('githubdispatch against the GitHub fake', () => {
  let github: FakeGitHub
  beforeEach(async () => {
    github = await startFakeGitHub({ token: 'ghp_dispatch' })
  })
  afterEach(async () => {
    expect(github.violations).toEqual([])
    await github.close()
  })

  it('sends a dispatch GitHub accepts with 204 and records its payload', async () => {
    const provider = resolved({ address: `${github.url}/fluxcd/flux-notify` })
    const request = onlyRequest(notification(errorTestEvent(), provider))
    expect(request.url).toBe(`${github.url}/api/v3/repos/fluxcd/flux-notify/dispatches`)
    const response = await sendRequest(request, { signal: AbortSignal.timeout(10_000) })
    expect(response.status).toBe(204)
    expect(github.dispatches).toEqual([
      {
        repo: 'fluxcd/flux-notify',
        event_type: 'GitRepository/webapp.gitops-system',
        client_payload: JSON.parse(GENERIC_ERROR_BODY) as unknown,
      },
    ])
    const received = github.requests[0]!
    expect(received.operationId).toBe('repos/create-dispatch-event')
    expect(received.body).toBe(request.body)
    expect(received.headers.authorization).toBe('Bearer ghp_dispatch')
    expect(received.headers['x-github-api-version']).toBe('2022-11-28')
  })

  it('§5.26: an error reads `could not send github repository dispatch webhook: …`', () => {
    const provider = resolved({ address: `${github.url}/fluxcd/flux-notify`, token: 'ghp_x' })
    const request = onlyRequest(notification(testEvent(), provider))
    expect(request.errorPrefix).toBe('could not send github repository dispatch webhook: ')
    expect(request.postMessage).toBeUndefined()
  })

  it('fails with the 401 body when GitHub refuses the token', async () => {
    const provider = resolved({ address: `${github.url}/fluxcd/flux-notify`, token: 'wrong' })
    const request = onlyRequest(notification(testEvent(), provider))
    await expect(sendRequest(request, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow(
      /^request failed with status code 401: .*"message":"Bad credentials"/,
    )
    expect(github.dispatches).toEqual([])
  })
})

describe('githubdispatch as a GitHub App', () => {
  afterEach(() => {
    clearGitHubAppTokens()
  })

  it('prepares an installation token, then dispatches with it', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const github = await startFakeGitHub({
      app: {
        appId: 99,
        publicKey,
        installations: [{ id: 5, account: 'fluxcd', type: 'Organization' }],
      },
    })
    try {
      const provider = resolved({
        address: `${github.url}/fluxcd/flux-notify`,
        token: '',
        secretData: {
          githubAppID: '99',
          githubAppInstallationOwner: 'fluxcd',
          githubAppPrivateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
      })
      expect(githubDispatch.validate(provider)).toBeUndefined()
      // a dry run renders without IO and so without a token
      expect(onlyRequest(notification(testEvent(), provider)).headers.Authorization).toBeUndefined()

      const prepared = await githubDispatch.prepare!(provider, AbortSignal.timeout(10_000))
      const issued = github.app!.issuedTokens.map((t) => t.token)
      expect(issued).toHaveLength(1)
      expect(prepared.token).toBe(issued[0])
      expect(prepared.secretValues).toContain(issued[0])

      const request = onlyRequest(notification(testEvent(), prepared))
      expect(request.headers.Authorization).toBe(`Bearer ${issued[0]}`)
      const response = await sendRequest(request, { signal: AbortSignal.timeout(10_000) })
      expect(response.status).toBe(204)
      expect(github.dispatches.map((d) => d.event_type)).toEqual([
        'GitRepository/webapp.gitops-system',
      ])
      expect(github.violations).toEqual([])
    } finally {
      await github.close()
    }
  })

  it('reports incomplete App settings at load time', () => {
    const provider = resolved({ token: '', secretData: { githubAppID: '99' } })
    expect(githubDispatch.validate(provider)).toBe(
      'app installation owner or ID must be provided to use github app authentication',
    )
  })
})
