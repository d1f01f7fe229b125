/**
 * Poll mode (`wait-for-revision`) end to end through `node dist/index.js`: the commit gets
 * `pending` first, then the real status on the same context once the awaited Kustomization
 * reports a final event for it; a timeout leaves `error`; chat providers see each event once
 * however often the sources are re-read.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeGitHub, type FakeGitHub } from '../servers/fake-github.js'
import { startRecorder, type Recorder } from '../servers/recorder.js'
import {
  eventList,
  k8sEvent,
  manifests,
  SECRETS,
  SECRETS_INPUT,
  SHA_A,
  SHA_B,
  writeRepo,
} from './fleet.js'
import { expectNoSecrets, runAction, type ActionResult } from './harness.js'

const REPO = 'stefanprodan/podinfo'
const KS = 'kustomize.toolkit.fluxcd.io'
// design.md §3: the context's UID block is derived from the Provider's namespace/name
const CONTEXT = `kustomization/podinfo/${createHash('sha256').update('flux-system/github-status').digest('hex').slice(0, 8)}`
const SECRET_VALUES = [SECRETS.githubToken, SECRETS.slackToken, SECRETS.hmacKey]

const gitRepositoryArtifact = (index: number) =>
  k8sEvent(
    {
      kind: 'GitRepository',
      name: 'flux-system',
      reason: 'NewArtifact',
      message: "stored artifact for commit 'Bump podinfo'",
      type: 'Normal',
      time: '2026-07-20T10:00:01Z',
      annotations: { 'source.toolkit.fluxcd.io/revision': `main@sha1:${SHA_A}` },
    },
    index,
  )
const progressing = (index: number) =>
  k8sEvent(
    {
      kind: 'Kustomization',
      name: 'podinfo',
      reason: 'Progressing',
      message: 'Deployment/apps/podinfo configured',
      type: 'Normal',
      time: '2026-07-20T10:00:03Z',
      annotations: { [`${KS}/revision`]: `main@sha1:${SHA_A}` },
    },
    index,
  )
const succeeded = (index: number, sha = SHA_A) =>
  k8sEvent(
    {
      kind: 'Kustomization',
      name: 'podinfo',
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 2.1s, next run in 10m0s',
      type: 'Normal',
      time: '2026-07-20T10:00:05Z',
      annotations: { [`${KS}/revision`]: `main@sha1:${sha}`, [`${KS}/commit_status`]: 'update' },
    },
    index,
  )
const healthCheckFailed = (index: number) =>
  k8sEvent(
    {
      kind: 'Kustomization',
      name: 'podinfo',
      reason: 'HealthCheckFailed',
      message:
        "health check failed after 5m0s: timeout waiting for: [Deployment/apps/podinfo status: 'InProgress']",
      type: 'Warning',
      time: '2026-07-20T10:05:03Z',
      annotations: { [`${KS}/revision`]: `main@sha1:${SHA_A}` },
    },
    index,
  )

let github: FakeGitHub
let receiver: Recorder
let repo: string

beforeEach(async () => {
  github = await startFakeGitHub({ token: SECRETS.githubToken })
  receiver = await startRecorder()
  repo = await writeRepo({
    'clusters/production/notifications.yaml': manifests(github.url, receiver.url),
  })
})

afterEach(async () => {
  await github.close()
  await receiver.close()
  await rm(repo, { recursive: true, force: true })
})

function run(inputs: Record<string, string>): Promise<ActionResult> {
  return runAction({
    cwd: repo,
    inputs: {
      manifests: 'clusters/production',
      secrets: SECRETS_INPUT,
      state: 'none',
      'wait-for-revision': SHA_A,
      'poll-interval': '100ms',
      timeout: '20s',
      ...inputs,
    },
  })
}

function statuses() {
  return github.statuses(REPO, SHA_A).map((s) => ({
    context: s.context,
    state: s.state,
    description: s.description,
  }))
}

/** A loopback event source whose answer depends on how often it was asked. */
async function startEventSource(
  answer: (call: number) => string,
): Promise<{ url: string; calls: () => number; close: () => Promise<void> }> {
  let calls = 0
  const server: Server = createServer((_request, response) => {
    calls++
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(answer(calls))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/events`,
    calls: () => calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('poll mode', () => {
  it('posts pending, re-reads a URL until the success arrives, and sends each event once', async () => {
    const source = await startEventSource((call) =>
      eventList(
        call === 1
          ? []
          : call === 2
            ? [gitRepositoryArtifact(1), progressing(2)]
            : [gitRepositoryArtifact(1), progressing(2), succeeded(3)],
      ),
    )
    try {
      const result = await run({ events: source.url })
      expect(result.code, result.stdout).toBe(0)
      expect(source.calls()).toBeGreaterThanOrEqual(3)
      expect(statuses()).toEqual([
        { context: CONTEXT, state: 'pending', description: 'waiting for reconciliation' },
        { context: CONTEXT, state: 'success', description: 'reconciliation succeeded' },
      ])
      expect(github.violations).toEqual([])

      // Slack (every Kustomization and GitRepository) got the artifact and the progress once
      // each, although they were read on every poll after the second; the success event carries
      // `commit_status: update`, which chat providers never get (reference §2.5).
      const slack = receiver.requests.filter((r) => r.path === '/slack')
      expect(
        slack.map(
          (r) =>
            (JSON.parse(r.body) as { text?: string; attachments?: Array<{ text: string }> })
              .attachments?.[0]?.text,
        ),
      ).toEqual(["stored artifact for commit 'Bump podinfo'", 'Deployment/apps/podinfo configured'])

      const results = JSON.parse(result.outputs.results!) as Array<Record<string, unknown>>
      const pollRows = results.filter((r) => r.source === 'wait-for-revision#0')
      expect(pollRows).toEqual([
        expect.objectContaining({
          event: 'Kustomization/flux-system/podinfo',
          alert: 'flux-system/podinfo-status',
          provider: 'flux-system/github-status',
          outcome: 'sent',
          context: CONTEXT,
          state: 'pending',
          reason: expect.stringMatching(/^poll mode: /),
        }),
      ])
      expect(result.outputs.succeeded).toBe('Kustomization/flux-system/podinfo')
      expect(result.outputs['timed-out']).toBe('')
      expect(result.summary).toContain('### Waited for 450796d')
      expectNoSecrets(result, SECRET_VALUES)
    } finally {
      await source.close()
    }
  })

  it('re-runs events-command each round and ends with failure on a Warning (exit 1)', async () => {
    const counter = join(repo, 'calls')
    const lists = [
      eventList([]),
      eventList([progressing(1)]),
      eventList([progressing(1), healthCheckFailed(2)]),
    ]
    await writeFile(join(repo, 'lists.json'), JSON.stringify(lists))
    // prints the n-th list on the n-th call (the last one from then on)
    await writeFile(
      join(repo, 'events.mjs'),
      `import { readFileSync, writeFileSync, existsSync } from 'node:fs'
const n = existsSync(${JSON.stringify(counter)}) ? Number(readFileSync(${JSON.stringify(counter)}, 'utf8')) : 0
writeFileSync(${JSON.stringify(counter)}, String(n + 1))
const lists = JSON.parse(readFileSync(${JSON.stringify(join(repo, 'lists.json'))}, 'utf8'))
process.stdout.write(lists[Math.min(n, lists.length - 1)])
`,
    )
    const result = await run({ 'events-command': `"${process.execPath}" events.mjs` })
    expect(result.code, result.stdout).toBe(1)
    expect(Number(readFileSync(counter, 'utf8'))).toBeGreaterThanOrEqual(3)
    expect(statuses()).toEqual([
      { context: CONTEXT, state: 'pending', description: 'waiting for reconciliation' },
      { context: CONTEXT, state: 'failure', description: 'health check failed' },
    ])
    const errors = result.annotations.filter((a) => a.startsWith('::error'))
    expect(
      errors.some((a) => a.includes('Kustomization/flux-system/podinfo (HealthCheckFailed)')),
    ).toBe(true)
    // the error-only webhook got the Warning once
    expect(receiver.requests.filter((r) => r.path === '/hook')).toHaveLength(1)
    expect(result.outputs['failed-objects']).toBe('Kustomization/flux-system/podinfo')
    expectNoSecrets(result, SECRET_VALUES)
  })

  it('times out: pending, then error naming the revision, exit 1', async () => {
    // events for another commit never settle the awaited one
    await writeFile(join(repo, 'events.json'), eventList([succeeded(1, SHA_B)]))
    const started = Date.now()
    const result = await run({ events: 'events.json', timeout: '1s' })
    expect(result.code, result.stdout).toBe(1)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(statuses()).toEqual([
      { context: CONTEXT, state: 'pending', description: 'waiting for reconciliation' },
      {
        context: CONTEXT,
        state: 'error',
        description: 'timed out after 1s waiting for reconciliation of 450796d',
      },
    ])
    expect(github.violations).toEqual([])
    const errors = result.annotations.filter((a) => a.startsWith('::error'))
    expect(
      errors.some(
        (a) =>
          a.includes('timed out after 1s waiting for reconciliation of 450796d') &&
          a.includes('Kustomization/flux-system/podinfo'),
      ),
    ).toBe(true)
    // the other commit's status was delivered once, in the first round
    expect(github.statuses(REPO, SHA_B).map((s) => s.state)).toEqual(['success'])
    expect(result.outputs['timed-out']).toBe('Kustomization/flux-system/podinfo')
  })

  it('a dry run reads once, waits for nothing and sends nothing', async () => {
    await writeFile(join(repo, 'events.json'), eventList([progressing(1)]))
    const result = await run({ events: 'events.json', 'dry-run': 'true' })
    expect(result.code, result.stdout).toBe(0)
    expect(github.requests).toEqual([])
    const results = JSON.parse(result.outputs.results!) as Array<Record<string, unknown>>
    expect(results.find((r) => r.source === 'wait-for-revision#0')).toMatchObject({
      outcome: 'dry-run',
      state: 'pending',
      context: CONTEXT,
    })
  })

  it('refuses a wait-for-revision that names no commit, in one line (exit code of bad input)', async () => {
    const result = await run({ events: 'events.json', 'wait-for-revision': '6.5.4' })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/::error::wait-for-revision: '6\.5\.4' is not a commit SHA/)
    expect(result.stdout).not.toMatch(/\n\s+at /)
  })
})
