/**
 * Fault injection end to end (design.md §6, reference §7): the bundle (`node dist/index.js`) run
 * with one faulty provider and one healthy one each time. The faulty one ends as the
 * controller's client would make it end (retried or not, sent or failed), within its
 * `spec.timeout`; the healthy one is delivered all the same; the `results`/`failed` outputs and
 * the summary say what happened; and no secret shows anywhere.
 *
 * Timing is asserted only as a generous upper bound derived from the provider's timeout (and as a
 * lower bound where a wait is the point: a back-off or a `Retry-After`).
 */
import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import type { TestContext } from 'vitest'
import { startFakeGitHub, secondaryRateLimit, type FakeGitHub } from '../servers/fake-github.js'
import {
  closedPort,
  redirectToItself,
  reply,
  resetBeforeAnswer,
  resetMidBody,
  startFaultServer,
  startSilentServer,
  tooManyRequestsUntil,
  type FaultAnswer,
  type FaultServer,
} from '../servers/fault-server.js'
import { startRecorder, type Recorder } from '../servers/recorder.js'
import { createTestPki, hasOpenssl, startTlsServer, type TestPki } from '../servers/tls.js'
import { eventList, k8sEvent, SHA_A, SHA_B, writeRepo } from './fleet.js'
import { expectNoSecrets, runAction, type ActionResult } from './harness.js'

const HEALTHY_TOKEN = 'healthy-e2e-bearer-5b0c1d7e9f2a4c6e8a1b'
const FAULTY_TOKEN = 'faulty-e2e-bearer-8e2f4a6c0b1d3f5a7c9e'
const FAULTY_PASSWORD = 'faulty-e2e-basic-pw-3c5e7a9b1d'
const GITHUB_TOKEN = 'ghp_faultsE2eToken0123456789abcdefABCD'
const ALL_SECRETS = [HEALTHY_TOKEN, FAULTY_TOKEN, FAULTY_PASSWORD, GITHUB_TOKEN]

/** What node, the bundle and the run itself may take on top of a provider's timeout. */
const OVERHEAD_MS = 8_000

const REVISION = 'kustomize.toolkit.fluxcd.io/revision'

/** One failed health check on SHA_B: every provider below gets exactly one notification. */
const EVENTS = eventList([
  k8sEvent(
    {
      kind: 'Kustomization',
      name: 'apps',
      reason: 'HealthCheckFailed',
      message: 'health check failed after 5m0s',
      type: 'Warning',
      time: '2026-07-20T10:21:07Z',
      annotations: { [REVISION]: `main@sha1:${SHA_B}` },
    },
    1,
  ),
])

function alertFor(provider: string): string {
  return `---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: { name: ${provider}, namespace: flux-system }
spec:
  providerRef: { name: ${provider} }
  eventSources: [{ kind: Kustomization, name: apps }]
`
}

/** A healthy `generic` provider sending to `${receiver}/hook` with a bearer token. */
function healthyProvider(receiver: string): string {
  return `---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: { name: healthy, namespace: flux-system }
spec:
  type: generic
  address: ${receiver}/hook
  secretRef: { name: healthy }
${alertFor('healthy')}`
}

/**
 * Registers what to close when the test ends. Tests run concurrently, so each has its own (the
 * test context's `onTestFinished`), never a list shared through `afterEach`.
 */
type Defer = (close: () => Promise<unknown>) => void

function deferTo(context: TestContext): Defer {
  return (close) =>
    context.onTestFinished(async () => {
      await close()
    })
}

interface Run {
  result: ActionResult
  elapsedMs: number
  rows: Array<Record<string, string>>
  /** the decision row of a provider (`flux-system/<name>`) */
  row(name: string): Record<string, string>
}

