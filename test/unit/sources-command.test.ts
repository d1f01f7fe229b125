/**
 * `events-command`: run once with `/bin/sh -c` in the run's directory and environment, its
 * standard output parsed as events; a failure is one error Problem with the exit code and the
 * end of standard error, which is shown (as info) only then. Event data is never run.
 */
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runPipeline, type RunHost } from '../../src/pipeline.js'
import { readEventsCommand } from '../../src/sources/command.js'

const fixtures = fileURLToPath(new URL('../fixtures/events/', import.meta.url))

const EVENT = {
  involvedObject: {
    kind: 'Kustomization',
    namespace: 'flux-system',
    name: 'apps',
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  },
  severity: 'info',
  timestamp: '2026-07-20T10:15:42Z',
  message: 'Reconciliation finished',
  reason: 'ReconciliationSucceeded',
  reportingController: 'kustomize-controller',
}

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flux-notify-command-'))
  await copyFile(path.join(fixtures, 'kubectl-get-events.json'), path.join(dir, 'kubectl.json'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function collectInfo(): { lines: string[]; info: (message: string) => void } {
  const lines: string[] = []
  return { lines, info: (message) => lines.push(message) }
}

describe('readEventsCommand', () => {
  it('parses what printf prints; the source is events-command', async () => {
    const shown = collectInfo()
    const command = `printf '%s\\n' '${JSON.stringify(EVENT)}'`
    const result = await readEventsCommand(command, { cwd: dir, info: shown.info })
    expect(result.problems).toEqual([])
    expect(result.events).toHaveLength(1)
    expect(result.events[0]!.event).toEqual(EVENT)
    expect(result.events[0]!.origin).toEqual({ source: 'events-command', index: 0, line: 1 })
    expect(shown.lines).toEqual([])
  })

  it('runs in the given directory (a relative cat) and says nothing of a successful stderr', async () => {
    const shown = collectInfo()
    const result = await readEventsCommand('echo "progress..." >&2; cat kubectl.json', {
      cwd: dir,
      info: shown.info,
    })
    expect(result.events.map((e) => e.event.reason)).toEqual([
      'ReconciliationSucceeded',
      'HealthCheckFailed',
      'UpgradeFailed',
      'NewArtifact',
      'GitOperationFailed',
      'ReconciliationSucceeded',
    ])
    expect(result.ignored).toEqual({ nonFlux: 1, trace: 1 })
    expect(shown.lines).toEqual([])
  })

  it('inherits the environment', async () => {
    const result = await readEventsCommand('printf "%s" "$FLUX_NOTIFY_TEST_EVENT"', {
      cwd: dir,
      env: { ...process.env, FLUX_NOTIFY_TEST_EVENT: JSON.stringify(EVENT) },
    })
    expect(result.events.map((e) => e.event)).toEqual([EVENT])
  })

  it('a non-zero exit is one error Problem with the code and stderr; stderr is shown', async () => {
    const shown = collectInfo()
    const result = await readEventsCommand(`sh -c 'echo boom >&2; exit 3'`, {
      cwd: dir,
      info: shown.info,
    })
    expect(result).toEqual({
      events: [],
      problems: [{ severity: 'error', message: 'events-command: exited with code 3: boom' }],
      ignored: { nonFlux: 0, trace: 0 },
    })
    expect(shown.lines).toEqual(['events-command standard error:\nboom'])
  })

  it('quotes only the last lines of a long stderr, on one line', async () => {
    const result = await readEventsCommand('printf "one\\ntwo\\n\\nthree\\nfour\\n" >&2; exit 1', {
      cwd: dir,
    })
    expect(result.problems).toEqual([
      { severity: 'error', message: 'events-command: exited with code 1: two / three / four' },
    ])
  })

  it('a command killed by a signal says so', async () => {
    const result = await readEventsCommand('kill -TERM $$', { cwd: dir })
    expect(result.problems).toEqual([
      { severity: 'error', message: 'events-command: was killed by SIGTERM' },
    ])
  })

  it('never runs event data: shell text inside events is only parsed', async () => {
    const hostile = {
      ...EVENT,
      message: '$(touch pwned-dollar) `touch pwned-backtick`; touch pwned-semicolon',
      reason: "'; touch pwned-quote; '",
    }
    await writeFile(path.join(dir, 'hostile.json'), JSON.stringify(hostile))
    const result = await readEventsCommand('cat hostile.json', { cwd: dir })
    expect(result.problems).toEqual([])
    expect(result.events.map((e) => e.event)).toEqual([hostile])
    const files = await readdir(dir)
    expect(files.filter((name) => name.startsWith('pwned'))).toEqual([])
  })
})

describe('events-command in the pipeline', () => {
  it('is read in addition to `events`, and its failure does not stop the files', async () => {
    await writeFile(path.join(dir, 'empty.yaml'), '')
    await writeFile(path.join(dir, 'one.json'), JSON.stringify(EVENT))
    const host: RunHost = {
      setSecret: () => {},
      info: () => {},
      env: {},
      readStdin: async () => '',
    }
    const base = {
      manifests: ['empty.yaml'],
      namespace: 'flux-system',
      events: ['one.json'],
      secrets: [],
      githubToken: '',
      rateLimitIntervalMs: 5 * 60_000,
      noCrossNamespaceRefs: false,
      dryRun: true,
      failOnError: true,
      cwd: dir,
    }
    const both = await runPipeline({ ...base, eventsCommand: 'cat kubectl.json' }, host)
    expect(both.eventStats).toEqual({ read: 7, nonFlux: 1, trace: 1 })

    const failing = await runPipeline({ ...base, eventsCommand: 'exit 4' }, host)
    expect(failing.eventStats.read).toBe(1)
    expect(failing.problems).toContainEqual({
      severity: 'error',
      message: 'events-command: exited with code 4',
    })
    expect(failing.exitCode).toBe(2)
  })

  it('masks secrets in the stderr it shows', async () => {
    const shown = collectInfo()
    const host: RunHost = {
      setSecret: () => {},
      info: shown.info,
      env: {},
      readStdin: async () => '',
    }
    const report = await runPipeline(
      {
        manifests: ['empty.yaml'],
        namespace: 'flux-system',
        events: [],
        eventsCommand: 'echo "auth failed for s3cr3t-value" >&2; exit 1',
        secrets: [{ text: '{"events": {"token": "s3cr3t-value"}}', label: 'secrets input' }],
        githubToken: '',
        rateLimitIntervalMs: 5 * 60_000,
        noCrossNamespaceRefs: false,
        dryRun: true,
        failOnError: true,
        cwd: dir,
      },
      host,
    )
    expect(shown.lines.join('\n')).not.toContain('s3cr3t-value')
    expect(shown.lines.join('\n')).toContain('auth failed for')
    expect(report.problems.map((p) => p.message).join('\n')).not.toContain('s3cr3t-value')
  })
})
