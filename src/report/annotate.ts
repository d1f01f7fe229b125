/**
 * Problems found while loading manifests and events, as GitHub annotations (shown on the file and
 * line in the run and in pull requests) and as one-line terminal messages. The `core` object is a
 * parameter, so the one edge that touches `@actions/core` can be tested with a plain recorder.
 */
import path from 'node:path'
import type { AnnotationProperties } from '@actions/core'
import type { Problem } from '../manifests/model.js'

/** The two functions of `@actions/core` used here; `import * as core` satisfies it. */
export interface AnnotationSink {
  error(message: string, properties?: AnnotationProperties): void
  warning(message: string, properties?: AnnotationProperties): void
  /** for `notice` problems; a sink without it shows them as warnings */
  notice?(message: string, properties?: AnnotationProperties): void
}

export interface AnnotateOptions {
  /**
   * The repository checkout (`GITHUB_WORKSPACE`). GitHub places an annotation only when `file` is
   * relative to it, so absolute paths inside it are made relative.
   */
  workspace?: string
}

const TITLE = 'flux-notify'

export function annotate(
  problems: readonly Problem[],
  core: AnnotationSink,
  options: AnnotateOptions = {},
): void {
  for (const problem of problems) {
    const properties: AnnotationProperties = { title: TITLE }
    const location = problem.location
    let message = problem.message
    if (location && !isRepositoryFile(location.file)) {
      // a URL, an artifact, standard input or a command's output: no file GitHub could show, so
      // the place goes into the message instead
      message = `${problemLocation(problem)}: ${message}`
    } else if (location) {
      properties.file = workspaceRelative(location.file, options.workspace)
      if (location.line !== undefined) {
        properties.startLine = location.line
        // A column is only allowed on a single-line annotation, which this always is.
        if (location.column !== undefined) properties.startColumn = location.column
      }
    }
    if (problem.severity === 'error') core.error(message, properties)
    else if (problem.severity === 'notice' && core.notice) core.notice(message, properties)
    else core.warning(message, properties)
  }
}

/**
 * Whether a problem's `file` is a path in the repository, rather than the label of a source that
 * is not a file there: `https://…`, `artifact:<name>/<path>`, `stdin`, `events-command`,
 * `manifests-command[1]`.
 */
export function isRepositoryFile(label: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:/i.test(label)) return false
  if (label === 'stdin' || label === 'events-command') return false
  return !/^manifests-command\[\d+\]$/.test(label)
}

/**
 * `file:line:col: message` (parts the problem lacks are left out), on one line; a notice is
 * marked `notice:` so a terminal reader does not take it for something wrong.
 */
export function problemLine(problem: Problem): string {
  const where = problemLocation(problem)
  const message = problem.message.replace(/\s*(\r\n|\r|\n)\s*/g, ' ').trim()
  const text = problem.severity === 'notice' ? `notice: ${message}` : message
  return where ? `${where}: ${text}` : text
}

/** `file:line:col`, `file:line`, `file`, or `` when the problem has no location. */
export function problemLocation(problem: Problem): string {
  const l = problem.location
  if (!l) return ''
  if (l.line === undefined) return l.file
  return l.column === undefined ? `${l.file}:${l.line}` : `${l.file}:${l.line}:${l.column}`
}

function workspaceRelative(file: string, workspace: string | undefined): string {
  if (!workspace || !path.isAbsolute(file)) return file
  const relative = path.relative(workspace, file)
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return file
  return relative.split(path.sep).join('/')
}

/** The one line a lint run ends with: how many problems of each severity, and that nothing was sent. */
export function lintTotals(problems: readonly Problem[]): string {
  const count = (severity: Problem['severity']): number =>
    problems.filter((p) => p.severity === severity).length
  return `lint: ${count('error')} error(s), ${count('warning')} warning(s), ${count('notice')} notice(s); no events read, nothing sent`
}
