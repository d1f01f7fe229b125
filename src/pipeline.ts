/**
 * The one place that knows the order of the stages:
 *
 *   manifests ─► secrets ─► providers ─► events ─► state ─► route (clean-up, rate limit, match,
 *             gate) ─► drop what earlier runs delivered ─► deliver (journalling) ─► save state ─► report
 *
 * A run that keeps no state and does not wait does stages 3 to 6 as one stream (`routeAsRead`):
 * events are routed as they are read and each delivery starts once planned, so memory does not
 * grow with the input. Otherwise every event is read first, and route → drop → deliver is one
 * round. Poll mode (`wait-for-revision`) posts `pending` for the awaited objects, then runs
 * rounds (each re-reading every source, routing only events no earlier round routed) until they
 * settle or the timeout posts `error`; state is loaded once, journalled as deliveries happen and
 * saved once at the end, in memory when the run keeps none.
 *
 * Stages are pure functions over plain data; the IO edges (files, stdin, HTTP) are the `sources/`
 * readers and `delivery/`. The Action (`main.ts`) and the CLI (`cli.ts`) both call `runPipeline`
 * and differ only in how they report.
 */
import { createMasker } from './delivery/mask.js'
import type { SourcedEvent } from './events/model.js'
import { compileCommitStatusExprs, lintConfig, orphanProviderNotices } from './lint.js'
import { loadManifestsAsync, secretsFromInput, type ManifestFile } from './manifests/load.js'
import type { Config, Problem, Secret } from './manifests/model.js'
import { resolveProviders } from './manifests/resolve.js'
import { findSecret, isSecretKey } from './manifests/secrets.js'
import { parseSubstituteInput, substitutionVars } from './manifests/substitute.js'
import type { PollOptions, RunMode, RunOptions } from './options.js'
import { providerClass, validateProvider } from './providers/registry.js'
import type { ResolvedProvider, StatusOverride } from './providers/types.js'
import { countOutcomes, DecisionLog } from './results.js'
import type { Counts, Decision, DecisionSink, DecisionTotals } from './results.js'
import type { AwaitState, PollReport } from './routing/await.js'
import type { PlannedDelivery, ProviderEntry, RoutingOptions } from './routing/plan.js'
import type { EventsSink } from './events/parse.js'
import type { ReadStdin } from './sources/event-files.js'
import { findManifestFiles } from './sources/manifest-files.js'
import type { StateStore } from './state/store.js'

// Only what every run uses (the configuration, the providers' checks, the report) is imported
// here. Each later stage (reading events, routing, delivery, state, poll mode, commands) is
// imported with `await import()` where it starts, so a run that never reaches it never loads it:
// start-up time (design.md §5) counts every module a run loads.

/** What the pipeline needs from its host (the Action or the terminal). */
export interface RunHost {
  /** registers a value that must never be printed (`core.setSecret` in the Action) */
  setSecret(value: string): void
  info(message: string): void
  env: NodeJS.ProcessEnv
  /** standard input, as a stream (read as it arrives) or as text */
  readStdin: ReadStdin
  /** where every decision goes as soon as it is final (the results file, `--json`) */
  results?: DecisionSink
}

export interface RunReport {
  /** `lint`: only the configuration was checked (no events read, nothing sent); absent = `run` */
  mode?: RunMode
  /** the first decisions (`KEPT_DECISIONS`); every one went to `RunHost.results` */
  decisions: Decision[]
  /** how many decisions the run made, and their outcomes */
  totals: DecisionTotals
  /** the first failed decisions (`KEPT_FAILURES`), wherever they were in the run */
  failures: Decision[]
  problems: Problem[]
  warnings: string[]
  counts: Counts
  /** events read, and those ignored as non-Flux or trace-only */
  eventStats: { read: number; nonFlux: number; trace: number }
  /** the state file's size after the run (before it, in a dry run); absent without state */
  state?: StateSize
  /** poll mode: how each awaited object ended; absent when not polling */
  poll?: PollReport
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

