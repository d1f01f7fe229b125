/**
 * The pipeline with a state file, from the sources (real sockets to a recording receiver): the
 * same events read twice send nothing twice, and what failed is retried.
 */
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseRunOptions } from '../../src/options.js'
import { runPipeline, type RunHost } from '../../src/pipeline.js'
import { startRecorder, type Recorder } from '../servers/recorder.js'
import { eventList, k8sEvent, writeRepo } from '../e2e/fleet.js'

let receiver: Recorder
let repo: string

const EVENTS = eventList(
  ['10:00:00', '10:10:00'].map((time, i) =>
    k8sEvent(
      {
        kind: 'Kustomization',
        name: 'podinfo',
        reason: 'Progressing',
        message: `change ${i}`,
        type: 'Normal',
        time: `2026-07-20T${time}Z`,
        annotations: {},
      },
      i + 1,
    ),
  ),
)

beforeEach(async () => {
  receiver = await startRecorder()
  repo = await writeRepo({
    'alerts.yaml': `
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: hook, namespace: flux-system}
spec: {type: generic, address: ${receiver.url}/hook}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: all, namespace: flux-system}
spec:
  providerRef: {name: hook}
  eventSources: [{kind: Kustomization, name: '*'}]
`,
    'events.json': EVENTS,
  })
})

afterEach(async () => {
  await receiver.close()
  await rm(repo, { recursive: true, force: true })
})

async function run(dryRun = false) {
  const info: string[] = []
  const host: RunHost = {
    setSecret: () => {},
    info: (m) => info.push(m),
    env: {},
    readStdin: async () => '',
  }
  const options = parseRunOptions({
    manifests: 'alerts.yaml',
    namespace: '',
    events: 'events.json',
    secrets: [],
    githubToken: '',
    rateLimitInterval: '',
    noCrossNamespaceRefs: '',
    dryRun: String(dryRun),
    failOnError: '',
    state: 'state.json',
    cwd: repo,
  })
  return { report: await runPipeline(options, host), info }
}

describe('the pipeline with a state file', () => {
  it('retries only what failed, and then sends nothing', async () => {
    receiver.respond('/hook', [{ status: 400 }])
    const first = await run()
    expect(first.report.counts).toMatchObject({ sent: 1, failed: 1 })
    expect(first.info.at(-1)).toMatch(/^State saved: \d+ entries, \d+ bytes in .*state\.json$/)
    expect(first.report.state).toMatchObject({ path: join(repo, 'state.json'), written: true })

    const dry = await run(true)
    expect(dry.report.counts).toMatchObject({ dryRun: 1, skipped: 1 })
    expect(receiver.requests).toHaveLength(2)

    const second = await run()
    expect(second.report.counts).toMatchObject({ sent: 1, skipped: 1, failed: 0 })
    expect(receiver.requests).toHaveLength(3)
    expect(receiver.requests[2]!.body).toBe(receiver.requests[0]!.body)

    const third = await run()
    expect(third.report.counts).toMatchObject({ sent: 0, skipped: 2 })
    expect(third.report.decisions.map((d) => d.reason)).toEqual([
      'already delivered by an earlier run (state)',
      'already delivered by an earlier run (state)',
    ])
    expect(receiver.requests).toHaveLength(3)
    const state = JSON.parse(await readFile(join(repo, 'state.json'), 'utf8')) as {
      deliveries: object
    }
    expect(Object.keys(state.deliveries)).toHaveLength(2)
  })

  it('warns about a corrupt state file and delivers anyway', async () => {
    await writeFile(join(repo, 'state.json'), 'garbage')
    const { report } = await run()
    expect(report.counts.sent).toBe(2)
    expect(report.problems.map((p) => p.message)).toEqual([
      `state file ${join(repo, 'state.json')}: not valid JSON: starting with empty state`,
    ])
    expect(report.exitCode).toBe(0)
  })
})
