/**
 * The IO edge for `events-command`: the workflow author's command, run once through `/bin/sh -c`
 * exactly as written. Nothing read from events (or anywhere else) is ever put into the command
 * line; the shell sees the author's text and nothing more. Its standard output is the event
 * source; its standard error is shown only when it fails, since tools such as kubectl write
 * progress and warnings there.
 */
import { spawn } from 'node:child_process'
import type { Problem } from '../manifests/model.js'
import { parseEvents, type ParsedEvents } from '../events/parse.js'
import { MAX_EVENT_SOURCE_BYTES } from './event-files.js'

/** How the command is named in origins and problems. */
export const EVENTS_COMMAND_LABEL = 'events-command'

/** How much of standard error is kept: its end, which is where the reason usually is. */
const STDERR_TAIL_BYTES = 64 * 1024
/** How many of its last lines go into the one-line Problem. */
const STDERR_LINES_IN_PROBLEM = 3

export interface EventsCommandOptions {
  cwd: string
  /** the command's environment; default the process's own */
  env?: NodeJS.ProcessEnv
  /** shows the command's standard error when it failed */
  info?: (message: string) => void
}

/** What running the command came to, before parsing. */
type CommandOutcome = { stdout: string } | { problem: Problem; stderr: string }

/** Runs `command` once and parses what it printed. */
export async function readEventsCommand(
  command: string,
  options: EventsCommandOptions,
): Promise<ParsedEvents> {
  const outcome = await runCommand(command, options)
  if ('stdout' in outcome) return parseEvents(outcome.stdout, EVENTS_COMMAND_LABEL)
  if (outcome.stderr.trim() !== '') {
    options.info?.(`${EVENTS_COMMAND_LABEL} standard error:\n${outcome.stderr.trimEnd()}`)
  }
  return { events: [], problems: [outcome.problem], ignored: { nonFlux: 0, trace: 0 } }
}

function runCommand(command: string, options: EventsCommandOptions): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const fail = (why: string, stderr: string): void =>
      resolve({
        problem: { severity: 'error', message: `${EVENTS_COMMAND_LABEL}: ${why}` },
        stderr,
      })

    // The command is one argument of `sh -c`: the author's shell text, as in a workflow `run:`.
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })

    const stdout: Buffer[] = []
    let stdoutBytes = 0
    let tooLarge = false
    let stderr = Buffer.alloc(0)

    child.stdout.on('data', (chunk: Buffer) => {
      if (tooLarge) return
      stdoutBytes += chunk.length
      if (stdoutBytes > MAX_EVENT_SOURCE_BYTES) {
        tooLarge = true
        stdout.length = 0
        child.kill('SIGTERM')
        return
      }
      stdout.push(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk])
      if (stderr.length > STDERR_TAIL_BYTES) stderr = stderr.subarray(-STDERR_TAIL_BYTES)
    })

    child.on('error', (error) => fail(`cannot run /bin/sh: ${error.message}`, ''))
    child.on('close', (code, signal) => {
      const errorText = stderr.toString('utf8')
      if (tooLarge) {
        fail(`printed more than 100 MiB (${stdoutBytes} bytes); refusing to read it`, errorText)
      } else if (code === 0) {
        resolve({ stdout: Buffer.concat(stdout).toString('utf8') })
      } else {
        const how =
          code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`
        const last = lastLines(errorText, STDERR_LINES_IN_PROBLEM)
        fail(last === '' ? how : `${how}: ${last}`, errorText)
      }
    })
  })
}

/** The last non-blank lines of `text`, joined on one line. */
function lastLines(text: string, count: number): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(-count)
    .join(' / ')
}
