/**
 * The IO edge for `events-command`: the workflow author's command, run once through `/bin/sh -c`
 * exactly as written. Nothing read from events (or anywhere else) is ever put into the command
 * line; the shell sees the author's text and nothing more. Its standard output is the event
 * source, parsed as it is printed (the pipe's back-pressure holds the command when the parser is
 * behind, so nothing piles up); its standard error is shown only when it fails, since tools such
 * as kubectl write progress and warnings there. A failed command's events are not used: its
 * output may be cut anywhere.
 */
import { spawn } from 'node:child_process'
import type { ParsedEvents } from '../events/parse.js'
import { readEventSource } from './decode.js'

/** How the command is named in origins and problems. */
export const EVENTS_COMMAND_LABEL = 'events-command'

/** How much of standard error is kept: its end, which is where the reason usually is. */
const STDERR_TAIL_BYTES = 64 * 1024
/** How many of its last lines go into the one-line Problem. */
const STDERR_LINES_IN_PROBLEM = 3
/** How long a command stopped with SIGTERM (its output refused) has before SIGKILL. */
const KILL_GRACE_MS = 5_000

export interface EventsCommandOptions {
  cwd: string
  /** the command's environment; default the process's own */
  env?: NodeJS.ProcessEnv
  /** shows the command's standard error when it failed */
  info?: (message: string) => void
}

/** How the command ended. */
type Exit = { code: number | null; signal: NodeJS.Signals | null } | { spawnError: Error }

/** Runs `command` once and parses what it prints, while it prints it. */
export async function readEventsCommand(
  command: string,
  options: EventsCommandOptions,
): Promise<ParsedEvents> {
  // The command is one argument of `sh -c`: the author's shell text, as in a workflow `run:`.
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = Buffer.alloc(0)
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = Buffer.concat([stderr, chunk])
    if (stderr.length > STDERR_TAIL_BYTES) stderr = stderr.subarray(-STDERR_TAIL_BYTES)
  })
  const exited = new Promise<Exit>((resolve) => {
    child.on('error', (spawnError) => resolve({ spawnError }))
    child.on('close', (code, signal) => resolve({ code, signal }))
  })

  const parsed = await readEventSource(child.stdout, EVENTS_COMMAND_LABEL)
  // The reader stopped before the end of the output (a value it refuses): the rest is not
  // wanted, and the command is not waited for.
  const refused = !child.stdout.readableEnded
  if (refused && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref()
  }
  const exit = await exited
  if (refused) return parsed

  const fail = (why: string): ParsedEvents => ({
    events: [],
    problems: [{ severity: 'error', message: `${EVENTS_COMMAND_LABEL}: ${why}` }],
    ignored: { nonFlux: 0, trace: 0 },
  })
  if ('spawnError' in exit) return fail(`cannot run /bin/sh: ${exit.spawnError.message}`)
  if (exit.code === 0) return parsed
  const errorText = stderr.toString('utf8')
  if (errorText.trim() !== '') {
    options.info?.(`${EVENTS_COMMAND_LABEL} standard error:\n${errorText.trimEnd()}`)
  }
  const how =
    exit.code === null
      ? `was killed by ${exit.signal ?? 'a signal'}`
      : `exited with code ${exit.code}`
  const last = lastLines(errorText, STDERR_LINES_IN_PROBLEM)
  return fail(last === '' ? how : `${how}: ${last}`)
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
