/**
 * Lint mode: every check flux-notify can make on a repository's alerting configuration without
 * an event — the check a team runs on pull requests that touch alerting. Nothing is sent.
 *
 * What the loader already found (schemas, API versions, regexes, duplicates, unsubstituted
 * placeholders, unreadable secrets) is in `config.problems`; this adds what a run would only find
 * later: each Provider's secrets applied (as the controller's `createNotifier` does) and its
 * type's own checks, `commitStatusExpr` compiled, each Alert's Provider present, and Providers no
 * Alert uses (a notice).
 */
import type { CompiledExpr } from './cel/commit-status-expr.js'
import { namespacedKey, type Config, type Problem } from './manifests/model.js'
import { resolveProviders } from './manifests/resolve.js'
import { validateProvider } from './providers/registry.js'

export interface LintOptions {
  /** the `github-token` input, as a run would use it for GitHub-family providers */
  githubToken?: string
}

/**
 * All the problems of `config`: the loader's, then the checks above, each on the file and line
 * of the object at fault. The caller adds those of finding the files (`findManifestFiles`).
 */
export async function lintConfig(config: Config, options: LintOptions = {}): Promise<Problem[]> {
  const problems: Problem[] = [...config.problems]

  const resolved = resolveProviders(
    config,
    options.githubToken ? { githubToken: options.githubToken } : {},
  )
  problems.push(...resolved.problems)
  for (const [key, entry] of resolved.providers) {
    if ('error' in entry) continue
    const error = await validateProvider(entry)
    if (error === undefined) continue
    problems.push({
      severity: 'error',
      message: `Provider/${key}: failed to initialize notifier for provider '${entry.provider.metadata.name}': ${error}`,
      location: config.providers.get(key)?.location,
    })
  }

  problems.push(...(await compileCommitStatusExprs(config)).problems)
  problems.push(...missingProviderProblems(config))
  problems.push(...orphanProviderNotices(config))
  return problems
}

/** Each Provider's compiled `spec.commitStatusExpr` (or its compile error), by `namespace/name`. */
export type CompiledExprs = Map<string, CompiledExpr | { error: string }>

/**
 * Compiles each Provider's `spec.commitStatusExpr` once, so a typo is reported before any event
 * (the controller finds it only at each event). CEL is loaded only when some Provider has one.
 */
export async function compileCommitStatusExprs(
  config: Config,
): Promise<{ compiled: CompiledExprs; problems: Problem[] }> {
  const compiled: CompiledExprs = new Map()
  const problems: Problem[] = []
  const withExpr = [...config.providers].filter(([, p]) => p.spec.commitStatusExpr !== '')
  if (withExpr.length === 0) return { compiled, problems }
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
  return { compiled, problems }
}

/**
 * An Alert whose `providerRef` names no Provider of its namespace: the controller marks it not
 * ready and sends nothing for it.
 */
export function missingProviderProblems(config: Config): Problem[] {
  const problems: Problem[] = []
  for (const alert of config.alerts) {
    const key = namespacedKey(alert.metadata.namespace, alert.spec.providerRef.name)
    if (config.providers.has(key)) continue
    problems.push({
      severity: 'error',
      message: `Alert/${namespacedKey(alert.metadata.namespace, alert.metadata.name)}: spec.providerRef: Provider/${key} is not among the manifests (or was left out for a problem reported above); this Alert sends nothing`,
      location: alert.location,
    })
  }
  return problems
}

/** A Provider no Alert names (suspended Alerts count): worth knowing, nothing wrong. */
export function orphanProviderNotices(config: Config): Problem[] {
  const used = new Set(
    config.alerts.map((a) => namespacedKey(a.metadata.namespace, a.spec.providerRef.name)),
  )
  const problems: Problem[] = []
  for (const [key, provider] of config.providers) {
    if (used.has(key)) continue
    problems.push({
      severity: 'notice',
      message: `Provider/${key} is not used by any Alert`,
      location: provider.location,
    })
  }
  return problems
}
