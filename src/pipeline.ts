/**
 * The one place that knows the order of the stages:
 *
 *   manifests ─► secrets ─► providers ─► events ─► state ─► route (clean-up, rate limit, match,
 *             gate) ─► drop what earlier runs delivered ─► deliver (journalling) ─► save state ─► report
 *
 * Stages are pure functions over plain data; the IO edges (files, stdin, HTTP) are the `sources/`
 * readers and `delivery/`. The Action (`main.ts`) and the CLI (`cli.ts`) both call `runPipeline`
 * and differ only in how they report.
 */
import type { CompiledExpr } from './cel/commit-status-expr.js'
import type { SourcedEvent } from './events/model.js'
import { loadManifests, secretsFromInput } from './manifests/load.js'
import { findSecret, isSecretKey } from './manifests/secrets.js'
import type { Config, Problem } from './manifests/model.js'
import { resolveProviders } from './manifests/resolve.js'
import type { RunOptions } from './options.js'
import { loadProvider } from './providers/registry.js'
import type { ResolvedProvider } from './providers/types.js'
import { countOutcomes, type Counts, type Decision } from './results.js'
import { inRoutingOrder, planNotifications } from './routing/plan.js'
import { deliver } from './delivery/deliver.js'
import { maskSecrets } from './delivery/mask.js'
import { readDispatchPayload } from './sources/dispatch.js'
import { readEventsCommand } from './sources/command.js'
import { readEventFiles } from './sources/event-files.js'
import { findManifestFiles } from './sources/manifest-files.js'
import { readEventUrl } from './sources/url.js'
import { loadStateFile, saveStateFile, StateJournal } from './state/file.js'
import {
  dropDelivered,
  eventKey,
  eventTime,
  expireState,
  newestTime,
  plannedDeliveryKey,
  ReplayingLimiter,
  serializeState,
  stateEntries,
  STATE_VERSION,
  type StateStore,
} from './state/store.js'

/** What the pipeline needs from its host (the Action or the terminal). */
export interface RunHost {
  /** registers a value that must never be printed (`core.setSecret` in the Action) */
  setSecret(value: string): void
  info(message: string): void
  env: NodeJS.ProcessEnv
  readStdin(): Promise<string>
}

export interface RunReport {
  decisions: Decision[]
  problems: Problem[]
  warnings: string[]
  counts: Counts
  /** events read, and those ignored as non-Flux or trace-only */
  eventStats: { read: number; nonFlux: number; trace: number }
  /** the state file's size after the run (before it, in a dry run); absent without state */
  state?: StateSize
  /** 0 all delivered or unchanged, 1 a delivery failed (with fail-on-error), 2 bad configuration or input */
  exitCode: 0 | 1 | 2
}

export interface StateSize {
  path: string
  entries: number
  bytes: number
  /** false in a dry run (read, never written) or when writing failed */
  written: boolean
  /** with the Actions cache: the key this run saved under, and the one it restored */
  cacheKey?: string
  restoredKey?: string
}

