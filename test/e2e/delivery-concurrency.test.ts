/**
 * End to end: many commit statuses against a GitHub that answers after 50 ms. Requests go out
 * several at a time (never more than the limit of 8), yet each commit is read once, each changed
 * status is written once, and two statuses for the same context land in the order they were planned.
 * Nothing here is timed: wall time is the benchmark's business (`npm run bench`).
 */
import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeGitHub, type FakeGitHub } from '../servers/fake-github.js'
import { expectNoSecrets, runAction } from './harness.js'
import { eventList, k8sEvent, SECRETS, writeRepo } from './fleet.js'

const REPO = 'stefanprodan/podinfo'
// design.md §3: without metadata.uid, the id is derived from the Provider's namespace and name
const UID = createHash('sha256').update('flux-system/github-status').digest('hex').slice(0, 8)
const KS_REVISION = 'kustomize.toolkit.fluxcd.io/revision'

const MANIFESTS = (github: string) => `
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: github-status
  namespace: flux-system
spec:
  type: github
  address: ${github}/${REPO}
  secretRef:
    name: github-token
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: all-kustomizations
  namespace: flux-system
spec:
  providerRef:
    name: github-status
  eventSources:
    - kind: Kustomization
      name: '*'
`

/** A distinct 40-hex commit SHA for commit number `n`. */
function sha(n: number): string {
  return createHash('sha1').update(`commit ${n}`).digest('hex')
}

interface Planned {
  name: string
  commit: number
  failed: boolean
}

/** One Kustomization event per entry, a second apart, in the order given. */
function events(planned: Planned[]): string {
  const start = Date.parse('2026-07-20T10:00:00Z')
  return eventList(
    planned.map(({ name, commit, failed }, index) =>
      k8sEvent(
        {
          kind: 'Kustomization',
          name,
          reason: failed ? 'HealthCheckFailed' : 'ReconciliationSucceeded',
          // unique per event, so the controller's duplicate suppression drops none of them
          message: failed
            ? `health check failed for ${sha(commit)}`
            : `Reconciliation of ${sha(commit)} finished`,
          type: failed ? 'Warning' : 'Normal',
          time: new Date(start + index * 1000).toISOString().replace('.000Z', 'Z'),
          // a success reaches a commit-status provider only as a commit status update
          annotations: {
            [KS_REVISION]: `main@sha1:${sha(commit)}`,
            ...(failed ? {} : { 'kustomize.toolkit.fluxcd.io/commit_status': 'update' }),
          },
        },
        index,
      ),
    ),
  )
}

let github: FakeGitHub
let repo: string | undefined

beforeEach(async () => {
  github = await startFakeGitHub({ token: SECRETS.githubToken, latencyMs: 50 })
})

afterEach(async () => {
  expect(github.violations).toEqual([])
  await github.close()
  if (repo) await rm(repo, { recursive: true, force: true })
  repo = undefined
})

async function run(planned: Planned[]) {
  repo = await writeRepo({
    'clusters/production/notifications.yaml': MANIFESTS(github.url),
    'events.json': events(planned),
  })
  const result = await runAction({
    cwd: repo,
    inputs: {
      manifests: 'clusters/production',
      events: 'events.json',
      secrets: `github-token:\n  token: ${SECRETS.githubToken}\n`,
      'github-token': '',
    },
  })
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expectNoSecrets(result, [SECRETS.githubToken])
  return result
}

const reads = () =>
  github.requests.filter((r) => r.operationId === 'repos/get-combined-status-for-ref')
const writes = () => github.requests.filter((r) => r.operationId === 'repos/create-commit-status')

describe('commit statuses against a 50 ms GitHub', () => {
  it('reads each of 30 commits once and writes 60 statuses, several requests at a time', async () => {
    const planned: Planned[] = []
    for (let commit = 0; commit < 30; commit++) {
      planned.push({ name: 'apps', commit, failed: false })
      planned.push({ name: 'infra', commit, failed: commit % 7 === 3 })
    }
    const result = await run(planned)

    expect(result.outputs.sent).toBe('60')
    expect(result.outputs.failed).toBe('0')
    // the minimum: one read per commit, one write per changed status
    expect(reads()).toHaveLength(30)
    expect(writes()).toHaveLength(60)
    const readCommits = reads().map((r) => /\/commits\/([0-9a-f]{40})\//.exec(r.path)?.[1])
    expect(new Set(readCommits)).toEqual(new Set(planned.map((p) => sha(p.commit))))
    // every read came before the writes of its commit
    for (let commit = 0; commit < 30; commit++) {
      const readAt = github.requests.findIndex(
        (r) =>
          r.operationId === 'repos/get-combined-status-for-ref' && r.path.includes(sha(commit)),
      )
      const firstWrite = github.requests.findIndex(
        (r) => r.operationId === 'repos/create-commit-status' && r.path.includes(sha(commit)),
      )
      expect(readAt).toBeLessThan(firstWrite)
      expect(github.statuses(REPO, sha(commit)).map((s) => [s.context, s.state])).toEqual(
        expect.arrayContaining([
          [`kustomization/apps/${UID}`, 'success'],
          [`kustomization/infra/${UID}`, commit % 7 === 3 ? 'failure' : 'success'],
        ]),
      )
    }
    // concurrent, within the global limit
    expect(github.maxInFlight).toBeGreaterThan(1)
    expect(github.maxInFlight).toBeLessThanOrEqual(8)
  })

  it('lands two statuses for the same context in plan order', async () => {
    // per commit: apps fails, infra succeeds, then apps recovers; apps' two statuses must not swap
    const planned: Planned[] = []
    for (let commit = 0; commit < 6; commit++) {
      planned.push({ name: 'apps', commit, failed: true })
      planned.push({ name: 'infra', commit, failed: false })
      planned.push({ name: 'apps', commit, failed: false })
    }
    const result = await run(planned)

    expect(result.outputs.sent).toBe('18')
    expect(reads()).toHaveLength(6)
    for (let commit = 0; commit < 6; commit++) {
      const appsWrites = writes()
        .filter((r) => r.path.endsWith(`/statuses/${sha(commit)}`))
        .map((r) => JSON.parse(r.body) as { context: string; state: string })
        .filter((body) => body.context === `kustomization/apps/${UID}`)
      expect(appsWrites.map((body) => body.state)).toEqual(['failure', 'success'])
      // and GitHub stored them in that order: the newest apps status is the success
      const apps = github
        .statuses(REPO, sha(commit))
        .filter((s) => s.context === `kustomization/apps/${UID}`)
      expect(apps.map((s) => s.state)).toEqual(['failure', 'success'])
    }
    expect(github.maxInFlight).toBeLessThanOrEqual(8)
  })
})
