/**
 * The `manifests` input, turned into file contents: each entry is a file, a directory (searched
 * recursively for `*.yaml`/`*.yml`) or a glob; an entry starting with `!` (a file, directory or
 * glob) removes what it names from what the other entries found, whatever their order. Each file
 * carries the namespace of the nearest kustomization that sets one, which the loader uses for
 * objects that name no namespace.
 *
 * Helm chart templates are not manifests: a file with `{{ … }}` outside its comments that is in a
 * `templates/` directory or is not valid YAML is skipped, with one notice.
 *
 * Paths are reported relative to `cwd` with `/` separators, the form annotations need.
 */
import { readdirSync, readFileSync, statSync, type Dirent, type Stats } from 'node:fs'
import path from 'node:path'
import { parseAllDocuments, parseDocument } from 'yaml'
import type { ManifestFile } from '../manifests/load.js'
import type { Problem } from '../manifests/model.js'

/** Largest manifest file read; anything bigger is refused rather than parsed. */
export const MAX_MANIFEST_BYTES = 10 * 1024 * 1024

/** Directories never searched: dependencies and Git's own files are not manifests. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git'])

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']

export async function findManifestFiles(
  entries: readonly string[],
  cwd: string,
): Promise<{ files: ManifestFile[]; problems: Problem[] }> {
  const root = path.resolve(cwd)
  const problems: Problem[] = []
  const found = new Set<string>()

  const included = entries.filter((e) => !e.trim().startsWith('!'))
  const excluded = entries
    .filter((e) => e.trim().startsWith('!'))
    .map((e) => e.trim().slice(1).trim())

  for (const entry of included) {
    const absolute = path.resolve(root, entry)
    const stat = statOrUndefined(absolute)
    if (stat?.isFile()) {
      found.add(absolute)
    } else if (stat?.isDirectory()) {
      for (const file of walk(absolute)) found.add(file)
    } else if (await isGlob(entry)) {
      const { glob } = await import('tinyglobby')
      const matches = await glob(entry, {
        cwd: root,
        absolute: true,
        onlyFiles: true,
        ignore: ['**/node_modules/**', '**/.git/**'],
      })
      if (matches.length === 0) {
        problems.push({ severity: 'error', message: `manifests: no file matches '${entry}'` })
      }
      for (const file of matches) found.add(path.resolve(file))
    } else {
      problems.push({
        severity: 'error',
        message: `manifests: '${entry}' does not exist (resolved against ${root})`,
      })
    }
  }

  const isExcluded = await exclusions(excluded, root)
  const sorted = [...found]
    .filter((absolute) => !isExcluded(absolute))
    .map((absolute) => ({ absolute, relative: relativePosix(root, absolute) }))
    .sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0))

  // Read one after the other, synchronously: for the few to few thousand small files of a
  // repository this is faster than the thread pool's round trips (start-up time, design.md §5).
  const namespaces = new KustomizationNamespaces(root)
  const read = sorted.map((f): { file: ManifestFile } | { problem: Problem } => {
    const result = readManifest(f.absolute, f.relative)
    if ('problem' in result) return result
    const helmLine = helmTemplateLine(f.relative, result.text)
    if (helmLine !== undefined) {
      return {
        problem: {
          severity: 'notice' as const,
          message: `skipped: a Helm chart template ({{ … }} on line ${helmLine}), not a manifest; to check the objects it renders, pass \`helm template …\` with \`manifests-command\`, or exclude it with a \`!\` entry`,
          location: { file: f.relative, line: helmLine },
        },
      }
    }
    const file: ManifestFile = { path: f.relative, text: result.text }
    const namespace = namespaces.forFile(f.absolute)
    if (namespace) file.namespace = namespace
    return { file }
  })
  const files: ManifestFile[] = []
  for (const r of read) {
    if ('problem' in r) problems.push(r.problem)
    else files.push(r.file)
  }
  return { files, problems }
}

/**
 * Characters without which picomatch (tinyglobby's parser) never calls a pattern a glob: `*`, `?`,
 * `[`, `{` and `(` (alone or after `+`, `@` or `!`), or a leading `!`. The closing ones are there
 * only for the reader.
 */
const GLOB_CHARACTERS = /[*?[\]{}()!+@]/

/**
 * tinyglobby's own `isDynamicPattern`, asked only when an entry has a glob character: tinyglobby
 * and its walker and matcher (~40 KB) load only for runs that use globs (start-up time,
 * design.md §5), while what counts as a glob stays exactly tinyglobby's.
 */
async function isGlob(entry: string): Promise<boolean> {
  if (!GLOB_CHARACTERS.test(entry)) return false
  const { isDynamicPattern } = await import('tinyglobby')
  return isDynamicPattern(entry)
}

/**
 * Whether a path is removed by a `!` entry: the file itself, anything under a directory, anything
 * a glob matches (directories it matches included). An exclusion that matches nothing is fine.
 */
