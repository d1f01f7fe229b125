/**
 * End to end: the `state` input through the bundle (`node dist/index.js`). Consecutive
 * scheduled-style runs over the same events share a state file: what was delivered is not sent
 * again, what failed is retried, and a journal left by a killed run counts as delivered.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeGitHub, type FakeGitHub } from '../servers/fake-github.js'
import { startRecorder, type Recorder } from '../servers/recorder.js'
import { expectNoSecrets, runAction, type ActionResult } from './harness.js'
import { manifests, SECRETS, SECRETS_INPUT, standardEvents, writeRepo } from './fleet.js'

const ALL_SECRETS = Object.values(SECRETS)
const STATE = '.flux-notify/state.json'
const ALREADY = 'already delivered by an earlier run (state)'
// the newest event of standardEvents()
const NEWEST_EVENT_MS = Date.parse('2026-07-20T10:21:07Z')

let github: FakeGitHub
let receiver: Recorder
let repo: string

beforeEach(async () => {
  github = await startFakeGitHub({ token: SECRETS.githubToken })
  receiver = await startRecorder()
  repo = await writeRepo({
    'clusters/production/notifications.yaml': manifests(github.url, receiver.url),
    'events.json': standardEvents(),
  })
})

afterEach(async () => {
  await github.close()
  await receiver.close()
  await rm(repo, { recursive: true, force: true })
})

function run(extra: Record<string, string> = {}): Promise<ActionResult> {
  return runAction({
    cwd: repo,
    inputs: {
      manifests: 'clusters/production',
      events: 'events.json',
      secrets: SECRETS_INPUT,
      'github-token': '',
      state: STATE,
      ...extra,
    },
  })
}

function results(result: ActionResult): Array<Record<string, string>> {
  return JSON.parse(result.outputs.results ?? '[]') as Array<Record<string, string>>
}

function requestsTo(path: string): number {
  return receiver.requests.filter((r) => r.path === path).length
}

function statusWrites(): number {
  return github.requests.filter((r) => r.method === 'POST' && r.path.includes('/statuses/')).length
}

/** The state file parses as JSON, and no journal or temporary file is left beside it. */
async function stateFile(): Promise<{ deliveries: Record<string, number> }> {
  const text = await readFile(join(repo, STATE), 'utf8')
  expect(await readdir(join(repo, '.flux-notify'))).toEqual(['state.json'])
  return JSON.parse(text) as { deliveries: Record<string, number> }
}

