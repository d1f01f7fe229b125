/**
 * The Action: inputs → pipeline → job summary, annotations, outputs. The only place that fails the
 * step. Anything thrown is caught here and becomes one line, never a stack trace.
 */
import * as core from '@actions/core'
import { createReadStream, createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { readActionInputs } from './inputs.js'
import { OptionError } from './options.js'
import { runPipeline, type RunReport } from './pipeline.js'
import { annotate, lintTotals } from './report/annotate.js'
import { actionOutputs, ResultsJsonWriter } from './report/outputs.js'
import { renderSummary } from './report/summary.js'
import { renderTable } from './report/table.js'
import { objectsWith } from './routing/await.js'

export async function run(): Promise<void> {
  try {
    const options = readActionInputs()
    // every decision, written as it is made (the `results` output holds only what fits)
    const resultsPath = process.env.RUNNER_TEMP ? resultsFilePath(process.env) : undefined
    const results = resultsPath
      ? new ResultsJsonWriter(() => createWriteStream(resultsPath))
      : undefined
    const report = await runPipeline(options, {
      setSecret: (value) => core.setSecret(value),
      info: (message) => core.info(message),
      env: process.env,
      readStdin: async () => createReadStream('/dev/stdin'),
      results,
    })

    annotate(report.problems, core, { workspace: options.cwd })
    for (const warning of report.warnings) core.warning(warning)
    // GitHub shows at most 10 error annotations per step: the first failures, the rest are in
    // the summary.
    for (const failed of report.failures) {
      core.error(`${failed.provider ?? failed.event}: ${failed.reason}`, {
        title: `flux-notify: delivery failed (${failed.event})`,
      })
    }
    // a lint run has no decisions: its problems are the annotations above
    if (report.mode === 'lint') core.info(lintTotals(report.problems))
    else core.info(renderTable(report.decisions, { totals: report.totals }))
    const outputs = actionOutputs(report.decisions, report.poll, report.totals)
    for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)
    if (report.mode !== 'lint' && results && resultsPath) {
      try {
        await results.end()
        core.setOutput('results-file', resultsPath)
      } catch (error) {
        core.warning(`results-file: could not write it: ${oneLine(error)}`)
      }
    }
    if (process.env.GITHUB_STEP_SUMMARY) {
      await core.summary
        .addRaw(
          renderSummary({
            mode: report.mode,
            decisions: report.decisions,
            totals: report.totals,
            problems: report.problems,
            warnings: report.warnings,
            dryRun: options.dryRun,
            state: report.state,
            poll: report.poll,
          }),
        )
        .write()
    }

    if (report.exitCode === 2) {
      const errors = report.problems.filter((p) => p.severity === 'error').length
      core.setFailed(
        report.mode === 'lint'
          ? `lint: ${errors} error(s) in the alerting configuration; see the annotations above`
          : `${errors} configuration or input error(s); see the annotations above`,
      )
    } else if (report.exitCode === 1) {
      core.setFailed(failureMessage(report))
    }
  } catch (error) {
    core.setFailed(error instanceof OptionError ? error.message : oneLine(error))
  }
}

/** Why the step fails with exit code 1: failed deliveries, and in poll mode the objects that failed or timed out. */
function failureMessage(report: RunReport): string {
  const parts: string[] = []
  if (report.counts.failed > 0) parts.push(`${report.counts.failed} delivery(ies) failed`)
  if (report.poll) {
    const failed = objectsWith(report.poll, 'failed')
    const timedOut = objectsWith(report.poll, 'timed-out')
    if (failed.length > 0) parts.push(`reconciliation failed: ${failed.join(', ')}`)
    if (timedOut.length > 0) parts.push(`timed out waiting for: ${timedOut.join(', ')}`)
  }
  return `${parts.join('; ') || 'failed'}; see the summary`
}

/**
 * The file in the runner's temp directory that gets every decision as JSON. Named after the
 * step, so two flux-notify steps of a job do not overwrite each other.
 */
function resultsFilePath(env: NodeJS.ProcessEnv): string {
  const step = (env.GITHUB_ACTION ?? String(process.pid)).replace(/[^A-Za-z0-9_.-]/g, '_')
  return join(env.RUNNER_TEMP ?? '', `flux-notify-results-${step}.json`)
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return `flux-notify: ${message.split('\n')[0]}`
}
