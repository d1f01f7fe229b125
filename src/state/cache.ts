/**
 * The Actions-cache backend of the state store (STUB: the real one is being written).
 *
 * The cache holds the file store's JSON document. Cache entries are immutable, so every run saves
 * under a new key (`<prefix><run id>-<attempt>-<time>`) and restores the newest entry whose key
 * starts with the prefix. The prefix scopes the state to one repository workflow job and one set of
 * sources, so matrix jobs watching different clusters never share (or overwrite) a state.
 */
import type { Problem } from '../manifests/model.js'

/** What the state is about: runs with the same scope share a state. */
export interface CacheScope {
  manifests: string[]
  namespace: string
  events: string[]
  eventsCommand: string
}

/** Whether this process can reach the Actions cache service (it runs in Actions, with its env). */
export function cacheAvailable(env: NodeJS.ProcessEnv): boolean {
  return env.GITHUB_ACTIONS === 'true' && Boolean(env.ACTIONS_RUNTIME_TOKEN)
}

/** `flux-notify-state-…-`: every key this scope saves starts with it. */
export function cacheKeyPrefix(env: NodeJS.ProcessEnv, scope: CacheScope): string {
  void env
  void scope
  return 'flux-notify-state-'
}

/** Where the restored state is kept for the run (a file in the runner's temp directory). */
export function cacheStatePath(env: NodeJS.ProcessEnv, prefix: string): string {
  void env
  return `/tmp/${prefix}state.json`
}

/** Restores the newest entry under `prefix` into `path`; a miss is no problem. */
export async function restoreStateFromCache(
  path: string,
  prefix: string,
): Promise<{ key?: string; problems: Problem[] }> {
  void path
  void prefix
  return { problems: [{ severity: 'warning', message: 'state: cache is not implemented yet' }] }
}

/** Saves `path` under a new key starting with `prefix`. */
export async function saveStateToCache(
  path: string,
  prefix: string,
  env: NodeJS.ProcessEnv,
): Promise<{ key?: string; problems: Problem[] }> {
  void path
  void prefix
  void env
  return { problems: [] }
}
