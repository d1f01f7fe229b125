/**
 * `spec.commitStatusExpr` through the pipeline's load step: each expression is compiled once, a
 * bad one is a load problem naming the Provider and its file/line (before any event), and that
 * Provider's deliveries fail with the controller's message. Dry runs: nothing is sent.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runPipeline } from '../../src/pipeline.js'
import type { RunHost, RunReport } from '../../src/pipeline.js'

const COMMIT = 'a1afe267b54f38b46b487f6e938a6fd508278c07'

const MANIFESTS = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: good
  namespace: flux-system
  uid: 0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a
spec:
  type: github
  address: https://github.com/org/repo
  commitStatusExpr: >-
    event.involvedObject.kind + '/' + event.involvedObject.name + '/' +
    event.metadata.environment + '/' + provider.metadata.uid.split('-').first().value()
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: bad
  namespace: flux-system
spec:
  type: gitlab
  address: https://gitlab.com/org/repo
  commitStatusExpr: event.involvedObject.kind == 'Kustomization'
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: to-good
  namespace: flux-system
spec:
  providerRef:
    name: good
  eventSources:
    - kind: Kustomization
      name: '*'
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: to-bad
  namespace: flux-system
spec:
  providerRef:
    name: bad
  eventSources:
    - kind: Kustomization
      name: '*'
`

const EVENT = {
  involvedObject: {
    kind: 'Kustomization',
    namespace: 'flux-system',
    name: 'apps',
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  },
  severity: 'info',
  timestamp: '2024-05-01T10:00:00Z',
  message: 'applied',
  reason: 'ReconciliationSucceeded',
  metadata: {
    'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${COMMIT}`,
    'event.toolkit.fluxcd.io/commit': COMMIT,
    'event.toolkit.fluxcd.io/environment': 'production',
  },
  reportingController: 'kustomize-controller',
}

const host: RunHost = {
  setSecret: () => {},
  info: () => {},
  env: {},
  readStdin: async () => '',
}

let dir: string
let report: RunReport

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flux-notify-cel-'))
  await writeFile(join(dir, 'providers.yaml'), MANIFESTS)
  await writeFile(join(dir, 'events.json'), JSON.stringify(EVENT))
  report = await runPipeline(
    {
      manifests: [join(dir, 'providers.yaml')],
      namespace: 'flux-system',
      events: [join(dir, 'events.json')],
      secrets: [],
      githubToken: 'test-token',
      rateLimitIntervalMs: 5 * 60_000,
      noCrossNamespaceRefs: false,
      dryRun: true,
      failOnError: true,
      cwd: dir,
    },
    host,
  )
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('commitStatusExpr in the pipeline', () => {
  it('reports a bad expression once, at load, naming the Provider and where it is', () => {
    const problems = report.problems.filter((p) => p.message.includes('commitStatusExpr'))
    expect(problems).toEqual([
      {
        severity: 'error',
        message:
          'Provider/flux-system/bad: spec.commitStatusExpr: CEL expression output type mismatch: expected string, got bool',
        location: expect.objectContaining({ file: 'providers.yaml', line: 14 }),
      },
    ])
    expect(report.exitCode).toBe(2)
  })

  it("uses a good expression's result as the context", () => {
    const good = report.decisions.find((d) => d.provider === 'flux-system/good')
    expect(good).toMatchObject({
      outcome: 'dry-run',
      context: 'Kustomization/apps/production/0c9c2e41',
      sha: COMMIT,
    })
  })

  it("fails the bad provider's delivery with the controller's message", () => {
    const bad = report.decisions.find((d) => d.provider === 'flux-system/bad')
    expect(bad).toMatchObject({
      outcome: 'failed',
      reason:
        'failed to create commit status: failed to evaluate the spec.commitStatusExpr CEL expression for the event: failed to compile expression: CEL expression output type mismatch: expected string, got bool',
    })
  })
})
