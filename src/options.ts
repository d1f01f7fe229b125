/**
 * The run's settings, the same for the Action and the CLI. `src/inputs.ts` builds them from
 * `INPUT_*` variables, `src/cli.ts` from flags; both validate through `parseRunOptions`.
 */
import { isAbsolute, resolve } from 'node:path'
import { parseAwaitedObject, parseAwaitedRevision, type AwaitedObject } from './routing/await.js'
import { parseGoDuration } from './util/duration.js'

/**
 * Where duplicate-suppression state lives between runs (design §3). `auto` is resolved by the
 * pipeline: the Actions cache when the run has one, otherwise none.
 */
export type StateOption =
  { kind: 'none' } | { kind: 'auto' } | { kind: 'cache' } | { kind: 'file'; path: string }

/** Poll mode (`wait-for-revision`, design §3): wait until the cluster reconciled a commit. */
export interface PollOptions {
  /** the input as written: a SHA or a Flux revision (`main@sha1:<sha>`) */
  revision: string
  /** the commit SHA it names, lower case */
  sha: string
  /** `wait-for`; empty = the default set from the manifests (see `defaultAwaitedObjects`) */
  waitFor: AwaitedObject[]
  intervalMs: number
  timeoutMs: number
}

/** `run` routes and delivers; `lint` only loads and checks the configuration (sends nothing). */
export type RunMode = 'run' | 'lint'

export interface RunOptions {
  /**
   * files, directories or globs holding Alert/Provider/Secret and Flux object manifests; `!`
   * entries exclude. Empty when only `manifestsCommand` supplies manifests.
   */
  manifests: string[]
  /** commands (one per line) whose standard output is a YAML stream of manifests; '' none */
  manifestsCommand?: string
  /** the `substitute` input as written: a YAML map of post-build variables; '' none */
  substitute?: string
  /** `Kustomization/<namespace>/<name>` whose `postBuild` supplies variables; '' none */
  substituteFrom?: string
  /** absent = `run` */
  mode?: RunMode
  /** namespace of manifests that carry none */
  namespace: string
  /**
   * event files, globs or `http(s)://` URLs; `-` is standard input; empty (and no
   * `eventsCommand`) = the repository_dispatch payload
   */
  events: string[]
  /** a shell command whose standard output is read as events, in addition to `events`; '' none */
  eventsCommand?: string
  /** YAML/JSON maps `secretName: {key: value}`, each with a label for messages */
  secrets: { text: string; label: string }[]
  /** token for GitHub-type providers whose secret has none */
  githubToken: string
  rateLimitIntervalMs: number
  noCrossNamespaceRefs: boolean
  dryRun: boolean
  failOnError: boolean
  /**
   * the state store; a file path is absolute (resolved against `cwd`). Optional (absent = none) so
   * that callers built before it existed need not name it.
   */
  state?: StateOption
  /** poll mode; absent = one pass over the events */
  poll?: PollOptions
  /** directory relative paths are resolved against */
  cwd: string
}

/** Raw string settings, as inputs or flags give them. */
export interface RawOptions {
  manifests: string
  /** the fleet-repository settings; optional so that hosts without them need not name them */
  manifestsCommand?: string
  substitute?: string
  substituteFrom?: string
  mode?: string
  namespace: string
  events: string
  /** optional so that hosts without the setting need not name it */
  eventsCommand?: string
  secrets: { text: string; label: string }[]
  githubToken: string
  rateLimitInterval: string
  noCrossNamespaceRefs: string
  dryRun: string
  failOnError: string
  /** `none`, `auto`, `cache` or a file path; optional so that hosts without the setting need not name it */
  state?: string
  /** poll mode's settings; optional so that hosts without them need not name them */
  waitForRevision?: string
  waitFor?: string
  pollInterval?: string
  timeout?: string
  cwd: string
}

export class OptionError extends Error {}

export const DEFAULTS = {
  manifests: '.',
  namespace: 'flux-system',
  rateLimitInterval: '5m',
  noCrossNamespaceRefs: 'false',
  dryRun: 'false',
  failOnError: 'true',
  state: 'auto',
  pollInterval: '15s',
  timeout: '10m',
} as const