export async function runPipeline(options: RunOptions, host: RunHost): Promise<RunReport> {
  const problems: Problem[] = []
  const secretValues = new Set<string>()
  const remember = (value: string | undefined): void => {
    if (value && value.trim() !== '' && !secretValues.has(value)) {
      secretValues.add(value)
      host.setSecret(value)
    }
  }
  remember(options.githubToken)

  // 1. Manifests and secrets.
  const found = await findManifestFiles(options.manifests, options.cwd)
  problems.push(...found.problems)
  const config = loadManifests(found.files, { defaultNamespace: options.namespace })
  problems.push(...config.problems)
  for (const input of options.secrets) {
    const parsed = secretsFromInput(input.text, options.namespace, input.label)
    problems.push(...parsed.problems)
    for (const secret of parsed.secrets) config.secrets.set(secretKey(secret), secret)
  }
  for (const secret of config.secrets.values()) {
    for (const [key, value] of Object.entries(secret.data)) if (isSecretKey(key)) remember(value)
  }

  // 2. Providers: secrets applied, then each type's own checks (the controller's constructor errors).
  const resolved = resolveProviders(config, { githubToken: options.githubToken })
  problems.push(...resolved.problems)
  await validateProviders(config, resolved.providers, problems)
  const commitStatusExprs = await compileCommitStatusExprs(config, problems)

  // 3. Events.
  // the command's standard error may carry a secret the host does not mask (the CLI's terminal)
  const info = (message: string): void => host.info(maskSecrets(message, [...secretValues]))
  const read = await readEvents(options, { ...host, info }, config)
  problems.push(...read.problems)

  // 4. State from earlier runs (read in a dry run too, so it shows what would be skipped).
  const target = await openState(options, host.env, read.events.length, problems)
  const statePath = target?.path
  let stored: StateStore | undefined
  if (statePath !== undefined) {
    const loaded = loadStateFile(statePath)
    problems.push(...loaded.problems)
    stored = loaded.state
  }

  // 5. Route, drop what earlier runs delivered, and 6. deliver.
  const ordered = stored ? inRoutingOrder(read.events) : read.events
  const limiter = stored
    ? new ReplayingLimiter(
        options.rateLimitIntervalMs,
        stored.rateLimit ?? undefined,
        ordered,
        stored.events,
      )
    : undefined
  const plan = planNotifications(
    ordered,
    config,
    resolved.providers,
    {
      rateLimitIntervalMs: options.rateLimitIntervalMs,
      noCrossNamespaceRefs: options.noCrossNamespaceRefs,
      commitStatusExprs,
    },
    limiter,
  )
  // an event without a time is recorded as arriving with the newest one
  const fallbackMs = stored ? newestTime(stored, read.events) : 0
  const delivered: Record<string, number> = {}
  const journal =
    statePath !== undefined && !options.dryRun
      ? new StateJournal(statePath, (problem) => problems.push(problem))
      : undefined
  const toDeliver = stored ? dropDelivered(plan.deliveries, stored) : plan.deliveries
  await deliver(
    { ...plan, deliveries: toDeliver },
    {
      dryRun: options.dryRun,
      onDelivered: (delivery) => {
        const key = plannedDeliveryKey(delivery)
        if (key === undefined || !delivery.sourced) return
        const time = eventTime(delivery.sourced, fallbackMs)
        delivered[key] = time
        journal?.append({ key, time })
      },
    },
  )
  journal?.close()

  // 7. Save the state (never in a dry run).
  let state: StateSize | undefined
  if (statePath !== undefined && stored && limiter) {
    if (options.dryRun) {
      state = {
        path: statePath,
        entries: stateEntries(stored),
        bytes: Buffer.byteLength(serializeState(stored), 'utf8'),
        written: false,
      }
    } else {
      const next: StateStore = {
        version: STATE_VERSION,
        deliveries: { ...stored.deliveries, ...delivered },
        events: { ...stored.events },
        rateLimit: limiter.snapshot(),
      }
      ordered.forEach((sourced, index) => {
        const admitted = limiter.verdicts[index]
        if (admitted === undefined) return
        next.events[eventKey(sourced.event)] = { time: eventTime(sourced, fallbackMs), admitted }
      })
      const kept = expireState(next, newestTime(next, []), options.rateLimitIntervalMs)
      const saved = saveStateFile(statePath, kept)
      if ('severity' in saved) problems.push(saved)
      state = {
        path: statePath,
        entries: stateEntries(kept),
        bytes: 'severity' in saved ? 0 : saved.bytes,
        written: !('severity' in saved),
      }
      if (target?.cachePrefix !== undefined && state.written) {
        const { saveStateToCache } = await import('./state/cache.js')
        const cached = await saveStateToCache(statePath, target.cachePrefix, host.env)
        problems.push(...cached.problems)
        if (cached.key === undefined) state.written = false
        else state.cacheKey = cached.key
      }
    }
    if (target?.restoredKey !== undefined) state.restoredKey = target.restoredKey
    host.info(stateLine(state))
  }

  // Whatever reached a message, no secret leaves this function.
  const secrets = [...secretValues]
  const mask = (text: string): string => maskSecrets(text, secrets)
  for (const d of plan.decisions) d.reason = mask(d.reason)
  for (const p of problems) p.message = mask(p.message)
  const warnings = plan.warnings.map(mask)

  const counts = countOutcomes(plan.decisions)
  const badInput = problems.some((p) => p.severity === 'error')
  const exitCode = badInput ? 2 : counts.failed > 0 && options.failOnError ? 1 : 0
  return {
    decisions: plan.decisions,
    problems,
    warnings,
    counts,
    eventStats: {
      read: read.events.length,
      nonFlux: read.ignored.nonFlux,
      trace: read.ignored.trace,
    },
    state,
    exitCode,
  }
}

/** The state's size, as the info output and the CLI's standard error show it. */
export function stateLine(state: StateSize): string {
  const where =
    state.cacheKey !== undefined ? `the Actions cache (key ${state.cacheKey})` : state.path
  return `State ${state.written ? 'saved' : 'not written'}: ${state.entries} entries, ${state.bytes} bytes in ${where}`
}

interface StateTarget {
  /** the file the run reads and writes (for the cache: a private copy restored from it) */
  path: string
  /** with the Actions cache: the key prefix of this scope, and the key restored (if any) */
  cachePrefix?: string
  restoredKey?: string
}

/**
 * Resolves the `state` option to a file: the path given, or (for `cache`, and for `auto` inside
 * Actions) a file restored from the Actions cache. Without events there is nothing to route or
 * record, so the cache is not touched (a run with nothing to do stays fast).
 */
