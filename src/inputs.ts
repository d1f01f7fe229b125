/**
 * The Action's inputs boundary: every `INPUT_*` is read here once, secrets are masked at once,
 * and the result is validated by `parseRunOptions`. Nothing else reads inputs.
 */
import * as core from '@actions/core'
import { parseRunOptions, type RunOptions } from './options.js'

export function readActionInputs(): RunOptions {
  const githubToken = core.getInput('github-token')
  if (githubToken) core.setSecret(githubToken)
  const secrets = core.getInput('secrets')
  return parseRunOptions({
    manifests: core.getInput('manifests'),
    manifestsCommand: core.getInput('manifests-command'),
    substitute: core.getInput('substitute'),
    substituteFrom: core.getInput('substitute-from'),
    mode: core.getInput('mode'),
    namespace: core.getInput('namespace'),
    events: core.getInput('events'),
    eventsCommand: core.getInput('events-command'),
    secrets: [{ text: secrets, label: 'secrets input' }],
    githubToken,
    rateLimitInterval: core.getInput('rate-limit-interval'),
    noCrossNamespaceRefs: core.getInput('no-cross-namespace-refs'),
    dryRun: core.getInput('dry-run'),
    failOnError: core.getInput('fail-on-error'),
    state: core.getInput('state'),
    waitForRevision: core.getInput('wait-for-revision'),
    waitFor: core.getInput('wait-for'),
    pollInterval: core.getInput('poll-interval'),
    timeout: core.getInput('timeout'),
    cwd: process.env.GITHUB_WORKSPACE || process.cwd(),
  })
}
