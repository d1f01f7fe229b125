/**
 * The Actions-cache backend of the state store (src/state/cache.ts) against a loopback fake of the
 * cache service, through the real `@actions/cache` library (which reads `process.env`).
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  cacheAvailable,
  cacheKeyPrefix,
  cacheStatePath,
  restoreStateFromCache,
  saveStateToCache,
  type CacheScope,
} from '../../src/state/cache.js'
import { startFakeActionsCache, type FakeActionsCache } from '../servers/fake-actions-cache.js'

const TOKEN = 'runtime-token-3f9c2a7e1b'
const PREFIX_FORMAT = /^flux-notify-state-v1-[0-9a-f]{16}-$/

const SCOPE: CacheScope = {
  manifests: ['clusters/production'],
  namespace: 'flux-system',
  events: ['events.json'],
  eventsCommand: '',
}
const JOB = { GITHUB_WORKFLOW: 'notify', GITHUB_JOB: 'flux' }

describe('cacheKeyPrefix', () => {
  it('is the documented shape, and the same for the same inputs', () => {
    const prefix = cacheKeyPrefix(JOB, SCOPE)
    expect(prefix).toMatch(PREFIX_FORMAT)
    expect(cacheKeyPrefix({ ...JOB }, { ...SCOPE, manifests: ['clusters/production'] })).toBe(
      prefix,
    )
  })

  it('separates matrix jobs watching different clusters', () => {
    const production = cacheKeyPrefix(JOB, SCOPE)
    const staging = cacheKeyPrefix(JOB, { ...SCOPE, manifests: ['clusters/staging'] })
    expect(staging).toMatch(PREFIX_FORMAT)
    expect(staging).not.toBe(production)
    // no prefix is a prefix of another's keys
    expect(staging.startsWith(production)).toBe(false)
    expect(production.startsWith(staging)).toBe(false)
  })

  it('changes with the workflow, the job and each source', () => {
    const base = cacheKeyPrefix(JOB, SCOPE)
    const variants = [
      cacheKeyPrefix({ ...JOB, GITHUB_WORKFLOW: 'other' }, SCOPE),
      cacheKeyPrefix({ ...JOB, GITHUB_JOB: 'other' }, SCOPE),
      cacheKeyPrefix(JOB, { ...SCOPE, namespace: 'apps' }),
      cacheKeyPrefix(JOB, { ...SCOPE, events: ['other.json'] }),
      cacheKeyPrefix(JOB, { ...SCOPE, eventsCommand: 'kubectl get events -A -o json' }),
      // a boundary moved between fields is another scope, not the same string
      cacheKeyPrefix({ GITHUB_WORKFLOW: 'notifyflux', GITHUB_JOB: '' }, SCOPE),
    ]
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1)
  })

  it('does not depend on the order of the lists', () => {
    const scope = { ...SCOPE, manifests: ['a', 'b'], events: ['x.json', 'y.json'] }
    const reordered = { ...SCOPE, manifests: ['b', 'a'], events: ['y.json', 'x.json'] }
    expect(cacheKeyPrefix(JOB, reordered)).toBe(cacheKeyPrefix(JOB, scope))
  })
})

describe('cacheAvailable', () => {
  const actions = { GITHUB_ACTIONS: 'true', ACTIONS_RUNTIME_TOKEN: TOKEN }
  it.each([
    [
      'v2 with the results URL',
      { ...actions, ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_RESULTS_URL: 'http://127.0.0.1:1/' },
      true,
    ],
    [
      'v2 without the results URL',
      { ...actions, ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_CACHE_URL: 'http://127.0.0.1:1/' },
      false,
    ],
    ['v1 with the cache URL', { ...actions, ACTIONS_CACHE_URL: 'http://127.0.0.1:1/' }, true],
    [
      'v1 with only the results URL',
      { ...actions, ACTIONS_RESULTS_URL: 'http://127.0.0.1:1/' },
      false,
    ],
    [
      'GHES ignores the v2 flag',
      {
        ...actions,
        GITHUB_SERVER_URL: 'https://ghes.example.com',
        ACTIONS_CACHE_SERVICE_V2: 'true',
        ACTIONS_CACHE_URL: 'http://127.0.0.1:1/',
      },
      true,
    ],
    [
      'no runtime token',
      { GITHUB_ACTIONS: 'true', ACTIONS_CACHE_URL: 'http://127.0.0.1:1/' },
      false,
    ],
    [
      'outside Actions',
      { ACTIONS_RUNTIME_TOKEN: TOKEN, ACTIONS_CACHE_URL: 'http://127.0.0.1:1/' },
      false,
    ],
    [
      'cache mode none',
      { ...actions, ACTIONS_CACHE_URL: 'http://127.0.0.1:1/', ACTIONS_CACHE_MODE: 'none' },
      false,
    ],
  ])('%s', (_name, env, expected) => {
    expect(cacheAvailable(env)).toBe(expected)
  })
})

describe('cacheStatePath', () => {
  it('is a stable file under RUNNER_TEMP/flux-notify, else the system temp directory', () => {
    const prefix = cacheKeyPrefix(JOB, SCOPE)
    const path = cacheStatePath({ RUNNER_TEMP: '/runner/_temp' }, prefix)
    expect(path).toBe(`/runner/_temp/flux-notify/${prefix.slice(0, -1)}.json`)
    expect(cacheStatePath({ RUNNER_TEMP: '/runner/_temp' }, prefix)).toBe(path)
    expect(cacheStatePath({}, prefix)).toBe(
      join(tmpdir(), 'flux-notify', `${prefix.slice(0, -1)}.json`),
    )
  })
})

describe('restore and save through the cache service', () => {
  let service: FakeActionsCache
  let temp: string
  let path: string
  let stdout: string
  let restoreStdout: () => void
  const saved = new Map<string, string | undefined>()

  function setEnv(values: Record<string, string>): void {
    for (const [name, value] of Object.entries(values)) {
      if (!saved.has(name)) saved.set(name, process.env[name])
      process.env[name] = value
    }
  }

  beforeEach(async () => {
    service = await startFakeActionsCache({ token: TOKEN })
    temp = await mkdtemp(join(tmpdir(), 'flux-notify-cache-'))
    setEnv({ ...service.env('v2'), RUNNER_TEMP: join(temp, 'runner'), GITHUB_WORKSPACE: temp })
    await mkdir(join(temp, 'runner'), { recursive: true })
    path = cacheStatePath(process.env, PREFIX)
    // what reaches standard output (the library's log lines that were let through)
    stdout = ''
    const write = process.stdout.write
    process.stdout.write = function (chunk: unknown, ...rest: unknown[]): boolean {
      if (typeof chunk === 'string') stdout += chunk
      return (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest)
    } as typeof process.stdout.write
    restoreStdout = () => (process.stdout.write = write)
  })

  afterEach(async () => {
    restoreStdout()
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    saved.clear()
    await service.close()
    await rm(temp, { recursive: true, force: true })
  })

  const PREFIX = cacheKeyPrefix(JOB, SCOPE)
  const RUN = { GITHUB_RUN_ID: '9876543210', GITHUB_RUN_ATTEMPT: '2' }

  async function writeState(text: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, text)
  }

  it('saves under a unique key and restores the newest entry of the prefix', async () => {
    await writeState('{"first":true}')
    const first = await saveStateToCache(path, PREFIX, RUN)
    expect(first.problems).toEqual([])
    expect(first.key).toMatch(new RegExp(`^${PREFIX}9876543210-2-\\d{13}$`))

    await new Promise((resolve) => setTimeout(resolve, 2))
    await writeState('{"second":true}')
    const second = await saveStateToCache(path, PREFIX, RUN)
    expect(second.problems).toEqual([])
    expect(second.key).not.toBe(first.key)

    // another scope saves later: never restored under this prefix
    const otherPrefix = cacheKeyPrefix(JOB, { ...SCOPE, manifests: ['clusters/staging'] })
    const otherPath = cacheStatePath(process.env, otherPrefix)
    await mkdir(dirname(otherPath), { recursive: true })
    await writeFile(otherPath, '{"other":true}')
    expect((await saveStateToCache(otherPath, otherPrefix, RUN)).problems).toEqual([])

    expect(service.entries.filter((e) => e.finalized).map((e) => e.key)).toHaveLength(3)
    await rm(join(temp, 'runner', 'flux-notify'), { recursive: true })

    const restored = await restoreStateFromCache(path, PREFIX)
    expect(restored).toEqual({ key: second.key, problems: [] })
    expect(await readFile(path, 'utf8')).toBe('{"second":true}')
    expect(existsSync(otherPath)).toBe(false)

    // the lookup went by prefix, with a primary key no save uses
    const lookups = service.requests.filter((r) => r.path.endsWith('/GetCacheEntryDownloadURL'))
    const body = JSON.parse(lookups[0]!.body.toString('utf8')) as Record<string, unknown>
    expect(body.restore_keys).toEqual([PREFIX])
    expect(service.entries.some((e) => e.key === body.key)).toBe(false)
    expect(stdout).not.toMatch(/^::(warning|error)/m)
  })

  it('a miss is no problem', async () => {
    const restored = await restoreStateFromCache(path, PREFIX)
    expect(restored).toEqual({ problems: [] })
    expect(existsSync(path)).toBe(false)
    expect(stdout).not.toMatch(/^::(warning|error)/m)
  })

  it('works with the v1 service (GHES) too', async () => {
    setEnv({ ...service.env('v1'), ACTIONS_CACHE_SERVICE_V2: '' })
    await writeState('{"v1":true}')
    const save = await saveStateToCache(path, PREFIX, RUN)
    expect(save.problems).toEqual([])
    expect(service.requests.some((r) => r.method === 'PATCH')).toBe(true)
    await rm(path)
    const restored = await restoreStateFromCache(path, PREFIX)
    expect(restored).toEqual({ key: save.key, problems: [] })
    expect(await readFile(path, 'utf8')).toBe('{"v1":true}')
  })

  it('a service answering 500 is one warning, and the run goes on with an empty state', async () => {
    service.failNext(10, { status: 500, body: '{"code":"internal","msg":"boom"}' })
    const restored = await restoreStateFromCache(path, PREFIX)
    expect(restored.key).toBeUndefined()
    expect(restored.problems).toHaveLength(1)
    expect(restored.problems[0]!.severity).toBe('warning')
    expect(restored.problems[0]!.message).toMatch(
      /^state: could not restore from the Actions cache: .*\(500\).*; starting with empty state$/,
    )
    // the library's own warning/error lines became that one warning
    expect(stdout).not.toMatch(/^::(warning|error)/m)
  }, 90_000)

  it('a damaged archive is one warning, and leaves no state file', async () => {
    await writeState('{"good":true}')
    expect((await saveStateToCache(path, PREFIX, RUN)).problems).toEqual([])
    const version = service.entries[0]!.version
    service.seed({ key: `${PREFIX}9876543211-1-1`, version, data: Buffer.from('not an archive') })
    const restored = await restoreStateFromCache(path, PREFIX)
    expect(restored.key).toBeUndefined()
    expect(restored.problems).toHaveLength(1)
    expect(restored.problems[0]!.message).toMatch(
      /^state: could not restore from the Actions cache: .+; starting with empty state$/,
    )
    expect(existsSync(path)).toBe(false)
  })

  it('a save the service refuses is one warning and no key', async () => {
    await writeState('{"x":1}')
    await service.close()
    const save = await saveStateToCache(path, PREFIX, RUN)
    expect(save.key).toBeUndefined()
    expect(save.problems).toHaveLength(1)
    expect(save.problems[0]!.message).toMatch(/^state: could not save to the Actions cache: .+/)
    expect(stdout).not.toMatch(/^::(warning|error)/m)
  })

  it('a read-only cache is said, not skipped silently', async () => {
    await writeState('{"x":1}')
    const save = await saveStateToCache(path, PREFIX, { ...RUN, ACTIONS_CACHE_MODE: 'read' })
    expect(save.key).toBeUndefined()
    expect(save.problems.map((p) => p.message)).toEqual([
      "state: could not save to the Actions cache: the cache is read-only for this run (ACTIONS_CACHE_MODE=read); the next run may send this run's notifications again",
    ])
    expect(service.requests).toEqual([])
  })

  it('never prints the runtime token', async () => {
    await writeState('{"x":1}')
    await saveStateToCache(path, PREFIX, RUN)
    await restoreStateFromCache(path, PREFIX)
    expect(
      service.requests.every(
        (r) => r.path.startsWith('/blob/') || r.headers.authorization === `Bearer ${TOKEN}`,
      ),
    ).toBe(true)
    expect(stdout).not.toContain(TOKEN)
  })
})
