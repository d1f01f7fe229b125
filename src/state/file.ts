/**
 * The file store: the IO edge of `store.ts`.
 *
 * - `<path>` holds the whole state as one JSON document, replaced atomically at the end of a run
 *   (written to `<path>.tmp-<pid>`, flushed, renamed over `<path>`), so it is valid JSON whatever
 *   happens to the run.
 * - `<path>.journal` gets one JSON line per delivery as it ends `sent`/`unchanged`, flushed at
 *   once, and is removed once the state file holds it. A run killed in between leaves the journal;
 *   the next run merges it in, so it neither loses nor repeats those deliveries.
 * - State is a convenience, never a reason not to deliver: an unreadable or corrupt file is a
 *   warning and the run starts with empty state; a failed write is a warning too.
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { Problem } from '../manifests/model.js'
import {
  emptyState,
  journalLine,
  mergeJournal,
  parseJournal,
  parseState,
  serializeState,
  type JournalRecord,
  type StateStore,
} from './store.js'

export function journalPath(path: string): string {
  return `${path}.journal`
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  return code ?? (error instanceof Error ? error.message.split('\n')[0]! : String(error))
}

function warning(message: string): Problem {
  return { severity: 'warning', message }
}

/** Reads `<path>` (missing = empty) and merges a journal a killed run left behind. */
export function loadStateFile(path: string): { state: StateStore; problems: Problem[] } {
  const problems: Problem[] = []
  let state = emptyState()
  const text = readIfExists(path, problems, 'state file')
  if (text !== undefined) {
    const parsed = parseState(text)
    if ('error' in parsed) {
      problems.push(warning(`state file ${path}: ${parsed.error}: starting with empty state`))
    } else {
      state = parsed
    }
  }
  const journal = readIfExists(journalPath(path), problems, 'state journal')
  if (journal !== undefined) state = mergeJournal(state, parseJournal(journal))
  return { state, problems }
}

function readIfExists(path: string, problems: Problem[], what: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    const code = errorCode(error)
    if (code !== 'ENOENT') {
      problems.push(warning(`${what} ${path}: ${code}: starting with empty state`))
    }
    return undefined
  }
}

/** Whether the file is empty or its last byte is a newline. */
function endsWithNewline(fd: number): boolean {
  const { size } = fstatSync(fd)
  if (size === 0) return true
  const last = Buffer.alloc(1)
  readSync(fd, last, 0, 1, size - 1)
  return last[0] === 0x0a
}

/** Appends delivery records to `<path>.journal`, each flushed to disk before `append` returns. */
export class StateJournal {
  private fd: number | undefined
  private failed = false

  constructor(
    private readonly path: string,
    private readonly onProblem: (problem: Problem) => void,
  ) {}

  append(record: JournalRecord): void {
    if (this.failed) return
    try {
      if (this.fd === undefined) {
        mkdirSync(dirname(this.path), { recursive: true })
        this.fd = openSync(journalPath(this.path), 'a+')
        // A journal left by a killed run may end in a cut line: our first record must start a
        // line of its own, or it would be glued to that fragment and lost with it.
        if (!endsWithNewline(this.fd)) writeSync(this.fd, '\n')
      }
      writeSync(this.fd, journalLine(record))
      fsyncSync(this.fd)
    } catch (error) {
      // reported once; deliveries go on, and the state file at the end still records them
      this.failed = true
      this.onProblem(
        warning(`state journal ${journalPath(this.path)}: ${errorCode(error)}: not journalled`),
      )
    }
  }

  close(): void {
    if (this.fd === undefined) return
    try {
      closeSync(this.fd)
    } catch {
      // nothing was buffered: every line was flushed when written
    }
    this.fd = undefined
  }
}

/**
 * Writes the state atomically and then removes the journal it now contains. Returns the file's size
 * in bytes, or a warning when it could not be written (the journal is then kept for the next run).
 */
export function saveStateFile(path: string, state: StateStore): { bytes: number } | Problem {
  const text = serializeState(state)
  const temporary = `${path}.tmp-${process.pid}`
  try {
    mkdirSync(dirname(path), { recursive: true })
    const fd = openSync(temporary, 'w')
    try {
      writeSync(fd, text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, path)
  } catch (error) {
    try {
      rmSync(temporary, { force: true })
    } catch {
      // the write already failed; that is what the warning says
    }
    return warning(`state file ${path}: ${errorCode(error)}: state not saved`)
  }
  try {
    rmSync(journalPath(path), { force: true })
  } catch {
    // a journal left behind only repeats what the state file already says
  }
  removeStaleTemporaries(path)
  return { bytes: Buffer.byteLength(text, 'utf8') }
}

/**
 * Removes the `<path>.tmp-<pid>` files of runs killed while saving, which nothing else would ever
 * remove. A file whose process is still running is left alone: it may be mid-save.
 */
function removeStaleTemporaries(path: string): void {
  const prefix = `${basename(path)}.tmp-`
  let names: string[]
  try {
    names = readdirSync(dirname(path))
  } catch {
    return
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const pid = Number(name.slice(prefix.length))
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue
    try {
      rmSync(join(dirname(path), name), { force: true })
    } catch {
      // litter, not harm: the next successful save tries again
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it runs, as another user
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}