async function runWith(
  defer: Defer,
  manifests: string,
  secrets: Record<string, unknown>,
  events = EVENTS,
): Promise<Run> {
  const repo = await writeRepo({ 'flux/notifications.yaml': manifests, 'events.json': events })
  defer(() => rm(repo, { recursive: true, force: true }))
  const started = Date.now()
  const result = await runAction({
    cwd: repo,
    inputs: {
      manifests: 'flux',
      events: 'events.json',
      secrets: JSON.stringify(secrets),
      'github-token': '',
    },
  })
  const elapsedMs = Date.now() - started
  const rows = JSON.parse(result.outputs.results ?? '[]') as Array<Record<string, string>>
  const row = (name: string) => {
    const found = rows.find((r) => r.provider === `flux-system/${name}`)
    expect(found, `a results row for ${name}`).toBeDefined()
    return found!
  }
  return { result, elapsedMs, rows, row }
}

/**
 * The healthy receiver plus a faulty `generic` provider whose address (kept in its secret, with
 * Basic-auth credentials in the user-info) points at `faultyUrl`, with `spec.timeout`.
 */
async function runPair(
  defer: Defer,
  faultyUrl: string,
  timeout: string,
): Promise<Run & { healthy: Recorder }> {
  const healthy = await startRecorder()
  defer(() => healthy.close())
  const withCredentials = new URL(faultyUrl)
  withCredentials.username = 'flux'
  withCredentials.password = FAULTY_PASSWORD
  const manifests = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: { name: faulty, namespace: flux-system }
spec:
  type: generic
  address: http://address-from-secret.invalid/
  timeout: ${timeout}
  secretRef: { name: faulty }
${alertFor('faulty')}${healthyProvider(healthy.url)}`
  const run = await runWith(defer, manifests, {
    faulty: {
      address: withCredentials.href,
      headers: `X-Api-Key: ${FAULTY_TOKEN}\n`,
      token: FAULTY_TOKEN,
    },
    healthy: { headers: `Authorization: Bearer ${HEALTHY_TOKEN}\n`, token: HEALTHY_TOKEN },
  })
  return { ...run, healthy }
}

/** The healthy provider got its one notification, and its row says sent. */
function expectHealthyDelivered(
  run: Run & { healthy: Recorder },
  reason = 'HealthCheckFailed',
): void {
  expect(run.healthy.requests).toHaveLength(1)
  expect(run.healthy.requests[0]!.headers.authorization).toBe(`Bearer ${HEALTHY_TOKEN}`)
  expect(JSON.parse(run.healthy.requests[0]!.body)).toMatchObject({ reason })
  expect(run.row('healthy')).toMatchObject({ outcome: 'sent' })
}

/** The run failed the step for one failed delivery, and said so in outputs and summary. */
function expectOneFailure(run: Run, reasonPart: string): void {
  expect(run.result.code).toBe(1)
  expect(run.result.outputs.failed).toBe('1')
  expect(run.result.outputs.sent).toBe('1')
  const row = run.row('faulty')
  expect(row.outcome).toBe('failed')
  expect(row.reason).toContain(reasonPart)
  expect(run.result.summary).toContain('flux-system/faulty')
  expect(run.result.summary).toContain(reasonPart)
  // no stack trace, whatever broke
  expect(run.result.stdout + run.result.stderr).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/u)
}

function expectBothSent(run: Run): void {
  expect(run.result.code).toBe(0)
  expect(run.result.outputs.failed).toBe('0')
  expect(run.result.outputs.sent).toBe('2')
  expect(run.row('faulty')).toMatchObject({ outcome: 'sent' })
  expect(run.result.summary).toContain('flux-system/faulty')
}

async function faultServer(
  defer: Defer,
  answers: FaultAnswer[],
  rest?: FaultAnswer,
): Promise<FaultServer> {
  const server = await startFaultServer(answers, rest)
  defer(() => server.close())
  return server
}

/** The gap between the n-th and the (n+1)-th request to `server`. */
function gapMs(server: FaultServer, n = 0): number {
  return server.requests[n + 1]!.receivedAt - server.requests[n]!.receivedAt
}

describe.concurrent('a faulty HTTP provider next to a healthy one', () => {
  it('500, then success: one retry after the 2s back-off, sent', async (context) => {
    const defer = deferTo(context)
    const server = await faultServer(defer, [reply(500, 'oops')])
    const run = await runPair(defer, `${server.url}/hook`, '10s')
    expectBothSent(run)
    expectHealthyDelivered(run)
    expect(server.requests).toHaveLength(2)
    expect(server.requests[1]!.body).toBe(server.requests[0]!.body)
    expect(gapMs(server)).toBeGreaterThanOrEqual(1_900)
    expect(run.elapsedMs).toBeLessThan(10_000 + OVERHEAD_MS)
    expectNoSecrets(run.result, ALL_SECRETS)
  })

  it('429 with Retry-After in seconds: waits that long (longer than the back-off), sent', async (context) => {
    const defer = deferTo(context)
    const server = await faultServer(defer, [reply(429, 'slow down', { 'retry-after': '3' })])
    const run = await runPair(defer, `${server.url}/hook`, '10s')
    expectBothSent(run)
    expectHealthyDelivered(run)
    expect(server.requests).toHaveLength(2)
    // the default back-off would be 2s: waiting 3s shows the header was honoured
    expect(gapMs(server)).toBeGreaterThanOrEqual(2_900)
    expect(run.elapsedMs).toBeLessThan(10_000 + OVERHEAD_MS)
    expectNoSecrets(run.result, ALL_SECRETS)
  })

  it('429 with Retry-After as an HTTP date: waits until then, sent', async (context) => {
    const defer = deferTo(context)
    // 4s after the request, cut to whole seconds by the date format: a wait of 3s to 4s
    const server = await faultServer(defer, [tooManyRequestsUntil(4)])
    const run = await runPair(defer, `${server.url}/hook`, '10s')
    expectBothSent(run)
    expectHealthyDelivered(run)
    expect(server.requests).toHaveLength(2)
    expect(gapMs(server)).toBeGreaterThanOrEqual(2_500)
    expect(run.elapsedMs).toBeLessThan(10_000 + OVERHEAD_MS)
    expectNoSecrets(run.result, ALL_SECRETS)
  })

  it('501 is not retried: exactly one request, failed with the body', async (context) => {
    const defer = deferTo(context)
    const server = await faultServer(defer, [], reply(501, 'no such method'))
    const run = await runPair(defer, `${server.url}/hook`, '5s')
    expectOneFailure(run, 'request failed with status code 501: no such method')
    expectHealthyDelivered(run)
    expect(server.requests).toHaveLength(1)
    expect(run.elapsedMs).toBeLessThan(5_000 + OVERHEAD_MS)
    expectNoSecrets(run.result, ALL_SECRETS)
  })

  it('connection refused: retried five times, then failed naming the refusal', async (context) => {
    const defer = deferTo(context)
    // five attempts after 2+4+8+16s of back-off, well inside the timeout: the last error shows
    const port = await closedPort()
    const run = await runPair(defer, `http://127.0.0.1:${port}/hook`, '45s')
    expectOneFailure(run, 'giving up after 5 attempt(s)')
    expectHealthyDelivered(run)
    const reason = run.row('faulty').reason!
    expect(reason).toContain(`ECONNREFUSED 127.0.0.1:${port}`)
    // the address carried credentials: shown redacted
    expect(reason).toContain(`POST http://***@127.0.0.1:${port}/hook giving up`)
    expect(run.elapsedMs).toBeGreaterThanOrEqual(30_000)
    expect(run.elapsedMs).toBeLessThan(45_000 + OVERHEAD_MS)
    expectNoSecrets(run.result, ALL_SECRETS)
  }, 120_000)

  it('connection reset before the answer: retried, then sent', async (context) => {
    const defer = deferTo(context)
    const server = await faultServer(defer, [resetBeforeAnswer])
    const run = await runPair(defer, `${server.url}/hook`, '10s')
    expectBothSent(run)
    expectHealthyDelivered(run)
    expect(server.requests).toHaveLength(2)
    expect(run.elapsedMs).toBeLessThan(10_000 + OVERHEAD_MS)
    expectNoSecrets(run.result, ALL_SECRETS)
  })

  it('connection reset in the body of a 503: retried, then sent', async (context) => {
    const defer = deferTo(context)
    const server = await faultServer(defer, [resetMidBody(503)])
    const run = await runPair(defer, `${server.url}/hook`, '10s')
    expectBothSent(run)
    expectHealthyDelivered(run)
    expect(server.requests).toHaveLength(2)
    expect(run.elapsedMs).toBeLessThan(10_000 + OVERHEAD_MS)
    expectNoSecrets(run.result, ALL_SECRETS)
  })

  it('connection reset in the body of a 200: the answer was a success, sent without retry', async (context) => {
    const defer = deferTo(context)
    // Go's client hands the response over at the headers and the default check never reads
    // a 2xx body: the controller counts this as sent, and sends nothing twice
    const server = await faultServer(defer, [resetMidBody(200)])
    const run = await runPair(defer, `${server.url}/hook`, '10s')
    expectBothSent(run)
    expectHealthyDelivered(run)
    expect(server.requests).toHaveLength(1)
    expectNoSecrets(run.result, ALL_SECRETS)
  })

  it('connection reset in the body of a 400: failed reading the error, not retried', async (context) => {
    const defer = deferTo(context)
    const server = await faultServer(defer, [resetMidBody(400)])
    const run = await runPair(defer, `${server.url}/hook`, '10s')
    expectOneFailure(run, 'failed to read response body')
    expectHealthyDelivered(run)
    expect(server.requests).toHaveLength(1)
    expect(run.elapsedMs).toBeLessThan(10_000 + OVERHEAD_MS)
    expectNoSecrets(run.result, ALL_SECRETS)
  })

  it('a server that accepts and never answers: failed at the provider timeout', async (context) => {
    const defer = deferTo(context)
    const silent = await startSilentServer()
    defer(() => silent.close())
    const run = await runPair(defer, `${silent.url}/hook`, '2s')
    expectOneFailure(run, 'giving up after 1 attempt(s): context deadline exceeded')
    expectHealthyDelivered(run)
    // one request, never retried (the deadline ends the send)
    expect(silent.requestConnections).toBe(1)
    expect(run.elapsedMs).toBeGreaterThanOrEqual(2_000)
    expect(run.elapsedMs).toBeLessThan(2_000 + OVERHEAD_MS)
    expectNoSecrets(run.result, ALL_SECRETS)
  })

  it('a redirect loop: stopped after 10 redirects as Go is, not retried', async (context) => {
    const defer = deferTo(context)
    const server = await faultServer(defer, [], redirectToItself(307))
    const run = await runPair(defer, `${server.url}/hook`, '10s')
    expectOneFailure(run, 'Post "/hook": stopped after 10 redirects')
    expectHealthyDelivered(run)
    // Go's client sends the request and follows 9 redirects; the 10th is refused
    expect(server.requests).toHaveLength(10)
    // a 307 repeats the method and the body; the same host keeps the user-info's Basic auth
    const basic = `Basic ${Buffer.from(`flux:${FAULTY_PASSWORD}`).toString('base64')}`
    for (const request of server.requests) {
      expect(request.method).toBe('POST')
      expect(request.body).toBe(server.requests[0]!.body)
      expect(request.headers.authorization).toBe(basic)
    }
    expect(server.requests[1]!.headers.referer).toBe(`${server.url}/hook`)
    expect(run.elapsedMs).toBeLessThan(10_000 + OVERHEAD_MS)
    expectNoSecrets(run.result, ALL_SECRETS)
  })
})