async function openState(
  options: RunOptions,
  env: NodeJS.ProcessEnv,
  eventCount: number,
  problems: Problem[],
): Promise<StateTarget | undefined> {
  const option = options.state ?? { kind: 'none' }
  if (option.kind === 'file') return { path: option.path }
  if (option.kind === 'none' || eventCount === 0) return undefined
  const cache = await import('./state/cache.js')
  if (!cache.cacheAvailable(env)) {
    if (option.kind === 'cache') {
      problems.push({
        severity: 'warning',
        message:
          'state: cache needs the Actions cache service (run inside GitHub Actions); running without state',
      })
    }
    return undefined
  }
  const prefix = cache.cacheKeyPrefix(env, {
    manifests: options.manifests,
    namespace: options.namespace,
    events: options.events,
    eventsCommand: options.eventsCommand ?? '',
  })
  const path = cache.cacheStatePath(env, prefix)
  const restored = await cache.restoreStateFromCache(path, prefix)
  problems.push(...restored.problems)
  return restored.key === undefined
    ? { path, cachePrefix: prefix }
    : { path, cachePrefix: prefix, restoredKey: restored.key }
}

function secretKey(secret: { metadata: { namespace: string; name: string } }): string {
  return `${secret.metadata.namespace}/${secret.metadata.name}`
}

async function validateProviders(
  config: Config,
  providers: Map<string, ResolvedProvider | { error: string }>,
  problems: Problem[],
): Promise<void> {
  for (const [key, entry] of providers) {
    if ('error' in entry) continue
    const module = await loadProvider(entry.type)
    const error = module.validate(entry)
    if (error === undefined) continue
    const message = `failed to initialize notifier for provider '${entry.provider.metadata.name}': ${error}`
    providers.set(key, { error: message })
    problems.push({
      severity: 'error',
      message: `Provider/${key}: ${message}`,
      location: config.providers.get(key)?.location,
    })
  }
}

/**
 * Compiles each Provider's `spec.commitStatusExpr` once, so a typo is reported before any event
 * (the controller finds it only at each event). CEL is loaded only when some Provider has one.
 */
async function compileCommitStatusExprs(
  config: Config,
  problems: Problem[],
): Promise<Map<string, CompiledExpr | { error: string }>> {
  const compiled = new Map<string, CompiledExpr | { error: string }>()
  const withExpr = [...config.providers].filter(([, p]) => p.spec.commitStatusExpr !== '')
  if (withExpr.length === 0) return compiled
  const { compileCommitStatusExpr } = await import('./cel/commit-status-expr.js')
  for (const [key, provider] of withExpr) {
    const result = compileCommitStatusExpr(provider.spec.commitStatusExpr)
    compiled.set(key, result)
    if ('error' in result) {
      problems.push({
        severity: 'error',
        message: `Provider/${key}: spec.commitStatusExpr: ${result.error}`,
        location: provider.location,
      })
    }
  }
  return compiled
}

interface ReadEvents {
  events: SourcedEvent[]
  problems: Problem[]
  ignored: { nonFlux: number; trace: number }
}

async function readEvents(options: RunOptions, host: RunHost, config: Config): Promise<ReadEvents> {
  const command = options.eventsCommand ?? ''
  if (options.events.length === 0 && command === '') return readDispatchEvents(host)

  // `secrets: {events: {token: …}}` (from the input only, never a manifest Secret) is the bearer
  // token for URL entries; its value was registered as a secret with the others.
  const eventsSecret = findSecret(config.secrets, options.namespace, 'events')
  const token = eventsSecret?.fromInput ? eventsSecret.data.token : undefined
  const read: ReadEvents = { events: [], problems: [], ignored: { nonFlux: 0, trace: 0 } }
  const add = (part: ReadEvents): void => {
    // a loop, not push(...): a source may hold more events than a call has arguments
    for (const event of part.events) read.events.push(event)
    for (const problem of part.problems) read.problems.push(problem)
    read.ignored.nonFlux += part.ignored.nonFlux
    read.ignored.trace += part.ignored.trace
  }
  if (options.events.length > 0) {
    const readUrl = (url: string) => readEventUrl(url, { token })
    const readArtifact = async (name: string, runId: string | undefined) => {
      const { readArtifactEvents } = await import('./sources/artifact.js')
      return readArtifactEvents(name, runId, { token: options.githubToken, env: host.env })
    }
    add(await readEventFiles(options.events, options.cwd, host.readStdin, readUrl, readArtifact))
  }
  if (command !== '') {
    // the process's environment, not host.env: the CLI hides it only from the dispatch reader
    add(await readEventsCommand(command, { cwd: options.cwd, info: host.info }))
  }
  return read
}

async function readDispatchEvents(host: RunHost): Promise<ReadEvents> {
  const dispatch = await readDispatchPayload(host.env)
  if (dispatch) return dispatch
  host.info(
    'No events: `events` and `events-command` are empty and this run was not triggered by repository_dispatch.',
  )
  return { events: [], problems: [], ignored: { nonFlux: 0, trace: 0 } }
}