  // 1. Manifests and secrets (see `loadConfiguration`).
  const loaded = await loadConfiguration(options, host)
  problems.push(...loaded.problems)
  const config = loaded.config
  for (const value of loaded.secretValues) remember(value)
  for (const secret of config.secrets.values()) {
    for (const [key, value] of Object.entries(secret.data)) if (isSecretKey(key)) remember(value)
  }

  // Lint mode: every check that needs no event, then stop: no event is read, nothing is sent.
  if (options.mode === 'lint') {
    // the loader's problems are already in: lint the rest only
    const checks = await lintConfig(
      { ...config, problems: [] },
      { githubToken: options.githubToken },
    )
    problems.push(...checks)
    return lintReport(problems, [...secretValues])
  }
  problems.push(...orphanProviderNotices(config))

  // 2. Providers: secrets applied, then each type's own checks (the controller's constructor errors).
  const resolved = resolveProviders(config, { githubToken: options.githubToken })
  problems.push(...resolved.problems)
  await validateProviders(config, resolved.providers, problems)
  const exprs = await compileCommitStatusExprs(config)
  problems.push(...exprs.problems)
  const commitStatusExprs = exprs.compiled
  const routing: RoutingOptions = {
    rateLimitIntervalMs: options.rateLimitIntervalMs,
    noCrossNamespaceRefs: options.noCrossNamespaceRefs,
    commitStatusExprs,
  }

  // Poll mode: the objects to wait for (an empty default set is a configuration error).
  const poll = options.poll ? await startPoll(options.poll, config, problems) : undefined
  const startedMs = Date.now()

  // Every secret is known by now: one masker serves the whole run. Each decision row is masked as
  // it is made (the masker remembers what it masked: most rows share a few reasons), then
  // counted, kept (the first ones) and handed to the host's results sink, in plan order.
  const mask = createMasker([...secretValues])
  const log = new DecisionLog({
    finish: (decision) => {
      decision.reason = mask(decision.reason)
    },
    sink: host.results,
  })
  // the command's standard error may carry a secret the host does not mask (the CLI's terminal)
  const info = (message: string): void => host.info(mask(message))
  const readHost = { ...host, info }

  // A run that keeps no state and does not wait routes and delivers events as they are read
  // (see `routeAsRead`): its memory does not grow with the number of events.
  if (!poll && !(await mayKeepState(options, host.env))) {
    const streamed = await routeAsRead(options, readHost, config, resolved.providers, routing, log)
    problems.push(...streamed.problems)
    return finishReport({
      options,
      problems,
      warnings: streamed.warnings,
      log,
      mask,
      eventStats: streamed.eventStats,
    })
  }

  // 3. Events: the first read (poll mode reads again every round).
  const readAll = () => readEvents(options, readHost, config)
  let read = await readAll()
  problems.push(...read.problems)

  // 4. State from earlier runs (read in a dry run too, so it shows what would be skipped). Poll
  // mode always keeps state, in memory when the run keeps none, so no round repeats another.
  const target = await openState(
    options,
    host.env,
    poll ? Math.max(1, read.events.length) : read.events.length,
    problems,
  )
  const statePath = target?.path
  const stateCode = statePath !== undefined || poll ? await importState() : undefined
  let store: StateStore | undefined
  if (statePath !== undefined && stateCode) {
    const loaded = stateCode.loadStateFile(statePath)
    problems.push(...loaded.problems)
    store = loaded.state
  }
  const storeAsRead =
    store && stateCode
      ? { size: stateCode.stateEntries(store), text: stateCode.serializeState(store) }
      : undefined
  if (poll && !store && stateCode) store = stateCode.emptyState()
  // the store with its code, for the rounds and the save (poll mode always has one)
  const kept = store && stateCode ? { store, code: stateCode } : undefined
  const journal =
    statePath !== undefined && stateCode && !options.dryRun
      ? new stateCode.StateJournal(statePath, (problem) => problems.push(problem))
      : undefined

  const warnings = new Set<string>()
  /** poll mode: the events routed by an earlier round (keys), which later rounds leave out */
  const routed = new Set<string>()