describe('state across runs', () => {
  it('sends nothing twice, and retries what failed', async () => {
    // the first Slack message (Progressing on the first commit) is refused; the second goes through
    receiver.respond('/slack', [{ status: 400, body: 'invalid_payload' }])
    const first = await run()
    expect(first.code).toBe(1)
    expect(requestsTo('/slack')).toBe(2)
    expect(requestsTo('/hook')).toBe(1)
    expect(statusWrites()).toBe(2)
    expect(first.outputs.failed).toBe('1')
    // four deliveries recorded: the failed one is not
    expect(Object.keys((await stateFile()).deliveries)).toHaveLength(4)
    expect(first.summary).toMatch(/State saved: \d+ entries, \d+ bytes in /)
    expect(first.stdout).toMatch(/State saved: \d+ entries, \d+ bytes in .*state\.json/)

    const second = await run()
    expect(second.code).toBe(0)
    // only the retry of the refused message
    expect(requestsTo('/slack')).toBe(3)
    const retried = receiver.requests.filter((r) => r.path === '/slack').at(-1)!
    expect(retried.body).toBe(receiver.requests.find((r) => r.path === '/slack')!.body)
    expect(requestsTo('/hook')).toBe(1)
    expect(statusWrites()).toBe(2)
    expect(second.outputs.sent).toBe('1')
    expect(results(second).filter((r) => r.reason === ALREADY)).toHaveLength(4)
    expect(Object.keys((await stateFile()).deliveries)).toHaveLength(5)

    const third = await run()
    expect(third.code).toBe(0)
    expect(third.outputs.sent).toBe('0')
    expect(results(third).filter((r) => r.reason === ALREADY)).toHaveLength(5)
    expect(requestsTo('/slack')).toBe(3)
    expect(requestsTo('/hook')).toBe(1)
    expect(statusWrites()).toBe(2)
    expectNoSecrets(third, ALL_SECRETS)
  })

  it('honours the journal of a killed run', async () => {
    const first = await run()
    expect(first.code).toBe(0)
    const { deliveries } = await stateFile()
    expect(Object.keys(deliveries)).toHaveLength(5)

    // what a run killed after its deliveries leaves: journal lines (the last one cut short), no
    // state file
    await rm(join(repo, STATE))
    const lines = Object.entries(deliveries).map(([key, time]) => JSON.stringify({ key, time }))
    await writeFile(join(repo, `${STATE}.journal`), `${lines.join('\n')}\n{"key":"ab`)

    const second = await run()
    expect(second.code).toBe(0)
    expect(second.annotations.filter((a) => a.startsWith('::warning'))).toEqual([])
    expect(second.outputs.sent).toBe('0')
    expect(results(second).filter((r) => r.reason === ALREADY)).toHaveLength(5)
    expect(requestsTo('/slack')).toBe(2)
    expect(requestsTo('/hook')).toBe(1)
    expect(statusWrites()).toBe(2)
    expect(Object.keys((await stateFile()).deliveries).sort()).toEqual(
      Object.keys(deliveries).sort(),
    )
  })

  it('goes on with a warning when the state file is corrupt', async () => {
    await writeRepoFile(STATE, '{"version":1,"deliveries":{"0a')
    const result = await run()
    expect(result.code).toBe(0)
    expect(result.outputs.sent).toBe('5')
    expect(
      result.annotations.some((a) => a.includes('not valid JSON: starting with empty state')),
    ).toBe(true)
    expect(Object.keys((await stateFile()).deliveries)).toHaveLength(5)
  })

  it('drops entries older than 24 hours before the newest event', async () => {
    const old = 'a'.repeat(64)
    const recent = 'b'.repeat(64)
    await writeRepoFile(
      STATE,
      JSON.stringify({
        version: 1,
        deliveries: {
          [old]: NEWEST_EVENT_MS - 25 * 3600_000,
          [recent]: NEWEST_EVENT_MS - 3600_000,
        },
        events: {},
        rateLimit: null,
      }),
    )
    const result = await run()
    expect(result.code).toBe(0)
    const { deliveries } = await stateFile()
    expect(deliveries).not.toHaveProperty(old)
    expect(deliveries[recent]).toBe(NEWEST_EVENT_MS - 3600_000)
    expect(Object.keys(deliveries)).toHaveLength(6)
  })

  it('reads the state in a dry run, and writes nothing', async () => {
    expect((await run()).code).toBe(0)
    const before = await readFile(join(repo, STATE), 'utf8')
    const beforeTime = (await stat(join(repo, STATE))).mtimeMs

    const dry = await run({ 'dry-run': 'true' })
    expect(dry.code).toBe(0)
    expect(results(dry).filter((r) => r.reason === ALREADY)).toHaveLength(5)
    expect(results(dry).filter((r) => r.outcome === 'dry-run')).toHaveLength(0)
    expect(await readFile(join(repo, STATE), 'utf8')).toBe(before)
    expect((await stat(join(repo, STATE))).mtimeMs).toBe(beforeTime)
    expect(dry.summary).toMatch(/State not written: \d+ entries/)
    await stateFile()
  })

  it('state: cache without the Actions cache service warns and delivers without state', async () => {
    const result = await run({ state: 'cache' })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(
      '::warning title=flux-notify::state: cache needs the Actions cache service (run inside GitHub Actions); running without state',
    )
    expect(receiver.requests.length).toBeGreaterThan(0)
  })
})

async function writeRepoFile(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(repo, path)), { recursive: true })
  await writeFile(join(repo, path), text)
}