/** Splits a newline-separated list, dropping blank lines and `#` comments. */
export function splitList(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

function parseBoolean(name: string, value: string, fallback: string): boolean {
  const v = (value.trim() || fallback).toLowerCase()
  if (v === 'true') return true
  if (v === 'false') return false
  throw new OptionError(`${name}: expected true or false, got '${value}'`)
}

function parseDuration(name: string, value: string, fallback: string): number {
  const v = value.trim() || fallback
  try {
    return parseGoDuration(v)
  } catch {
    throw new OptionError(`${name}: '${v}' is not a duration like 30s, 5m or 1h30m`)
  }
}

/** `none`, `auto`, `cache` or a file path. */
export function parseStateOption(value: string, cwd: string): StateOption {
  const v = value.trim() || DEFAULTS.state
  if (v === 'none' || v === 'auto' || v === 'cache') return { kind: v }
  return { kind: 'file', path: isAbsolute(v) ? v : resolve(cwd, v) }
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export function parseRunOptions(raw: RawOptions): RunOptions {
  const namespace = raw.namespace.trim() || DEFAULTS.namespace
  if (!NAMESPACE.test(namespace) || namespace.length > 63) {
    throw new OptionError(`namespace: '${namespace}' is not a valid Kubernetes namespace`)
  }
  const interval = parseDuration(
    'rate-limit-interval',
    raw.rateLimitInterval,
    DEFAULTS.rateLimitInterval,
  )
  if (interval <= 0) throw new OptionError('rate-limit-interval: must be greater than zero')
  const manifestsCommand = (raw.manifestsCommand ?? '').trim()
  return {
    manifests: manifestEntries(raw.manifests, manifestsCommand),
    manifestsCommand,
    substitute: raw.substitute ?? '',
    substituteFrom: (raw.substituteFrom ?? '').trim(),
    mode: parseMode(raw.mode ?? ''),
    namespace,
    events: splitList(raw.events),
    // kept as written (multi-line scripts included): only surrounding blank space is dropped
    eventsCommand: (raw.eventsCommand ?? '').trim(),
    secrets: raw.secrets.filter((s) => s.text.trim() !== ''),
    githubToken: raw.githubToken.trim(),
    rateLimitIntervalMs: interval,
    noCrossNamespaceRefs: parseBoolean(
      'no-cross-namespace-refs',
      raw.noCrossNamespaceRefs,
      DEFAULTS.noCrossNamespaceRefs,
    ),
    dryRun: parseBoolean('dry-run', raw.dryRun, DEFAULTS.dryRun),
    failOnError: parseBoolean('fail-on-error', raw.failOnError, DEFAULTS.failOnError),
    state: parseStateOption(raw.state ?? '', raw.cwd),
    poll: parsePollOptions(raw, namespace),
    cwd: raw.cwd,
  }
}

/**
 * The `manifests` entries. Left empty, it is `.` — unless `manifests-command` is set: then the
 * command's output is the configuration, and reading the whole checkout beside it would load
 * every cluster's objects again (duplicates). Entries that are all `!` exclusions apply to `.`.
 */
export function manifestEntries(manifests: string, manifestsCommand: string): string[] {
  const entries = splitList(manifests)
  if (entries.length === 0) return manifestsCommand === '' ? [DEFAULTS.manifests] : []
  if (entries.every((e) => e.startsWith('!'))) return [DEFAULTS.manifests, ...entries]
  return entries
}

function parseMode(value: string): RunMode {
  const v = value.trim() || 'run'
  if (v === 'run' || v === 'lint') return v
  throw new OptionError(`mode: expected run or lint, got '${value}'`)
}

/** `wait-for-revision` and its companions; undefined when it is empty (no poll mode). */
export function parsePollOptions(raw: RawOptions, namespace: string): PollOptions | undefined {
  const revision = (raw.waitForRevision ?? '').trim()
  if (revision === '') return undefined
  const sha = parseAwaitedRevision(revision)
  if (typeof sha !== 'string') throw new OptionError(sha.error)
  const waitFor: AwaitedObject[] = []
  for (const line of splitList(raw.waitFor ?? '')) {
    const object = parseAwaitedObject(line, namespace)
    if ('error' in object) throw new OptionError(object.error)
    waitFor.push(object)
  }
  const intervalMs = parseDuration('poll-interval', raw.pollInterval ?? '', DEFAULTS.pollInterval)
  if (intervalMs <= 0) throw new OptionError('poll-interval: must be greater than zero')
  const timeoutMs = parseDuration('timeout', raw.timeout ?? '', DEFAULTS.timeout)
  if (timeoutMs <= 0) throw new OptionError('timeout: must be greater than zero')
  return { revision, sha, waitFor, intervalMs, timeoutMs }
}
