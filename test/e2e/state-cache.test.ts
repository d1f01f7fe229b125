/**
 * End to end: `state: cache` and the default `auto` through the bundle (`node dist/index.js`),
 * against a loopback fake of the Actions cache service. Each run gets a fresh runner temp
 * directory, as a new job does, so whatever a run knows of earlier ones came from the cache.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeActionsCache, type FakeActionsCache } from '../servers/fake-actions-cache.js'
import { startFakeGitHub, type FakeGitHub } from '../servers/fake-github.js'
import { startRecorder, type Recorder } from '../servers/recorder.js'
import { expectNoSecrets, runAction, type ActionResult } from './harness.js'
import { manifests, SECRETS, SECRETS_INPUT, standardEvents, writeRepo } from './fleet.js'

const RUNTIME_TOKEN = 'actions-runtime-token-5d41402abc4b2a76b9719d911017c592'
const ALL_SECRETS = [...Object.values(SECRETS), RUNTIME_TOKEN]
const ALREADY = 'already delivered by an earlier run (state)'
const KEY = 'flux-notify-state-v1-[0-9a-f]{16}-'

let cache: FakeActionsCache
let github: FakeGitHub
let receiver: Recorder
let repo: string
let runnerTemp: string
let runId = 1000

beforeEach(async () => {
  cache = await startFakeActionsCache({ token: RUNTIME_TOKEN })
  github = await startFakeGitHub({ token: SECRETS.githubToken })
  receiver = await startRecorder()
  const notifications = manifests(github.url, receiver.url)
  repo = await writeRepo({
    'clusters/production/notifications.yaml': notifications,
    'clusters/staging/notifications.yaml': notifications,
    'events.json': standardEvents(),
  })
  runnerTemp = await mkdtemp(join(tmpdir(), 'flux-notify-runner-'))
})

afterEach(async () => {
  await cache.close()
  await github.close()
  await receiver.close()
  await rm(repo, { recursive: true, force: true })
  await rm(runnerTemp, { recursive: true, force: true })
})

/** One scheduled run on a fresh runner (the same RUNNER_TEMP path, emptied). */
async function run(inputs: Record<string, string> = {}): Promise<ActionResult> {
  for (const name of await readdir(runnerTemp)) {
    await rm(join(runnerTemp, name), { recursive: true, force: true })
  }
  runId += 1
  return runAction({
    cwd: repo,
    inputs: {
      manifests: 'clusters/production',
      events: 'events.json',
      secrets: SECRETS_INPUT,
      'github-token': '',
      ...inputs,
    },
    env: {
      ...cache.env('v2'),
      RUNNER_TEMP: runnerTemp,
      GITHUB_WORKFLOW: 'flux-notify',
      GITHUB_JOB: 'notify',
      GITHUB_RUN_ID: String(runId),
      GITHUB_RUN_ATTEMPT: '1',
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

/** The key the run's info line and summary say it saved under. */
function savedKey(result: ActionResult): string {
  const match = new RegExp(
    `State saved: \\d+ entries, \\d+ bytes in the Actions cache \\(key (${KEY}\\d+-1-\\d+)\\)`,
  ).exec(result.stdout)
  expect(match, 'state line in the log').not.toBeNull()
  expect(result.summary).toContain(`the Actions cache (key ${match![1]!})`)
  return match![1]!
}

/** warnings and errors about the state or the cache (a failed delivery is one of neither) */
function stateWarnings(result: ActionResult): string[] {
  return result.annotations.filter((a) => /^::(warning|error)/.test(a) && /state|cache/i.test(a))
}

describe.each(['cache', 'auto'])('state: %s with the Actions cache', (state) => {
  it('sends nothing twice across runs, and retries what failed', async () => {
    // the first Slack message is refused in run one
    receiver.respond('/slack', [{ status: 400, body: 'invalid_payload' }])
    const first = await run({ state })
    expect(first.code).toBe(1)
    expect(first.outputs.failed).toBe('1')
    expect(requestsTo('/slack')).toBe(2)
    expect(requestsTo('/hook')).toBe(1)
    expect(statusWrites()).toBe(2)
    const firstKey = savedKey(first)
    expect(firstKey).toMatch(new RegExp(`^${KEY}${runId}-1-\\d+$`))
    expect(stateWarnings(first)).toEqual([])

    const second = await run({ state })
    expect(second.code).toBe(0)
    // restored the first run's entry by prefix
    expect(second.stdout).toContain(`Cache hit for restore-key: ${firstKey}`)
    // only the retry of the refused message went out
    expect(stateWarnings(second)).toEqual([])
    expect(second.outputs.sent).toBe('1')
    expect(requestsTo('/slack')).toBe(3)
    expect(requestsTo('/hook')).toBe(1)
    expect(statusWrites()).toBe(2)
    expect(results(second).filter((r) => r.reason === ALREADY)).toHaveLength(4)
    const secondKey = savedKey(second)
    expect(secondKey).not.toBe(firstKey)
    expect(secondKey.slice(0, -14)).not.toBe(firstKey.slice(0, -14))

    const third = await run({ state })
    expect(third.code).toBe(0)
    expect(third.stdout).toContain(`Cache hit for restore-key: ${secondKey}`)
    expect(third.outputs.sent).toBe('0')
    expect(results(third).filter((r) => r.reason === ALREADY)).toHaveLength(5)
    expect(requestsTo('/slack')).toBe(3)
    expect(requestsTo('/hook')).toBe(1)
    expect(statusWrites()).toBe(2)

    // three immutable entries, one per run, all under the same prefix
    const keys = cache.entries.filter((e) => e.finalized).map((e) => e.key)
    expect(keys).toEqual([firstKey, secondKey, savedKey(third)])
    for (const result of [first, second, third]) expectNoSecrets(result, ALL_SECRETS)
  })
})

describe('matrix jobs', () => {
  it('keep separate states for separate manifests', async () => {
    const production = await run({ state: 'cache', manifests: 'clusters/production' })
    expect(production.code).toBe(0)
    expect(production.outputs.sent).toBe('5')
    const productionKey = savedKey(production)

    // the staging job has never run: it restores nothing and sends everything itself
    const staging = await run({ state: 'cache', manifests: 'clusters/staging' })
    expect(staging.code).toBe(0)
    expect(staging.stdout).not.toContain('Cache hit')
    // the chat messages again; the commit statuses are already there on the fake GitHub
    expect(staging.outputs.sent).toBe('3')
    expect(staging.outputs.unchanged).toBe('2')
    expect(results(staging).filter((r) => r.reason === ALREADY)).toHaveLength(0)
    expect(requestsTo('/slack')).toBe(4)
    expect(requestsTo('/hook')).toBe(2)
    const stagingKey = savedKey(staging)
    expect(stagingKey.slice(0, 38)).not.toBe(productionKey.slice(0, 38))

    // each job's next run finds its own state, not the other's newer one
    const productionAgain = await run({ state: 'cache', manifests: 'clusters/production' })
    expect(productionAgain.stdout).toContain(`Cache hit for restore-key: ${productionKey}`)
    expect(productionAgain.outputs.sent).toBe('0')
    const stagingAgain = await run({ state: 'cache', manifests: 'clusters/staging' })
    expect(stagingAgain.stdout).toContain(`Cache hit for restore-key: ${stagingKey}`)
    expect(stagingAgain.outputs.sent).toBe('0')
    expect(requestsTo('/slack')).toBe(4)
    for (const result of [production, staging, productionAgain, stagingAgain]) {
      expect(stateWarnings(result)).toEqual([])
    }
    expectNoSecrets(stagingAgain, ALL_SECRETS)
  })
})

describe('a cache service that is down', () => {
  it('is one warning on restore and one on save, and the notifications still go out', async () => {
    await cache.close()
    const result = await run({ state: 'cache' })
    expect(result.code).toBe(0)
    expect(result.outputs.sent).toBe('5')
    expect(stateWarnings(result)).toEqual([
      expect.stringMatching(
        /^::warning title=flux-notify::state: could not restore from the Actions cache: .*ECONNREFUSED.*; starting with empty state$/,
      ),
      expect.stringMatching(
        /^::warning title=flux-notify::state: could not save to the Actions cache: .+; the next run may send this run's notifications again$/,
      ),
    ])
    expect(result.stdout).toMatch(/State not written: \d+ entries, \d+ bytes in /)
    expectNoSecrets(result, ALL_SECRETS)
  })
})