  // 5. One round: route, drop what was delivered before, and 6. deliver (journalling).
  const runRound = async (events: SourcedEvent[]): Promise<void> => {
    // A plan over no events is empty: a run without events and state loads no routing or delivery.
    if (events.length === 0 && !kept) return
    const { inRoutingOrder, planNotifications } = await import('./routing/plan.js')
    const { deliver } = await import('./delivery/deliver.js')
    // poll mode always keeps state (in memory when the run keeps none)
    const fresh =
      poll && kept
        ? events.filter((sourced) => !routed.has(kept.code.eventKey(sourced.event)))
        : events
    const ordered = kept ? inRoutingOrder(fresh) : fresh
    const limiter = kept
      ? new kept.code.ReplayingLimiter(
          options.rateLimitIntervalMs,
          kept.store.rateLimit ?? undefined,
          ordered,
          kept.store.events,
        )
      : undefined
    const plan = planNotifications(ordered, config, resolved.providers, routing, limiter)
    // an event without a time is recorded as arriving with the newest one
    const fallbackMs = kept ? kept.code.newestTime(kept.store, events) : 0
    const delivered: Record<string, number> = {}
    const toDeliver = kept ? kept.code.dropDelivered(plan.deliveries, kept.store) : plan.deliveries
    await deliver(
      { ...plan, deliveries: toDeliver },
      {
        dryRun: options.dryRun,
        // only a run that keeps state records its deliveries
        onDelivered: kept
          ? (delivery) => {
              const key = kept.code.plannedDeliveryKey(delivery)
              if (key === undefined || !delivery.sourced) return
              const time = kept.code.eventTime(delivery.sourced, fallbackMs)
              delivered[key] = time
              journal?.append({ key, time })
            }
          : undefined,
      },
    )
    for (const decision of plan.decisions) log.add(decision)
    for (const warning of plan.warnings) warnings.add(warning)
    // What the next round (and the next run) must know; a dry run changes nothing.
    if (kept && limiter && !options.dryRun) {
      const { store, code } = kept
      Object.assign(store.deliveries, delivered)
      ordered.forEach((sourced, index) => {
        const admitted = limiter.verdicts[index]
        if (admitted === undefined) return
        store.events[code.eventKey(sourced.event)] = {
          time: code.eventTime(sourced, fallbackMs),
          admitted,
        }
      })
      store.rateLimit = limiter.snapshot()
    }
    if (poll && kept) for (const sourced of ordered) routed.add(kept.code.eventKey(sourced.event))
  }

  // Poll mode's own commit statuses (pending, timed out): to the commit-status providers of the
  // alerts the object's events reach, never rate limited, never recorded.
  const postPollStatuses = async (
    settings: PollOptions,
    states: readonly AwaitState[],
    override: StatusOverride,
  ): Promise<void> => {
    if (states.length === 0) return
    const rows = await deliverPollStatuses(settings, states, override, {
      config,
      providers: resolved.providers,
      routing,
      dryRun: options.dryRun,
    })
    for (const row of rows) log.add(row)
  }

  let pollReport: PollReport | undefined
  let eventsRead = read.events.length
  if (!poll) {
    await runRound(read.events)
    // the events are routed: let them go before the report is built (100k events hold ~50 MB)
    read = { ...read, events: [] }
  } else {
    const { settings, states } = poll
    const { allSettled, observeEvents, PENDING_DESCRIPTION, timeOut, timeoutDescription } =
      await import('./routing/await.js')
    observeEvents(states, read.events, settings.sha)
    const pending = { state: 'pending', description: PENDING_DESCRIPTION } as const
    await postPollStatuses(
      settings,
      states.filter((s) => s.outcome === 'waiting'),
      pending,
    )
    await runRound(read.events)
    let rounds = 1
    const deadlineMs = startedMs + settings.timeoutMs
    const reported = new Set(problems.map(problemIdentity))
    // A dry run reads once and never waits.
    while (!options.dryRun && !allSettled(states)) {
      const leftMs = deadlineMs - Date.now()
      if (leftMs <= 0) break
      await sleep(Math.min(settings.intervalMs, leftMs))
      read = await readAll()
      eventsRead = read.events.length
      rounds++
      // A source that fails now and then (a kubectl hiccup) must not fail a wait that goes on:
      // later rounds' problems are warnings, each reported once.
      for (const problem of read.problems) {
        const identity = problemIdentity(problem)
        if (reported.has(identity)) continue
        reported.add(identity)
        problems.push({ ...problem, severity: 'warning' })
      }
      observeEvents(states, read.events, settings.sha)
      await runRound(read.events)
    }
    if (!options.dryRun) {
      const late = timeOut(states)
      const timedOut = {
        state: 'timedOut',
        description: timeoutDescription(settings.timeoutMs, settings.sha),
      } as const
      await postPollStatuses(settings, late, timedOut)
    }
    pollReport = {
      revision: settings.revision,
      sha: settings.sha,
      timeoutMs: settings.timeoutMs,
      rounds,
      dryRun: options.dryRun,
      objects: states,
    }
  }
  journal?.close()

