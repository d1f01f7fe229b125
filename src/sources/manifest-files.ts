/**
 * The `manifests` input, turned into file contents: each entry is a file, a directory (searched
 * recursively for `*.yaml`/`*.yml`) or a glob. Each file carries the namespace of the nearest
 * kustomization that sets one, which the loader uses for objects that name no namespace.
 *
 * Paths are reported relative to `cwd` with `/` separators, the form annotations need.
 */
import { promises as fs, type Dirent } from 'node:fs'
import path from 'node:path'
import { glob, isDynamicPattern } from 'tinyglobby'
import { parseDocument } from 'yaml'
import type { ManifestFile } from '../manifests/load.js'
import type { Problem } from '../manifests/model.js'

/** Largest manifest file read; anything bigger is refused rather than parsed. */
export const MAX_MANIFEST_BYTES = 10 * 1024 * 1024

/** Directories never searched: dependencies and Git's own files are not manifests. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git'])

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']

/** Files read at the same time. */
const READ_CONCURRENCY = 16

export async function findManifestFiles(
  entries: readonly string[],
  cwd: string,
): Promise<{ files: ManifestFile[]; problems: Problem[] }> {
  const root = path.resolve(cwd)
  const problems: Problem[] = []
  const found = new Set<string>()

  for (const entry of entries) {
    const absolute = path.resolve(root, entry)
    const stat = await fs.stat(absolute).catch(() => undefined)
    if (stat?.isFile()) {
      found.add(absolute)
    } else if (stat?.isDirectory()) {
      for (const file of await walk(absolute)) found.add(file)
    } else if (isDynamicPattern(entry)) {
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

  const sorted = [...found]
    .map((absolute) => ({ absolute, relative: relativePosix(root, absolute) }))
    .sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0))

  const namespaces = new KustomizationNamespaces(root)
  const read = await mapLimit(sorted, READ_CONCURRENCY, async (f) => {
    const result = await readManifest(f.absolute, f.relative)
    if ('problem' in result) return result
    const file: ManifestFile = { path: f.relative, text: result.text }
    const namespace = await namespaces.forFile(f.absolute)
    if (namespace) file.namespace = namespace
    return { file }
  })
  // Collected in path order, whatever order the reads finished in.
  const files: ManifestFile[] = []
  for (const r of read) {
    if ('problem' in r) problems.push(r.problem)
    else files.push(r.file)
  }
  return { files, problems }
}

/** Every `*.yaml`/`*.yml` file under `directory`, symbolic links to directories not followed. */
async function walk(directory: string): Promise<string[]> {
  const out: string[] = []
  let entries: Dirent[]
  try {
    entries = await fs.readdir(directory, { withFileTypes: true })
  } catch {
    return out
  }
  for (const entry of entries) {
    const full = path.join(directory, entry.name)
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) out.push(...(await walk(full)))
    } else if (/\.ya?ml$/i.test(entry.name)) {
      if (entry.isFile()) out.push(full)
      else if (entry.isSymbolicLink() && (await fs.stat(full).catch(() => undefined))?.isFile()) {
        out.push(full)
      }
    }
  }
  return out
}

async function readManifest(
  absolute: string,
  relative: string,
): Promise<{ text: string } | { problem: Problem }> {
  try {
    const { size } = await fs.stat(absolute)
    if (size > MAX_MANIFEST_BYTES) {
      return {
        problem: {
          severity: 'error',
          message: `refused: the file is ${size} bytes, more than the ${MAX_MANIFEST_BYTES} (10 MiB) a manifest file may have`,
          location: { file: relative },
        },
      }
    }
    const text = await fs.readFile(absolute, 'utf8')
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
  private readonly own = new Map<string, Promise<string>>()

  constructor(private readonly root: string) {}

  async forFile(file: string): Promise<string | undefined> {
    let directory = path.dirname(file)
    const inside = isInside(this.root, directory)
    for (;;) {
      const namespace = await this.ownNamespace(directory)
      if (namespace) return namespace
      const parent = path.dirname(directory)
      // Files outside the root only get their own directory's kustomization.
      if (!inside || directory === this.root || parent === directory) return undefined
      directory = parent
    }
  }

  private ownNamespace(directory: string): Promise<string> {
    let cached = this.own.get(directory)
    if (!cached) {
      cached = readKustomizationNamespace(directory)
      this.own.set(directory, cached)
    }
    return cached
  }
}

async function readKustomizationNamespace(directory: string): Promise<string> {
  for (const name of KUSTOMIZATION_FILES) {
    const text = await fs.readFile(path.join(directory, name), 'utf8').catch(() => undefined)
    if (text === undefined) continue
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

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
