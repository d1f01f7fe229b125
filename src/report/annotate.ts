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
    if (location) {
      properties.file = workspaceRelative(location.file, options.workspace)
      if (location.line !== undefined) {
        properties.startLine = location.line
        // A column is only allowed on a single-line annotation, which this always is.
        if (location.column !== undefined) properties.startColumn = location.column
      }
    }
    if (problem.severity === 'error') core.error(problem.message, properties)
    else if (problem.severity === 'notice' && core.notice) core.notice(problem.message, properties)
    else core.warning(problem.message, properties)
  }
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
