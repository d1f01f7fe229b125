/**
 * The IO edge for event files: expands the `events` entries (files, globs, `-` for standard input)
 * and streams each one through the parser (`readEventSource`: gzip inflated, one value at a
 * time), so a file of any size costs the memory of its events, not of its text. Every failure
 * is a one-line Problem naming the entry.
 */
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Problem } from '../manifests/model.js'
import type { EventsSink, ParsedEvents } from '../events/parse.js'
import { readEventSource } from './decode.js'

/**
 * Files read whole (`readTextFileLimited`: the repository_dispatch payload) are refused past
 * this size. Event sources are streamed instead and only one value of them is bounded.
 */
export const MAX_EVENT_SOURCE_BYTES = 100 * 1024 * 1024

const MAX_SIZE_TEXT = '100 MiB'

/** How standard input is named in origins and problems. */
export const STDIN_LABEL = 'stdin'

/**
 * Standard input for the entry `-`: its text (as tests and older hosts give it) or, better, the
 * stream itself (process.stdin), read as it comes.
 */
export type ReadStdin = () => Promise<string | AsyncIterable<Uint8Array | string>>

/** Fetches and parses one `http(s)://` entry (`readEventUrl` in `url.ts`, with the run's token). */
export type ReadUrl = (url: string) => Promise<ParsedEvents>

/**
 * Downloads the artifact of an `artifact:<name>[@<run-id>]` entry and parses every event file in
 * it (`readArtifactEvents` in `artifact.ts`, with the run's token and environment). `runId` is
 * absent for this run's artifact.
 */
export type ReadArtifact = (name: string, runId: string | undefined) => Promise<ParsedEvents>

const ARTIFACT_ENTRY = /^artifact:([^@]+)(?:@(\d+))?$/

/**
 * Reads and parses every entry, in the order given (glob matches sorted). A file or URL named
 * twice (or a file matched by two globs) is read once. `readStdin` is used for the entry `-`; it
 * defaults to the process's standard input. `readUrl` reads `http://` and `https://` entries.
 * With `onEvents`, files and standard input hand their events on as they are read (the result
 * then holds only what the other readers returned).
 */
export async function readEventFiles(
  entries: string[],
  cwd: string,
  readStdin: ReadStdin = readStandardInput,
  readUrl: ReadUrl = readUrlWithoutToken,
  readArtifact?: ReadArtifact,
  onEvents?: EventsSink,
): Promise<ParsedEvents> {
  const result: ParsedEvents = { events: [], problems: [], ignored: { nonFlux: 0, trace: 0 } }
  const seen = new Set<string>()

  for (const rawEntry of entries) {
    const entry = rawEntry.trim()
    if (entry === '') continue

    if (entry === '-') {
      if (seen.has('-')) continue
      seen.add('-')
      merge(result, await readStandardInputEvents(readStdin, onEvents))
      continue
    }

    if (/^https?:\/\//i.test(entry)) {
      if (seen.has(entry)) continue
      seen.add(entry)
      merge(result, await readUrl(entry))
      continue
    }

    if (entry.startsWith('artifact:')) {
      if (seen.has(entry)) continue
      seen.add(entry)
      const match = ARTIFACT_ENTRY.exec(entry)
      if (!match) {
        result.problems.push({
          severity: 'error',
          message: `${entry}: expected artifact:<name> or artifact:<name>@<run id>`,
        })
      } else if (!readArtifact) {
        result.problems.push({
          severity: 'error',
          message: `${entry}: artifacts can only be read inside GitHub Actions`,
        })
      } else {
        merge(result, await readArtifact(match[1]!.trim(), match[2]))
      }
      continue
    }

    const files = await expandEntry(entry, cwd)
    if (!Array.isArray(files)) {
      result.problems.push(files)
      continue
    }
    for (const file of files) {
      const absolute = path.resolve(cwd, file)
      if (seen.has(absolute)) continue
      seen.add(absolute)
      merge(result, await readEventFile(absolute, file, onEvents))
    }
  }
  return result
}

// Loaded on first use: `url.ts` imports this module's size limit.
async function readUrlWithoutToken(url: string): Promise<ParsedEvents> {
  const { readEventUrl } = await import('./url.js')
  return readEventUrl(url)
}

/** An entry → the files it names (paths relative to cwd, as given or as matched), or a Problem. */
async function expandEntry(entry: string, cwd: string): Promise<string[] | Problem> {
  const info = await stat(path.resolve(cwd, entry)).catch(() => undefined)
  if (info?.isFile()) return [entry]
  if (info?.isDirectory()) {
    return {
      severity: 'error',
      message: `${entry}: is a directory; name the event files or a glob such as ${entry}/*.json`,
    }
  }
  // the glob matcher is loaded only for an entry that names no file (most runs name files)
  const { glob, isDynamicPattern } = await import('tinyglobby')
  if (isDynamicPattern(entry)) {
    const matches = await glob(entry, { cwd, onlyFiles: true, expandDirectories: false })
    if (matches.length === 0) {
      // A warning, not an error: in poll mode the files may not have been written yet.
      return { severity: 'warning', message: `${entry}: no event files match this pattern` }
    }
    return matches.sort()
  }
  return { severity: 'error', message: `${entry}: event file not found` }
}

/** Reads a UTF-8 text file, refusing one over the size limit; `label` names it in the Problem. */
export async function readTextFileLimited(
  absolutePath: string,
  label: string,
): Promise<string | Problem> {
  try {
    const info = await stat(absolutePath)
    if (info.size > MAX_EVENT_SOURCE_BYTES) return tooLarge(label, info.size)
    return await readFile(absolutePath, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { severity: 'error', message: `${label}: event file not found` }
    return { severity: 'error', message: `${label}: cannot read: ${errorText(e)}` }
  }
}

/** One event file, streamed; `label` names it in origins and problems. */
function readEventFile(
  absolutePath: string,
  label: string,
  onEvents: EventsSink | undefined,
): Promise<ParsedEvents> {
  return readEventSource(createReadStream(absolutePath), label, {
    onEvents,
    describeError: (e) =>
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'event file not found'
        : `cannot read: ${errorText(e)}`,
  })
}

async function readStandardInputEvents(
  readStdin: ReadStdin,
  onEvents: EventsSink | undefined,
): Promise<ParsedEvents> {
  let input: string | AsyncIterable<Uint8Array | string>
  try {
    input = await readStdin()
  } catch (e) {
    const problem: Problem = {
      severity: 'error',
      message: `${STDIN_LABEL}: cannot read: ${errorText(e)}`,
    }
    return { events: [], problems: [problem], ignored: { nonFlux: 0, trace: 0 } }
  }
  return readEventSource(typeof input === 'string' ? textChunks(input) : input, STDIN_LABEL, {
    onEvents,
  })
}

async function* textChunks(text: string): AsyncGenerator<string> {
  yield text
}

/** The process's standard input, as a stream. */
async function readStandardInput(): Promise<AsyncIterable<Uint8Array | string>> {
  return process.stdin
}

function tooLarge(label: string, bytes: number): Problem {
  return {
    severity: 'error',
    message: `${label}: larger than ${MAX_SIZE_TEXT} (${bytes} bytes); refusing to read it`,
  }
}

function merge(into: ParsedEvents, from: ParsedEvents): void {
  for (const event of from.events) into.events.push(event)
  into.problems.push(...from.problems)
  into.ignored.nonFlux += from.ignored.nonFlux
  into.ignored.trace += from.ignored.trace
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n', 1)[0] ?? ''
}
