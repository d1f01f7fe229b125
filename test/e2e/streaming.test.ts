/**
 * A run that keeps no state routes and delivers events as they are read (design §5: memory flat
 * in the number of events for streaming formats). Seen from outside: deliveries start while
 * standard input is still open, and a run with more decisions than the report keeps still
 * writes every one of them to --json.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startRecorder, type Recorder } from '../servers/recorder.js'
import { writeRepo } from './fleet.js'
import { ROOT, runAction, runCli } from './harness.js'

let receiver: Recorder
let repo: string

function manifests(address: string): string {
  return `
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: webhook
  namespace: flux-system
spec:
  type: generic
  address: ${address}/hook
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: watched
  namespace: flux-system
spec:
  providerRef:
    name: webhook
  eventSources:
    - kind: Kustomization
      name: watched
`
}

/** 12,000 Flux events a second apart; every 100th is about `watched`, the others reach no alert. */
const EVENTS = 12_000
function eventLines(): string[] {
  const start = Date.parse('2026-11-25T00:00:00Z')
  return Array.from({ length: EVENTS }, (_, i) =>
    JSON.stringify({
      involvedObject: {
        kind: 'Kustomization',
        namespace: 'flux-system',
        name: i % 100 === 0 ? 'watched' : 'other',
      },
      severity: 'info',
      timestamp: new Date(start + i * 1000).toISOString().replace('.000Z', 'Z'),
      message: `reconciliation ${i} finished`,
      reason: 'ReconciliationSucceeded',
      reportingController: 'kustomize-controller',
    }),
  )
}

beforeEach(async () => {
  receiver = await startRecorder()
  repo = await writeRepo({ 'notifications.yaml': manifests(receiver.url) })
})

afterEach(async () => {
  await receiver.close()
  await rm(repo, { recursive: true, force: true })
})

describe('events routed as they are read', () => {
  it('delivers while standard input is still open, then the rest once it ends', async () => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'dist/cli.js'), '--manifests', 'notifications.yaml', '--events', '-'],
      { cwd: repo, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1' } },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))

    // more events than the reorder window holds, and standard input left open
    child.stdin.write(`${eventLines().join('\n')}\n`)
    await receiver.waitForRequests(1, 20_000)
    expect(child.exitCode).toBeNull()
    expect(receiver.requests.length).toBeLessThan(EVENTS / 100)

    child.stdin.end()
    expect(await exited).toBe(0)
    expect(stderr).toBe('')
    expect(receiver.requests).toHaveLength(EVENTS / 100)
    // one object's notifications arrive in the order they happened
    const messages = receiver.requests.map(
      (r) => (JSON.parse(r.body) as { message: string }).message,
    )
    expect(messages).toEqual(
      Array.from({ length: EVENTS / 100 }, (_, k) => `reconciliation ${k * 100} finished`),
    )
    // the table shows the first 10,000 rows and says how many more there were
    expect(stdout).toContain(
      "… 2000 more decisions not shown here (--json, or the Action's results-file, lists them all)",
    )
    expect(stdout).toContain(`120 sent, 0 unchanged, ${EVENTS - 120} skipped, 0 failed`)
  })

  it('--json lists every decision, past what the report keeps, in event order', async () => {
    const result = await runCli(
      ['--manifests', 'notifications.yaml', '--events', '-', '--dry-run', '--json'],
      { cwd: repo, stdin: `${eventLines().join('\n')}\n` },
    )
    expect(result.code).toBe(0)
    const rows = JSON.parse(result.stdout) as Array<{ source: string; outcome: string }>
    expect(rows).toHaveLength(EVENTS)
    expect(rows.map((r) => r.source)).toEqual(
      Array.from({ length: EVENTS }, (_, i) => `stdin:${i + 1}`),
    )
    expect(rows.filter((r) => r.outcome === 'dry-run')).toHaveLength(EVENTS / 100)
    expect(receiver.requests).toHaveLength(0)
  })

  it('the Action: counts, summary and outputs cover every decision, results-file lists them all', async () => {
    await writeFile(join(repo, 'events.ndjson'), `${eventLines().join('\n')}\n`)
    const temp = await mkdtemp(join(tmpdir(), 'flux-notify-runner-temp-'))
    try {
      const result = await runAction({
        inputs: { manifests: 'notifications.yaml', events: 'events.ndjson', state: 'none' },
        env: { RUNNER_TEMP: temp, GITHUB_ACTION: 'notify' },
        cwd: repo,
      })
      expect(result.code).toBe(0)
      expect(receiver.requests).toHaveLength(EVENTS / 100)
      expect(result.outputs.sent).toBe(String(EVENTS / 100))
      expect(result.outputs.skipped).toBe(String(EVENTS - EVENTS / 100))
      // the output holds the first rows that fit; the file every one of them
      expect(result.outputs['results-truncated']).toBe('true')
      const inOutput = JSON.parse(result.outputs.results!) as unknown[]
      expect(inOutput.length).toBeLessThan(EVENTS)
      const all = JSON.parse(await readFile(result.outputs['results-file']!, 'utf8')) as unknown[]
      expect(all).toHaveLength(EVENTS)
      expect(all.slice(0, inOutput.length)).toEqual(inOutput)
      expect(result.summary).toContain(
        `${EVENTS / 100} sent, 0 unchanged, ${EVENTS - EVENTS / 100} skipped, 0 failed`,
      )
      expect(result.stdout).toContain('… 2000 more decisions not shown here')
    } finally {
      await rm(temp, { recursive: true, force: true })
    }
  })
})
