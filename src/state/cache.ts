/**
 * The Actions-cache backend of the state store.
 *
 * The cache holds the file store's JSON document. Cache entries are immutable, so every run saves
 * under a new key (`<prefix><run id>-<attempt>-<time>`) and restores the newest entry whose key
 * starts with the prefix. The prefix scopes the state to one repository workflow job and one set of
 * sources, so matrix jobs watching different clusters never share (or overwrite) a state.
 *
 * The transfer is `@actions/cache`'s (the service protocol, retries, tar archives), loaded only
 * when a run uses the cache. The library never throws for a service failure: it logs a warning
 * (an error for a 5xx) itself and reports a miss. A state that could not be restored or saved is
 * worth exactly one warning of ours, naming the reason, so while the library runs its annotation
 * lines are taken out of the log and turned into that one warning (see `withLibraryFailures`).
 */
import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Problem } from '../manifests/model.js'
import { cjsExports } from '../util/cjs.js'

/** What the state is about: runs with the same scope share a state. */
export interface CacheScope {
  manifests: string[]
  namespace: string
  events: string[]
  eventsCommand: string
}

/** The outcome of a restore or a save: the key restored or saved (none on a miss or failure). */
export interface CacheResult {
  key?: string
  problems: Problem[]
}

/** Bumped when the stored document changes in a way older runs could not read. */
const KEY_VERSION = 'v1'

/**
 * Whether this process can reach the Actions cache service: inside Actions, with the runtime
 * token and the service URL `@actions/cache` needs (the same rule as its `isFeatureAvailable`,
 * applied to `env`), and a cache mode that allows reading.
 */
export function cacheAvailable(env: NodeJS.ProcessEnv): boolean {
  if (env.GITHUB_ACTIONS !== 'true' || !env.ACTIONS_RUNTIME_TOKEN) return false
  if (cacheMode(env) === 'none') return false
  return serviceVersion(env) === 'v2'
    ? Boolean(env.ACTIONS_RESULTS_URL)
    : Boolean(env.ACTIONS_CACHE_URL)
}

/**
 * `flux-notify-state-v1-<16 hex>-`: every key this scope saves starts with it. The hash covers the
 * workflow, the job and the sources; lists are sorted, since their order changes nothing read.
 */
export function cacheKeyPrefix(env: NodeJS.ProcessEnv, scope: CacheScope): string {
  const identity = JSON.stringify([
    env.GITHUB_WORKFLOW ?? '',
    env.GITHUB_JOB ?? '',
    [...scope.manifests].sort(),
    scope.namespace,
    [...scope.events].sort(),
    scope.eventsCommand,
  ])
  const digest = createHash('sha256').update(identity, 'utf8').digest('hex').slice(0, 16)
  return `flux-notify-state-${KEY_VERSION}-${digest}-`
}

/**
 * Where the restored state is kept for the run. The path must be the same from run to run: the
 * library derives an entry's version from the path list, and restores only the same version.
 */
export function cacheStatePath(env: NodeJS.ProcessEnv, prefix: string): string {
  const base = env.RUNNER_TEMP || tmpdir()
  return join(base, 'flux-notify', `${prefix.replace(/-$/, '')}.json`)
}

/**
 * Restores the newest entry whose key starts with `prefix` into `path`. The primary key is one
 * no run saves (saved keys continue the prefix with a digit), so the lookup always goes by prefix.
 * A miss is no problem; a failure is one warning and the run starts with an empty state.
 */
export async function restoreStateFromCache(path: string, prefix: string): Promise<CacheResult> {
  let key: string | undefined
  let failures: string[]
  try {
    const library = await loadLibrary()
    ;({ result: key, failures } = await withLibraryFailures(() =>
      library.restoreCache([path], `${prefix}restore`, [prefix]),
    ))
  } catch (error) {
    failures = [errorText(error)]
  }
  // the library returns a key only once the archive is extracted
  if (key !== undefined) return { key, problems: [] }
  if (failures.length === 0) return { problems: [] }
  // whatever a failed extraction left behind is not a state
  rmSync(path, { force: true })
  return {
    problems: [
      {
        severity: 'warning',
        message: `state: could not restore from the Actions cache: ${mainFailure(failures, 'restore')}; starting with empty state`,
      },
    ],
  }
}

/**
 * Saves `path` under `<prefix><run id>-<attempt>-<milliseconds>`: a key no other save uses, since
 * an entry, once written, can never be replaced.
 */
