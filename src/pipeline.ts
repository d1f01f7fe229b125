/**
 * The one place that knows the order of the stages:
 *
 *   manifests ─► secrets ─► providers ─► events ─► route (clean-up, rate limit, match, gate)
 *             ─► deliver ─► report
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
import { planNotifications } from './routing/plan.js'
import { deliver } from './delivery/deliver.js'
import { maskSecrets } from './delivery/mask.js'
import { readDispatchPayload } from './sources/dispatch.js'
import { readEventsCommand } from './sources/command.js'
import { readEventFiles } from './sources/event-files.js'
import { findManifestFiles } from './sources/manifest-files.js'
import { readEventUrl } from './sources/url.js'

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
  /** 0 all delivered or unchanged, 1 a delivery failed (with fail-on-error), 2 bad configuration or input */
  exitCode: 0 | 1 | 2
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

  // 4. Route and 5. deliver.
  const plan = planNotifications(read.events, config, resolved.providers, {
    rateLimitIntervalMs: options.rateLimitIntervalMs,
    noCrossNamespaceRefs: options.noCrossNamespaceRefs,
    commitStatusExprs,
  })
  await deliver(plan, { dryRun: options.dryRun })

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
    exitCode,
  }
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
    add(await readEventFiles(options.events, options.cwd, host.readStdin, readUrl))
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
