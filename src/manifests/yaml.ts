/**
 * Multi-document YAML (or JSON) with positions: every document keeps its syntax tree so that a
 * problem found later (a schema violation, a bad regex, a duplicate) can name the `file:line` of
 * the exact field. Parse errors and alias bombs are reported per document; the other documents of
 * the file still load.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
  type Tags,
} from 'yaml'
import type { Location, Problem } from './model.js'

/** A path into a document, as zod reports it: `['spec', 'eventSources', 0, 'kind']`. */
export type FieldPath = readonly PropertyKey[]

export interface YamlDocument {
  /** plain JavaScript value of the document (maps → objects) */
  value: unknown
  /** where the document's content starts */
  location: Location
  /** where a field is; for a field that is absent, its nearest present parent */
  locate(path: FieldPath): Location
}

export interface ParseOptions {
  /**
   * `1.1` for Kubernetes manifests: the API machinery reads YAML with YAML 1.1 scalars, so
   * `suspend: yes` is `true` and `0755` is octal there. Timestamps and base-60 numbers are left
   * out (they stay strings, as they do for Kubernetes). Default `1.2` (the core schema).
   */
  version?: '1.1' | '1.2'
}

/** Most aliases a document may expand: beyond this it is refused as a possible alias bomb. */
const MAX_ALIAS_COUNT = 100

function kubernetesTags(tags: Tags): Tags {
  return tags.filter((tag) => {
    const t = tag as { tag?: string; format?: string }
    return t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME'
  })
}

/** Parses every document of `text`; empty documents are skipped. */
export function parseYamlDocuments(
  file: string,
  text: string,
  options: ParseOptions = {},
): { documents: YamlDocument[]; problems: Problem[] } {
  const lineCounter = new LineCounter()
  const at = (offset: number): Location => {
    const { line, col } = lineCounter.linePos(offset)
    return { file, line, column: col }
  }
  const documents: YamlDocument[] = []
  const problems: Problem[] = []

  const parsed = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    ...(options.version === '1.1' ? { version: '1.1', customTags: kubernetesTags } : {}),
  })
  // A stream holding only comments or directives parses to an "EmptyStream" (not an array).
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : []

  for (const doc of docs) {
    if (doc.errors.length > 0) {
      // One line per distinct error; a single mistake often cascades into several.
      const seen = new Set<string>()
      for (const error of doc.errors) {
        const location = at(error.pos[0])
        const message = `invalid YAML: ${oneLine(error.message)}; this document is skipped`
        const key = `${location.line}:${message}`
        if (seen.has(key)) continue
        seen.add(key)
        problems.push({ severity: 'error', message, location })
      }
      continue
    }
    for (const warning of doc.warnings) {
      problems.push({
        severity: 'warning',
        message: `YAML: ${oneLine(warning.message)}`,
        location: at(warning.pos[0]),
      })
    }

    const start = doc.contents?.range[0] ?? doc.range[0]
    let value: unknown
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
    } catch (error) {
      problems.push({
        severity: 'error',
        message: `refused YAML document: ${(error as Error).message} (more than ${MAX_ALIAS_COUNT} alias expansions); this document is skipped`,
        location: at(start),
      })
      continue
    }
    if (value === null || value === undefined) continue

    documents.push({
      value,
      location: at(start),
      locate: (path) => at(offsetOf(doc, path) ?? start),
    })
  }
  return { documents, problems }
}

/** Offset of the deepest node along `path` that exists: a map entry's key, a sequence item. */
function offsetOf(doc: Document.Parsed, path: FieldPath): number | undefined {
  let node: unknown = doc.contents
  let offset = (node as Node | null)?.range?.[0]
  for (const segment of path) {
    node = resolveAlias(doc, node)
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const key: unknown = p.key
        return isScalar(key) ? String(key.value) === String(segment) : key === segment
      })
      if (!pair) break
      const key: unknown = pair.key
      offset = isScalar(key) ? key.range?.[0] : offset
      node = pair.value
    } else if (isSeq(node)) {
      const item = typeof segment === 'number' ? node.items[segment] : undefined
      if (item === undefined) break
      node = item
      offset = (item as Node | null)?.range?.[0] ?? offset
    } else {
      break
    }
  }
  return offset
}

function resolveAlias(doc: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim()
}

/**
 * A problem message on one line, whatever the manifest put in it: a name, key or pattern holding a
 * line break (`name: "a\nb"`) would otherwise split an annotation and the log line in two. Each
 * break is written as its escape (`\n`, `\r`, `\u2028`…), so the text still shows what is there.
 */
export function oneLineMessage(message: string): string {
  return LINE_BREAK.test(message) ? message.replace(LINE_BREAKS, escapeBreak) : message
}

const LINE_BREAK = /[\n\r\u0085\u2028\u2029]/
const LINE_BREAKS = /[\n\r\u0085\u2028\u2029]/g

function escapeBreak(c: string): string {
  if (c === '\n') return '\\n'
  if (c === '\r') return '\\r'
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
}