describe.skipIf(!hasOpenssl())('a TLS endpoint with a certificate from another CA', () => {
  let trusted: TestPki
  let other: TestPki
  beforeAll(() => {
    trusted = createTestPki('flux-notify trusted CA')
    other = createTestPki('flux-notify other CA')
  })

  it('fails with a certificate error at once, never retried; the healthy one is sent', async (context) => {
    const defer = deferTo(context)
    // the server presents a certificate of `other`; the Provider trusts only `trusted`
    const server = await startTlsServer({ pki: other })
    defer(() => server.close())
    const healthy = await startRecorder()
    defer(() => healthy.close())
    const manifests = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: { name: faulty, namespace: flux-system }
spec:
  type: generic
  address: ${server.url}/hook
  timeout: 10s
  certSecretRef: { name: internal-ca }
  secretRef: { name: faulty }
${alertFor('faulty')}${healthyProvider(healthy.url)}`
    const run = await runWith(defer, manifests, {
      'internal-ca': { 'ca.crt': trusted.ca.cert },
      faulty: { headers: `X-Api-Key: ${FAULTY_TOKEN}\n`, token: FAULTY_TOKEN },
      healthy: { headers: `Authorization: Bearer ${HEALTHY_TOKEN}\n`, token: HEALTHY_TOKEN },
    })
    expectOneFailure(
      run,
      'tls: failed to verify certificate: x509: certificate signed by unknown authority',
    )
    expectHealthyDelivered({ ...run, healthy })
    expect(run.row('faulty').reason).toContain('giving up after 1 attempt(s)')
    // the handshake failed once, and nothing was sent over it
    expect(server.requests).toHaveLength(0)
    expect(server.handshakeFailures).toBe(1)
    // a retry would have waited 2s at least
    expect(run.elapsedMs).toBeLessThan(OVERHEAD_MS)
    expectNoSecrets(run.result, ALL_SECRETS)
  })
})

// ---------------------------------------------------------------------------------------------
// GitHub's limits

const REPO = 'acme/apps'
// design.md §3: without metadata.uid, the id is derived from the Provider's namespace and name
const UID = createHash('sha256').update('flux-system/github-status').digest('hex').slice(0, 8)
const CONTEXT = `kustomization/apps/${UID}`

function githubManifests(github: FakeGitHub, receiver: string, timeout: string): string {
  return `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: { name: github-status, namespace: flux-system }
spec:
  type: github
  address: ${github.url}/${REPO}
  timeout: ${timeout}
  secretRef: { name: github }
${alertFor('github-status')}${healthyProvider(receiver)}`
}

const GITHUB_SECRETS = {
  github: { token: GITHUB_TOKEN },
  healthy: { headers: `Authorization: Bearer ${HEALTHY_TOKEN}\n`, token: HEALTHY_TOKEN },
}

async function runGitHub(
  defer: Defer,
  github: FakeGitHub,
  events: string,
  timeout = '10s',
): Promise<Run & { healthy: Recorder }> {
  const healthy = await startRecorder()
  defer(() => healthy.close())
  const run = await runWith(
    defer,
    githubManifests(github, healthy.url, timeout),
    GITHUB_SECRETS,
    events,
  )
  return { ...run, healthy }
}

async function fakeGitHub(defer: Defer, options: Parameters<typeof startFakeGitHub>[0] = {}) {
  const github = await startFakeGitHub({ token: GITHUB_TOKEN, ...options })
  defer(() => github.close())
  return github
}

function statusPosts(github: FakeGitHub) {
  return github.requests.filter((r) => r.operationId === 'repos/create-commit-status')
}

describe('GitHub limits', () => {
  it('a secondary rate limit (403 with retry-after) is waited out, and the status written once', async (context) => {
    const defer = deferTo(context)
    const github = await fakeGitHub(defer)
    github.failNext(1, secondaryRateLimit(2, 'repos/create-commit-status'))
    const run = await runGitHub(defer, github, EVENTS)
    expect(run.result.code).toBe(0)
    expect(run.result.outputs.failed).toBe('0')
    expect(run.row('github-status')).toMatchObject({ outcome: 'sent', state: 'failure' })
    expectHealthyDelivered(run)
    const posts = statusPosts(github)
    expect(posts.map((p) => p.status)).toEqual([403, 201])
    expect(github.statuses(REPO, SHA_B)).toHaveLength(1)
    expect(github.statuses(REPO, SHA_B)[0]).toMatchObject({
      context: CONTEXT,
      state: 'failure',
      description: 'health check failed',
    })
    // Octokit's request objects carry no receive time; the whole run shows the wait
    expect(run.elapsedMs).toBeGreaterThanOrEqual(2_000)
    expect(run.elapsedMs).toBeLessThan(10_000 + OVERHEAD_MS)
    expect(github.violations).toEqual([])
    expectNoSecrets(run.result, ALL_SECRETS)
  })

  it('a reason that would make a description over 140 characters is cut, never sent to a 422', async (context) => {
    const defer = deferTo(context)
    // astral characters at the cut: a cut by UTF-16 units would leave half a surrogate pair
    const reason = `HealthCheckFailed${'😀'.repeat(150)}`
    const events = eventList([
      k8sEvent(
        {
          kind: 'Kustomization',
          name: 'apps',
          reason,
          message: `health check failed: ${'x'.repeat(5_000)}`,
          type: 'Warning',
          time: '2026-07-20T10:21:07Z',
          annotations: { [REVISION]: `main@sha1:${SHA_B}` },
        },
        1,
      ),
    ])
    const github = await fakeGitHub(defer)
    const run = await runGitHub(defer, github, events)
    expect(run.result.code).toBe(0)
    expect(run.row('github-status')).toMatchObject({ outcome: 'sent' })
    expectHealthyDelivered(run, reason)
    expect(github.requests.filter((r) => r.status === 422)).toEqual([])
    const [status] = github.statuses(REPO, SHA_B)
    const description = status!.description!
    expect([...description].length).toBeLessThanOrEqual(140)
    expect(description.isWellFormed()).toBe(true)
    expect(description.startsWith('health check failed 😀😀')).toBe(true)
    expect(github.violations).toEqual([])
    expectNoSecrets(run.result, ALL_SECRETS)
  })

  it('a commit at the 1,000-statuses cap for our context: an unchanged status is not written', async (context) => {
    const defer = deferTo(context)
    const github = await fakeGitHub(defer)
    // the cap is real in the fake: a changed status on a full context is refused
    for (const [sha, description] of [
      [SHA_B, 'health check failed'],
      [SHA_A, 'health check failed'],
    ] as const) {
      for (let i = 0; i < 1_000; i++) {
        github.seedStatus(REPO, sha, { context: CONTEXT, state: 'failure', description })
      }
    }
    // SHA_B: the same state and description again → nothing to write.
    // SHA_A: a success now → GitHub refuses the 1,001st status, and says so.
    const events = eventList([
      k8sEvent(
        {
          kind: 'Kustomization',
          name: 'apps',
          reason: 'HealthCheckFailed',
          message: 'health check failed after 5m0s',
          type: 'Warning',
          time: '2026-07-20T10:21:07Z',
          annotations: { [REVISION]: `main@sha1:${SHA_B}` },
        },
        1,
      ),
      k8sEvent(
        {
          kind: 'Kustomization',
          name: 'apps',
          reason: 'ReconciliationSucceeded',
          message: 'Reconciliation finished in 2s, next run in 10m0s',
          type: 'Normal',
          time: '2026-07-20T10:25:00Z',
          annotations: {
            [REVISION]: `main@sha1:${SHA_A}`,
            'kustomize.toolkit.fluxcd.io/commit_status': 'update',
          },
        },
        2,
      ),
    ])
    const run = await runGitHub(defer, github, events)
    const githubRows = run.rows.filter((r) => r.provider === 'flux-system/github-status')
    expect(githubRows.find((r) => r.sha === SHA_B)).toMatchObject({ outcome: 'unchanged' })
    const refused = githubRows.find((r) => r.sha === SHA_A)!
    expect(refused.outcome).toBe('failed')
    expect(refused.reason).toContain(
      'This SHA and context has reached the maximum number of statuses',
    )
    // exactly one write was tried (SHA_A); none for the unchanged SHA_B
    expect(statusPosts(github).map((p) => p.path)).toEqual([
      `/api/v3/repos/${REPO}/statuses/${SHA_A}`,
    ])
    expect(github.statuses(REPO, SHA_B)).toHaveLength(1_000)
    expect(run.healthy.requests).toHaveLength(2)
    expect(run.result.outputs.failed).toBe('1')
    expect(github.violations).toEqual([])
    expectNoSecrets(run.result, ALL_SECRETS)
  })
})
