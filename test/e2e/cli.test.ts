/**
 * The command-line tool (`node dist/cli.js`): the same pipeline as the Action, a terminal table,
 * and the exit codes of design.md §1 (0 delivered or unchanged, 1 a delivery failed, 2 bad input).
 */
import { rm } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeGitHub, type FakeGitHub } from '../servers/fake-github.js'
import { startRecorder, type Recorder } from '../servers/recorder.js'
import { manifests, SECRETS, SECRETS_INPUT, SHA_B, standardEvents, writeRepo } from './fleet.js'
import { expectNoSecrets, runCli } from './harness.js'

let github: FakeGitHub
let receiver: Recorder
let repo: string

beforeEach(async () => {
  github = await startFakeGitHub({ token: SECRETS.githubToken })
  receiver = await startRecorder()
  repo = await writeRepo({
    'clusters/production/notifications.yaml': manifests(github.url, receiver.url),
    'events.json': standardEvents(),
    'secrets.yaml': SECRETS_INPUT,
  })
})

afterEach(async () => {
  await github.close()
  await receiver.close()
  await rm(repo, { recursive: true, force: true })
})

const BASE = ['--manifests', 'clusters/production', '--secrets-file', 'secrets.yaml']

describe('flux-notify', () => {
  it('reads events from standard input and prints the decision table (exit 0)', async () => {
    const result = await runCli([...BASE, '--events', '-'], { cwd: repo, stdin: standardEvents() })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^EVENT\s+ALERT\s+PROVIDER\s+OUTCOME\s+WHY/)
    expect(result.stdout).toContain('5 sent, 0 unchanged, 3 skipped, 0 failed')
    expect(github.statuses('stefanprodan/podinfo', SHA_B)).toHaveLength(1)
    expect(github.violations).toEqual([])
    expectNoSecrets(result, Object.values(SECRETS))
  })

  it('reads events from a command and from a URL', async () => {
    const fromCommand = await runCli([...BASE, '--events-command', 'cat events.json'], {
      cwd: repo,
    })
    expect(fromCommand.stderr).toBe('')
    expect(fromCommand.code).toBe(0)
    expect(fromCommand.stdout).toContain('5 sent, 0 unchanged, 3 skipped, 0 failed')

    receiver.respond('/exports/events.json', [{ status: 200, body: standardEvents() }])
    const fromUrl = await runCli(
      [...BASE, '--events', `${receiver.url}/exports/events.json`, '--dry-run'],
      { cwd: repo },
    )
    expect(fromUrl.code).toBe(0)
    expect(fromUrl.stdout).toContain('5 dry-run')

    const failing = await runCli([...BASE, '--events-command', 'echo nope >&2; exit 3'], {
      cwd: repo,
    })
    expect(failing.code).toBe(2)
    expect(failing.stderr).toContain('events-command: exited with code 3: nope')
  })

  it('prints the results as JSON with --json', async () => {
    const result = await runCli([...BASE, '--events', 'events.json', '--json', '--dry-run'], {
      cwd: repo,
    })
    expect(result.code).toBe(0)
    const rows = JSON.parse(result.stdout) as Array<{ outcome: string }>
    expect(rows.map((r) => r.outcome).sort()).toEqual([
      'dry-run',
      'dry-run',
      'dry-run',
      'dry-run',
      'dry-run',
      'skipped',
      'skipped',
      'skipped',
    ])
    expect(receiver.requests).toEqual([])
    expect(github.requests).toEqual([])
  })

  it('exits 1 when a delivery failed, and 0 with --fail-on-error false', async () => {
    receiver.respond('/hook', [{ status: 400 }, { status: 400 }])
    const failing = await runCli([...BASE, '--events', 'events.json'], { cwd: repo })
    expect(failing.code).toBe(1)
    expect(failing.stdout).toContain('1 failed')
    const tolerated = await runCli(
      [...BASE, '--events', 'events.json', '--fail-on-error', 'false'],
      {
        cwd: repo,
      },
    )
    expect(tolerated.code).toBe(0)
  })

  it('exits 2 on bad input with one line per problem and no stack trace', async () => {
    const missing = await runCli([...BASE, '--events', 'no-such-file.json'], { cwd: repo })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('no-such-file.json')
    expect(missing.stderr).not.toMatch(/\n\s+at /)

    const badFlag = await runCli(['--rate-limit-interval', 'five minutes'], { cwd: repo })
    expect(badFlag.code).toBe(2)
    expect(badFlag.stderr.trim().split('\n')).toHaveLength(1)
    expect(badFlag.stderr).toContain('rate-limit-interval')

    const unknownFlag = await runCli(['--manifest', 'x'], { cwd: repo })
    expect(unknownFlag.code).toBe(2)
    expect(unknownFlag.stderr).toContain("Unknown option '--manifest'")
  })
})