export async function saveStateToCache(
  path: string,
  prefix: string,
  env: NodeJS.ProcessEnv,
): Promise<CacheResult> {
  const key = `${prefix}${env.GITHUB_RUN_ID || '0'}-${env.GITHUB_RUN_ATTEMPT || '1'}-${Date.now()}`
  const mode = cacheMode(env)
  if (mode === 'read') {
    // the library would skip the save silently: say that this run's deliveries are not kept
    return {
      problems: [saveProblem('the cache is read-only for this run (ACTIONS_CACHE_MODE=read)')],
    }
  }
  let id: number | undefined
  let failures: string[]
  try {
    const library = await loadLibrary()
    ;({ result: id, failures } = await withLibraryFailures(() => library.saveCache([path], key)))
  } catch (error) {
    failures = [errorText(error)]
  }
  // the library answers -1 when it could not save (and has said why in its log)
  if (id !== undefined && id !== -1) return { key, problems: [] }
  const reason =
    failures.length > 0 ? mainFailure(failures, 'save') : 'the cache service did not take it'
  return { problems: [saveProblem(reason)] }
}

function saveProblem(reason: string): Problem {
  return {
    severity: 'warning',
    message: `state: could not save to the Actions cache: ${reason}; the next run may send this run's notifications again`,
  }
}

type CacheLibrary = typeof import('@actions/cache')

/** `@actions/cache` and its dependencies (the Azure SDK among them) load only for the cache. */
async function loadLibrary(): Promise<CacheLibrary> {
  return cjsExports(await import('@actions/cache'))
}

/** `v2` (github.com, the results service) or `v1` (GHES), chosen as `@actions/cache` chooses. */
function serviceVersion(env: NodeJS.ProcessEnv): 'v1' | 'v2' {
  const host = new URL(env.GITHUB_SERVER_URL || 'https://github.com').hostname.toUpperCase()
  const ghes = !(host === 'GITHUB.COM' || host.endsWith('.GHE.COM') || host.endsWith('.LOCALHOST'))
  if (ghes) return 'v1'
  return env.ACTIONS_CACHE_SERVICE_V2 ? 'v2' : 'v1'
}

/** The runner's cache mode: `none`, `read`, `write`, `write-only`; '' when it sets none. */
function cacheMode(env: NodeJS.ProcessEnv): string {
  return (env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase()
}

/**
 * Runs a library call while taking its `::warning::`/`::error::` lines (and the `Failed to save:`
 * line it prints for a key it could not reserve) out of standard output: they are collected and
 * become the single warning of the caller. Every other line passes through unchanged. Nothing else
 * runs while the pipeline restores or saves the state, so the lines seen are the library's.
 */
async function withLibraryFailures<T>(
  call: () => Promise<T>,
): Promise<{ result: T; failures: string[] }> {
  const failures: string[] = []
  const stdout = process.stdout
  const write = stdout.write
  const filtered = function (
    this: NodeJS.WriteStream,
    chunk: unknown,
    ...rest: unknown[]
  ): boolean {
    if (typeof chunk === 'string') {
      const failure = failureInLine(chunk)
      if (failure !== undefined) {
        failures.push(failure)
        // a callback given to write() still expects to be called
        const callback = rest.find((argument) => typeof argument === 'function')
        if (typeof callback === 'function') (callback as () => void)()
        return true
      }
    }
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  }
  stdout.write = filtered as typeof stdout.write
  try {
    const result = await call()
    return { result, failures }
  } finally {
    stdout.write = write
  }
}

/** The message of an annotation command or a `Failed to save:` line, else undefined. */
function failureInLine(chunk: string): string | undefined {
  const line = chunk.replace(/\r?\n$/, '')
  const command = /^::(?:warning|error)(?: [^:]*)?::(.*)$/s.exec(line)
  if (command) return unescapeCommandData(command[1] ?? '')
  if (line.startsWith('Failed to save: ')) return line
  return undefined
}

/** Undoes @actions/core's escaping of a command's message. */
function unescapeCommandData(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

/**
 * The line that says why: the library's own summary (`Failed to restore: …`) without its prefix
 * when there is one, else the first thing it reported. Kept to one line.
 */
function mainFailure(failures: string[], action: 'restore' | 'save'): string {
  const marker = `Failed to ${action}: `
  const summary = failures.find((failure) => failure.startsWith(marker))
  const text = summary !== undefined ? summary.slice(marker.length) : (failures[0] ?? '')
  return text.replace(/\s*\n\s*/g, ' ').trim()
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ').trim()
}