  // 7. Save the state (never in a dry run).
  let state: StateSize | undefined
  if (statePath !== undefined && kept) {
    const { store, code } = kept
    if (options.dryRun) {
      state = {
        path: statePath,
        entries: storeAsRead?.size ?? 0,
        bytes: Buffer.byteLength(storeAsRead?.text ?? '', 'utf8'),
        written: false,
      }
    } else {
      const unexpired = code.expireState(
        store,
        code.newestTime(store, []),
        options.rateLimitIntervalMs,
      )
      const saved = code.saveStateFile(statePath, unexpired)
      if ('severity' in saved) problems.push(saved)
      state = {
        path: statePath,
        entries: code.stateEntries(unexpired),
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

  return finishReport({
    options,
    problems,
    warnings: [...warnings],
    log,
    mask,
    eventStats: { read: eventsRead, nonFlux: read.ignored.nonFlux, trace: read.ignored.trace },
    state,
    poll: pollReport,
  })
}

/** The report of a run: problems and warnings masked, the exit code worked out. */
async function finishReport(run: {
  options: RunOptions
  problems: Problem[]
  warnings: string[]
  log: DecisionLog
  /** the run's masker: every secret is known before any event is read */
  mask: (text: string) => string
  eventStats: RunReport['eventStats']
  state?: StateSize
  poll?: PollReport
}): Promise<RunReport> {
  const { options, problems, log, mask } = run
  await log.drained()
  // Whatever reached a message, no secret leaves this function (the rows were masked as made).
  for (const p of problems) p.message = mask(p.message)

  const counts = log.counts
  const badInput = problems.some((p) => p.severity === 'error')
  // An awaited object that failed or timed out is a failed deployment: the step fails (exit 1),
  // with one error line per outcome naming the objects. Not in a dry run, which waits for nothing.
  const pollFailures = run.poll && !run.poll.dryRun ? await pollProblems(run.poll) : []
  problems.push(...pollFailures)
  const exitCode = badInput
    ? 2
    : pollFailures.length > 0 || (counts.failed > 0 && options.failOnError)
      ? 1
      : 0
  return {
    decisions: log.kept,
    totals: { count: log.count, counts },
    failures: log.failures,
    problems,
    warnings: run.warnings.map(mask),
    counts,
    eventStats: run.eventStats,
    state: run.state,
    poll: run.poll,
    exitCode,
  }
}

/** The events one streamed pass read, and what it found on the way. */
interface StreamedRun {
  problems: Problem[]
  warnings: string[]
  eventStats: RunReport['eventStats']
}

/** Rows waiting for their delivery before reading pauses (the log's back-pressure). */
const MAX_WAITING_ROWS = 10_000

/**
 * Stages 3, 5 and 6 as one stream, for a run that keeps no state and does not wait: events go
 * from the readers through a reorder window (`ReorderWindow`: time order, exactly as a whole
 * sort for up to 10,000 events) to the router, each delivery starts as soon as it is planned
 * (the scheduler keeps observable order), and each row goes to the log. Reading pauses while too
 * many rows wait for deliveries, so memory holds a window of events and rows, not the input.
 */
async function routeAsRead(
  options: RunOptions,
  host: RunHost,
  config: Config,
  providers: Map<string, ProviderEntry>,
  routing: RoutingOptions,
  log: DecisionLog,
): Promise<StreamedRun> {
  // Set up on the first event: a run that reads none loads no routing or delivery code.
  let stream: Promise<RoutingStream> | undefined
  let eventsRead = 0
  const onEvents: EventsSink = async (events) => {
    if (events.length === 0) return
    eventsRead += events.length
    const { window } = await (stream ??= openRoutingStream(
      options,
      config,
      providers,
      routing,
      log,
    ))
    for (const sourced of events) window.push(sourced)
    await log.ready(MAX_WAITING_ROWS)
  }
  const read = await readEvents(options, host, config, onEvents)
  // what the readers that do not stream returned (commands, artifacts, a dispatch payload)
  await onEvents(read.events)
  const opened = await stream
  opened?.window.end()
  await log.drained()
  return {
    problems: read.problems,
    warnings: opened ? [...opened.router.warnings] : [],
    eventStats: { read: eventsRead, nonFlux: read.ignored.nonFlux, trace: read.ignored.trace },
  }
}

interface RoutingStream {
  window: import('./routing/reorder.js').ReorderWindow
  router: import('./routing/plan.js').Router
}

/** The reorder window → router → deliverer → log chain of `routeAsRead`. */
async function openRoutingStream(
  options: RunOptions,
  config: Config,
  providers: Map<string, ProviderEntry>,
  routing: RoutingOptions,
  log: DecisionLog,
): Promise<RoutingStream> {
  const [{ Router }, { ReorderWindow }, { openDeliverer }, { limitHeapGrowth }] = await Promise.all(
    [
      import('./routing/plan.js'),
      import('./routing/reorder.js'),
      import('./delivery/deliver.js'),
      import('./util/heap.js'),
    ],
  )
  // events and rows are garbage soon after they are read: keep the heap near what is live
  limitHeapGrowth()
  const ready: ResolvedProvider[] = []
  for (const entry of providers.values()) if (!('error' in entry)) ready.push(entry)
  const deliverer = await openDeliverer(ready, { dryRun: options.dryRun })
  const router = new Router(config, providers, routing)
  const decisions: Decision[] = []
  const deliveries: PlannedDelivery[] = []
  const window = new ReorderWindow((sourced) => {
    router.route(sourced, decisions, deliveries)
    // the deliveries are some of the rows, in the same order
    let next = 0
    for (const decision of decisions) {
      const delivery = deliveries[next]
      if (delivery?.decision === decision) {
        next++
        log.add(decision, deliverer.start(delivery))
      } else {
        log.add(decision)
      }
    }
    decisions.length = 0
    deliveries.length = 0
  })
  return { window, router }
}

/**
 * Whether this run may keep state (a file, or the Actions cache when it is there): such a run
 * reads every event before routing (the state store replays the rate limiter over all of them).
 */
async function mayKeepState(options: RunOptions, env: NodeJS.ProcessEnv): Promise<boolean> {
  const kind = options.state?.kind ?? 'none'
  // `cache` asked for state: without the cache service it warns (`openState`) and keeps none
  if (kind === 'file' || kind === 'cache') return true
  if (kind === 'none' || env.GITHUB_ACTIONS !== 'true') return false
  const { cacheAvailable } = await import('./state/cache.js')
  return cacheAvailable(env)
}

/**
 * Stage 1: the run's configuration. The `secrets` input is parsed first, since it can also stand
 * in for a `substituteFrom` Secret; then the files of `manifests` and the output of each
 * `manifests-command`, the post-build variables (`substitute-from`, then `substitute`), and the
 * manifests loaded with them. Input Secrets win over the repository's (`findSecret`).
 */
async function loadConfiguration(
  options: RunOptions,
  host: RunHost,
): Promise<{ config: Config; problems: Problem[]; secretValues: string[] }> {
  const problems: Problem[] = []
  const inputSecrets: Secret[] = []
  for (const input of options.secrets) {
    const parsed = secretsFromInput(input.text, options.namespace, input.label)
    problems.push(...parsed.problems)
    inputSecrets.push(...parsed.secrets)
  }

  const files: ManifestFile[] = []
  if (options.manifests.length > 0) {
    const found = await findManifestFiles(options.manifests, options.cwd)
    problems.push(...found.problems)
    files.push(...found.files)
  }
  if ((options.manifestsCommand ?? '') !== '') {
    const { readManifestsCommands } = await import('./sources/manifests-command.js')
    const { runShellCommand } = await import('./sources/command.js')
    const rendered = await readManifestsCommands(options.manifestsCommand ?? '', {
      cwd: options.cwd,
      run: runShellCommand,
      info: host.info,
    })
    problems.push(...rendered.problems)
    files.push(...rendered.files)
  }

  const inline = parseSubstituteInput(options.substitute ?? '')
  problems.push(...inline.problems)
  const variables = substitutionVars(files, {
    from: options.substituteFrom ?? '',
    inline: inline.vars,
    defaultNamespace: options.namespace,
    inputSecrets,
  })
  problems.push(...variables.problems)

  // placeholders left unresolved are reported even with no variables at all
  const config = await loadManifestsAsync(files, {
    defaultNamespace: options.namespace,
    substitute: { vars: variables.vars },
  })
  problems.push(...config.problems)
  for (const secret of inputSecrets) config.secrets.set(secretKey(secret), secret)
  // a variable read from a Secret may be a token substituted into an address
  return { config, problems, secretValues: variables.secretValues }
}

/** The report of a lint run: its problems (secrets masked), no decisions, no events. */
function lintReport(problems: Problem[], secrets: string[]): RunReport {
  const mask = createMasker(secrets)
  for (const p of problems) p.message = mask(p.message)
  const decisions: Decision[] = []
  return {
    mode: 'lint',
    decisions,
    totals: { count: 0, counts: countOutcomes(decisions) },
    failures: [],
    problems,
    warnings: [],
    counts: countOutcomes(decisions),
    eventStats: { read: 0, nonFlux: 0, trace: 0 },
    exitCode: problems.some((p) => p.severity === 'error') ? 2 : 0,
  }
}

/** The awaited objects of poll mode, or undefined (with an error) when there are none. */
async function startPoll(
  settings: PollOptions,
  config: Config,
  problems: Problem[],
): Promise<{ settings: PollOptions; states: AwaitState[] } | undefined> {
  const { defaultAwaitedObjects, startAwaiting } = await import('./routing/await.js')
  const objects = settings.waitFor.length > 0 ? settings.waitFor : defaultAwaitedObjects(config)
  if (objects.length === 0) {
    problems.push({
      severity: 'error',
      message:
        'wait-for: nothing to wait for: no Alert with a commit-status Provider names an event source (other than *); set wait-for to Kind/namespace/name lines',
    })
    return undefined
  }
  return { settings, states: startAwaiting(objects) }
}

/**
 * Routes one synthetic event per object (see `syntheticEvent`) and delivers the commit statuses it
 * reaches with the state and description of `override`. The alerts' inclusion and exclusion
 * lists are left out: they filter the controller's messages, and ours is not one of them.
 * Returns the decision rows, their reason marked as poll mode's.
 */
async function deliverPollStatuses(
  settings: PollOptions,
  states: readonly AwaitState[],
  override: StatusOverride,
  context: {
    config: Config
    providers: Map<string, ProviderEntry>
    routing: RoutingOptions
    dryRun: boolean
  },
): Promise<Decision[]> {
  const { awaitedId, POLL_REASON_PREFIX, syntheticEvent } = await import('./routing/await.js')
  const { planNotifications } = await import('./routing/plan.js')
  const { deliver } = await import('./delivery/deliver.js')
  const { config } = context
  const nowMs = Date.now()
  const events = states.map((s, index) =>
    syntheticEvent(s.object, override, settings.revision, settings.sha, {
      apiVersion: config.objects.get(awaitedId(s.object))?.apiVersion,
      nowMs,
      index,
    }),
  )
  const withoutMessageFilters: Config = {
    ...config,
    alerts: config.alerts.map((alert) => ({
      ...alert,
      spec: { ...alert.spec, inclusionList: [], hasInclusionList: false, exclusionList: [] },
    })),
  }
  // a fresh limiter: each object's event is its own, and none is a duplicate of a real one
  const plan = planNotifications(events, withoutMessageFilters, context.providers, context.routing)
  const deliveries = plan.deliveries.filter((d) => d.commitStatusId !== undefined)
  for (const delivery of deliveries) {
    delivery.notification.statusOverride = override
    // not an event that was read: the state store never records it
    delete delivery.sourced
  }
  const rows = plan.decisions.filter(
    (d) => d.type !== undefined && providerClass(d.type) === 'commit-status',
  )
  await deliver({ decisions: rows, deliveries, warnings: [] }, { dryRun: context.dryRun })
  for (const row of rows) row.reason = `${POLL_REASON_PREFIX}: ${row.reason}`
  return rows
}

/** One error per poll outcome that fails the step, naming the objects. */
async function pollProblems(poll: PollReport): Promise<Problem[]> {
  const { awaitedId, formatTimeout, objectsWith, shortSha } = await import('./routing/await.js')
  const short = shortSha(poll.sha)
  const problems: Problem[] = []
  const failed = poll.objects.filter((s) => s.outcome === 'failed')
  if (failed.length > 0) {
    const list = failed.map((s) => `${awaitedId(s.object)} (${s.reason ?? 'error'})`).join(', ')
    problems.push({
      severity: 'error',
      message: `wait-for-revision: reconciliation of ${short} failed: ${list}`,
    })
  }
  const late = objectsWith(poll, 'timed-out')
  if (late.length > 0) {
    problems.push({
      severity: 'error',
      message: `wait-for-revision: timed out after ${formatTimeout(poll.timeoutMs)} waiting for reconciliation of ${short}: ${late.join(', ')}`,
    })
  }
  return problems
}

function problemIdentity(problem: Problem): string {
  const l = problem.location
  return `${problem.message}\u0000${l?.file ?? ''}\u0000${l?.line ?? ''}`
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
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
    // what the configuration came from: the files and the commands (their output is not known yet)
    manifests: [
      ...options.manifests,
      ...(options.manifestsCommand ? [`manifests-command:${options.manifestsCommand}`] : []),
    ],
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

/** The state store and its file, imported together by a run that keeps state. */
type StateCode = typeof import('./state/store.js') & typeof import('./state/file.js')

async function importState(): Promise<StateCode> {
  const [store, file] = await Promise.all([import('./state/store.js'), import('./state/file.js')])
  return { ...store, ...file }
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
    const error = await validateProvider(entry)
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

interface ReadEvents {
  events: SourcedEvent[]
  problems: Problem[]
  ignored: { nonFlux: number; trace: number }
}

/**
 * Reads every source. With `onEvents`, files, standard input and URLs hand their events on as
 * they are read; what the other readers return (a command's output is only used once the command
 * succeeded, an artifact is unzipped whole) is in the result.
 */
async function readEvents(
  options: RunOptions,
  host: RunHost,
  config: Config,
  onEvents?: EventsSink,
): Promise<ReadEvents> {
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
    const { readEventFiles } = await import('./sources/event-files.js')
    const readUrl = async (url: string) => {
      const { readEventUrl } = await import('./sources/url.js')
      return readEventUrl(url, { token, onEvents })
    }
    const readArtifact = async (name: string, runId: string | undefined) => {
      const { readArtifactEvents } = await import('./sources/artifact.js')
      return readArtifactEvents(name, runId, { token: options.githubToken, env: host.env })
    }
    add(
      await readEventFiles(
        options.events,
        options.cwd,
        host.readStdin,
        readUrl,
        readArtifact,
        onEvents,
      ),
    )
  }
  if (command !== '') {
    // the process's environment, not host.env: the CLI hides it only from the dispatch reader
    const { readEventsCommand } = await import('./sources/command.js')
    add(await readEventsCommand(command, { cwd: options.cwd, info: host.info }))
  }
  return read
}

async function readDispatchEvents(host: RunHost): Promise<ReadEvents> {
  // Only a repository_dispatch run has a payload (the reader checks again, and for the file).
  if (host.env.GITHUB_EVENT_NAME === 'repository_dispatch') {
    const { readDispatchPayload } = await import('./sources/dispatch.js')
    const dispatch = await readDispatchPayload(host.env)
    if (dispatch) return dispatch
  }
  host.info(
    'No events: `events` and `events-command` are empty and this run was not triggered by repository_dispatch.',
  )
  return { events: [], problems: [], ignored: { nonFlux: 0, trace: 0 } }
}