async function exclusions(
  entries: readonly string[],
  root: string,
): Promise<(absolute: string) => boolean> {
  const files = new Set<string>()
  const directories: string[] = []
  for (const entry of entries) {
    if (entry === '') continue
    const absolute = path.resolve(root, entry)
    const stat = statOrUndefined(absolute)
    if (stat?.isDirectory()) directories.push(absolute)
    else if (stat?.isFile()) files.add(absolute)
    else if (await isGlob(entry)) {
      const { glob } = await import('tinyglobby')
      const matches = await glob(entry, { cwd: root, absolute: true, onlyFiles: false })
      for (const match of matches) {
        const resolved = path.resolve(match)
        files.add(resolved)
        directories.push(resolved)
      }
    }
  }
  return (absolute) =>
    files.has(absolute) ||
    directories.some((d) => absolute.startsWith(d.endsWith(path.sep) ? d : d + path.sep))
}

/**
 * The line of the first `{{ … }}` outside a comment, when the file is a Helm chart template: in a
 * `templates/` directory, or not valid YAML. (Valid YAML outside `templates/` that holds `{{`,
 * such as an Alertmanager template in a ConfigMap, is an ordinary manifest.)
 */
export function helmTemplateLine(relative: string, text: string): number | undefined {
  if (!text.includes('{{')) return undefined
  let line: number | undefined
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const code = lines[i]!.replace(/(^|\s)#.*$/, '')
    if (/\{\{.*\}\}/.test(code) || /^\s*\{\{-?/.test(code)) {
      line = i + 1
      break
    }
  }
  if (line === undefined) return undefined
  if (/(^|\/)templates\//.test(relative)) return line
  const docs = parseAllDocuments(text, { prettyErrors: false })
  const list = Array.isArray(docs) ? docs : []
  return list.some((d) => d.errors.length > 0) ? line : undefined
}

/** Every `*.yaml`/`*.yml` file under `directory`, symbolic links to directories not followed. */
function walk(directory: string): string[] {
  const out: string[] = []
  let entries: Dirent[]
  try {
    entries = readdirSync(directory, { withFileTypes: true })
  } catch {
    return out
  }
  for (const entry of entries) {
    const full = path.join(directory, entry.name)
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) out.push(...walk(full))
    } else if (/\.ya?ml$/i.test(entry.name)) {
      if (entry.isFile()) out.push(full)
      else if (entry.isSymbolicLink() && statOrUndefined(full)?.isFile()) out.push(full)
    }
  }
  return out
}

/** The file's or directory's status, or undefined when it cannot be had (missing, no access). */
function statOrUndefined(target: string): Stats | undefined {
  try {
    return statSync(target)
  } catch {
    return undefined
  }
}

function readManifest(absolute: string, relative: string): { text: string } | { problem: Problem } {
  try {
    const { size } = statSync(absolute)
    if (size > MAX_MANIFEST_BYTES) {
      return {
        problem: {
          severity: 'error',
          message: `refused: the file is ${size} bytes, more than the ${MAX_MANIFEST_BYTES} (10 MiB) a manifest file may have`,
          location: { file: relative },
        },
      }
    }
    const text = readFileSync(absolute, 'utf8')
    return { text: text.startsWith('\uFEFF') ? text.slice(1) : text }
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    return {
      problem: {
        severity: 'error',
        message: `cannot read the file: ${reason}`,
        location: { file: relative },
      },
    }
  }
}

/**
 * The `namespace:` of the nearest kustomization that sets one, searching from a file's directory
 * up to `root` (never above). Only kustomize's own files count (`kustomize.config.k8s.io`, or no
 * apiVersion at all); a Flux `Kustomization` object saved as `kustomization.yaml` does not.
 * Whether the kustomization actually lists the file among its resources is not checked.
 */
class KustomizationNamespaces {
  /** directory → the namespace its own kustomization sets ('' when none) */
  private readonly own = new Map<string, string>()

  constructor(private readonly root: string) {}

  forFile(file: string): string | undefined {
    let directory = path.dirname(file)
    const inside = isInside(this.root, directory)
    for (;;) {
      const namespace = this.ownNamespace(directory)
      if (namespace) return namespace
      const parent = path.dirname(directory)
      // Files outside the root only get their own directory's kustomization.
      if (!inside || directory === this.root || parent === directory) return undefined
      directory = parent
    }
  }

  private ownNamespace(directory: string): string {
    let cached = this.own.get(directory)
    if (cached === undefined) {
      cached = readKustomizationNamespace(directory)
      this.own.set(directory, cached)
    }
    return cached
  }
}

function readKustomizationNamespace(directory: string): string {
  for (const name of KUSTOMIZATION_FILES) {
    let text: string
    try {
      text = readFileSync(path.join(directory, name), 'utf8')
    } catch {
      continue
    }
    let value: unknown
    try {
      value = parseDocument(text).toJS({ maxAliasCount: 100 })
    } catch {
      return '' // an alias bomb sets no namespace; the loader reports the file itself
    }
    if (typeof value !== 'object' || value === null) return ''
    const { apiVersion, namespace } = value as { apiVersion?: unknown; namespace?: unknown }
    const isKustomize =
      apiVersion === undefined ||
      (typeof apiVersion === 'string' && apiVersion.startsWith('kustomize.config.k8s.io/'))
    return isKustomize && typeof namespace === 'string' ? namespace : ''
  }
  return ''
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target)
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}

function relativePosix(root: string, absolute: string): string {
  return path.relative(root, absolute).split(path.sep).join('/')
}
