/**
 * The IO edge for `events-command`: the workflow author's command, run once through `/bin/sh -c`
 * exactly as written. Nothing read from events (or anywhere else) is ever put into the command
 * line; the shell sees the author's text and nothing more. Its standard output is the event
 * source, parsed as it is printed (the pipe's back-pressure holds the command when the parser is
 * behind, so nothing piles up); its standard error is shown only when it fails, since tools such
 * as kubectl write progress and warnings there. A failed command's events are not used: its
 * output may be cut anywhere.
 *
 * `runShellCommand` is the same runner for commands whose whole output is wanted as text
 * (`manifests-command`): it collects standard output, up to a size limit, and words a failure
 * the same way.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'
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

/** A started `/bin/sh -c` command: its output streams, the tail of its stderr, and its end. */
interface ShellChild {
  child: ChildProcessByStdio<null, Readable, Readable>
  /** the last `STDERR_TAIL_BYTES` of standard error so far */
  stderrTail(): string
  exited: Promise<Exit>
}

/** Starts `command` as the author wrote it: one argument of `sh -c`, as in a workflow `run:`. */
function startShell(
  command: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): ShellChild {
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
  return { child, stderrTail: () => stderr.toString('utf8'), exited }
}

/**
 * Stops a command whose output is no longer wanted: its pipes are closed (a process the shell
 * started, which a signal to the shell does not reach, ends on its next write), and the shell
 * gets SIGTERM, then SIGKILL after a grace.
 */
function stopShell(child: ShellChild['child']): void {
  child.stdout.destroy()
  child.stderr.destroy()
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref()
}

/** `exited with code 2`, `was killed by SIGTERM`: how a command that did not succeed ended. */
function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.code === null
    ? `was killed by ${exit.signal ?? 'a signal'}`
    : `exited with code ${exit.code}`
}

/** Runs `command` once and parses what it prints, while it prints it. */
export async function readEventsCommand(
  command: string,
  options: EventsCommandOptions,
): Promise<ParsedEvents> {
  const shell = startShell(command, options)
  const { child } = shell

  const parsed = await readEventSource(child.stdout, EVENTS_COMMAND_LABEL)
  // The reader stopped before the end of the output (a value it refuses): the rest is not
  // wanted, and the command is not waited for.
  const refused = !child.stdout.readableEnded
  if (refused) stopShell(child)
  const exit = await shell.exited
  if (refused) return parsed

  const fail = (why: string): ParsedEvents => ({
    events: [],
    problems: [{ severity: 'error', message: `${EVENTS_COMMAND_LABEL}: ${why}` }],
    ignored: { nonFlux: 0, trace: 0 },
  })
  if ('spawnError' in exit) return fail(`cannot run /bin/sh: ${exit.spawnError.message}`)
  if (exit.code === 0) return parsed
  const errorText = shell.stderrTail()
  if (errorText.trim() !== '') {
    options.info?.(`${EVENTS_COMMAND_LABEL} standard error:\n${errorText.trimEnd()}`)
  }
  const how = describeExit(exit)
  const last = lastLines(errorText, STDERR_LINES_IN_PROBLEM)
  return fail(last === '' ? how : `${how}: ${last}`)
}

/** Largest standard output `runShellCommand` keeps; past it the command is stopped. */
export const MAX_COMMAND_OUTPUT_BYTES = 64 * 1024 * 1024

export interface ShellCommandOptions {
  cwd: string
  /** the command's environment; default the process's own */
  env?: NodeJS.ProcessEnv
  /** standard output kept at most; default `MAX_COMMAND_OUTPUT_BYTES` */
  maxBytes?: number
}

/**
 * Runs `command` once and returns its whole standard output as UTF-8 text, or why it failed
 * (`exited with code 1`, …) with the tail of its standard error. Output over `maxBytes` stops
 * the command and is a failure: a cut YAML stream would load as a smaller configuration.
 */
export async function runShellCommand(
  command: string,
  options: ShellCommandOptions,
): Promise<{ stdout: string } | { failed: string; stderr: string }> {
  const maxBytes = options.maxBytes ?? MAX_COMMAND_OUTPUT_BYTES
  const shell = startShell(command, options)
  const chunks: Buffer[] = []
  let size = 0
  let tooLarge = false
  shell.child.stdout.on('data', (chunk: Buffer) => {
    if (tooLarge) return
    size += chunk.length
    if (size > maxBytes) {
      tooLarge = true
      chunks.length = 0
      stopShell(shell.child)
      return
    }
    chunks.push(chunk)
  })
  const exit = await shell.exited
  const stderr = shell.stderrTail()
  if ('spawnError' in exit) {
    return { failed: `cannot run /bin/sh: ${exit.spawnError.message}`, stderr }
  }
  if (tooLarge) return { failed: `printed more than ${maxBytes} bytes`, stderr }
  if (exit.code !== 0) return { failed: describeExit(exit), stderr }
  return { stdout: Buffer.concat(chunks).toString('utf8') }
}

/** The last non-blank lines of `text`, joined on one line. */
export function lastLines(text: string, count: number): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(-count)
    .join(' / ')
}
