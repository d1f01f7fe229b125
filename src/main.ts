/**
 * The Action: inputs → pipeline → job summary, annotations, outputs. The only place that fails the
 * step. Anything thrown is caught here and becomes one line, never a stack trace.
 */
import * as core from '@actions/core'
import { readFile } from 'node:fs/promises'
import { readActionInputs } from './inputs.js'
import { OptionError } from './options.js'
import { runPipeline } from './pipeline.js'
import { annotate } from './report/annotate.js'
import { actionOutputs } from './report/outputs.js'
import { renderSummary } from './report/summary.js'
import { renderTable } from './report/table.js'

export async function run(): Promise<void> {
  try {
    const options = readActionInputs()
    const report = await runPipeline(options, {
      setSecret: (value) => core.setSecret(value),
      info: (message) => core.info(message),
      env: process.env,
      readStdin: () => readFile('/dev/stdin', 'utf8'),
    })

    annotate(report.problems, core, { workspace: options.cwd })
    for (const warning of report.warnings) core.warning(warning)
    // GitHub shows at most 10 error annotations per step: the first failures, the rest are in
    // the summary.
    for (const failed of report.decisions.filter((d) => d.outcome === 'failed').slice(0, 10)) {
      core.error(`${failed.provider ?? failed.event}: ${failed.reason}`, {
        title: `flux-notify: delivery failed (${failed.event})`,
      })
    }
    core.info(renderTable(report.decisions))
    for (const [name, value] of Object.entries(actionOutputs(report.decisions))) {
      core.setOutput(name, value)
    }
    if (process.env.GITHUB_STEP_SUMMARY) {
      await core.summary
        .addRaw(
          renderSummary({
            decisions: report.decisions,
            problems: report.problems,
            warnings: report.warnings,
            dryRun: options.dryRun,
            state: report.state,
          }),
        )
        .write()
    }

    if (report.exitCode === 2) {
      const errors = report.problems.filter((p) => p.severity === 'error').length
      core.setFailed(`${errors} configuration or input error(s); see the annotations above`)
    } else if (report.exitCode === 1) {
      core.setFailed(`${report.counts.failed} delivery(ies) failed; see the summary`)
    }
  } catch (error) {
    core.setFailed(error instanceof OptionError ? error.message : oneLine(error))
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return `flux-notify: ${message.split('\n')[0]}`
}
