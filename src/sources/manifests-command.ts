/**
 * The `manifests-command` input: one or more commands (one per line) whose standard output is a
 * YAML stream of rendered manifests — `kubectl kustomize clusters/production`, `kustomize build …`,
 * `flux build kustomization … --dry-run`, `helm template …`. Each command's output becomes one
 * manifest "file" named `manifests-command[1]`, `manifests-command[2]`, … so that problems point
 * at `manifests-command[1]:42`, the line of the rendered output.
 *
 * Running a command is the host's business (the same shell runner as `events-command`), passed in
 * as `run`; this module only splits the input, names the outputs and words the failures.
 */
import type { ManifestFile } from '../manifests/load.js'
import type { Problem } from '../manifests/model.js'
import { lastLines } from './command.js'

export const MANIFESTS_COMMAND_LABEL = 'manifests-command'

/** What running one command came to: its standard output, or why it failed and its stderr. */
export type CommandOutcome = { stdout: string } | { failed: string; stderr: string }

/** Runs one command through `/bin/sh -c`, exactly as written, in `cwd`. */
export type CommandRunner = (
  command: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv },
) => Promise<CommandOutcome>

export interface ManifestsCommandOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  run: CommandRunner
  /** shows a failed command's standard error in full */
  info?: (message: string) => void
}

/** How many of the last lines of standard error go into the one-line problem. */
const STDERR_LINES_IN_PROBLEM = 3
/** How much of a command is quoted in a problem. */
const COMMAND_CHARS_IN_PROBLEM = 80

/**
 * The commands of the input: one per line; blank lines and `#` comment lines are skipped, and a
 * line ending in `\` continues on the next, as in a shell script.
 */
export function splitCommands(input: string): string[] {
  const commands: string[] = []
  let current = ''
  for (const raw of input.split(/\r?\n/)) {
    const line = raw.trim()
    if (current === '' && (line === '' || line.startsWith('#'))) continue
    if (line.endsWith('\\')) {
      current += line.slice(0, -1).trimEnd() + ' '
      continue
    }
    commands.push((current + line).trim())
    current = ''
  }
  if (current.trim() !== '') commands.push(current.trim())
  return commands
}

/** Runs each command in turn; a failed one is one error, and the others still count. */
export async function readManifestsCommands(
  input: string,
  options: ManifestsCommandOptions,
): Promise<{ files: ManifestFile[]; problems: Problem[] }> {
  const files: ManifestFile[] = []
  const problems: Problem[] = []
  const commands = splitCommands(input)
  for (const [i, command] of commands.entries()) {
    const label = `${MANIFESTS_COMMAND_LABEL}[${i + 1}]`
    const outcome = await options.run(command, {
      cwd: options.cwd,
      ...(options.env ? { env: options.env } : {}),
    })
    if ('stdout' in outcome) {
      files.push({ path: label, text: outcome.stdout })
      continue
    }
    if (outcome.stderr.trim() !== '') {
      options.info?.(`${label} standard error:\n${outcome.stderr.trimEnd()}`)
    }
    const tail = lastLines(outcome.stderr, STDERR_LINES_IN_PROBLEM)
    problems.push({
      severity: 'error',
      message: `${label} (${shorten(command)}) ${outcome.failed}${tail ? `: ${tail}` : ''}; its manifests are not loaded`,
      location: { file: label },
    })
  }
  return { files, problems }
}

function shorten(command: string): string {
  return command.length <= COMMAND_CHARS_IN_PROBLEM
    ? command
    : `${command.slice(0, COMMAND_CHARS_IN_PROBLEM - 1)}…`
}
