/**
 * Flux's post-build variable substitution (kustomize-controller `postBuild`), applied to manifests
 * read from Git so that they say what the cluster holds.
 *
 * Flux's rules, as its documentation and `fluxcd/pkg` envsubst define them:
 * - only `${name}` and `${name<op>…}` are placeholders; `$name` without braces is left alone, and
 *   `$$` is an escape for one `$` (so `$${name}` is the text `${name}`);
 * - operators: `${v:=default}` (also `${v=d}`, `${v:-d}`, `${v:?d}`, `${v:+d}`: in Flux's fork
 *   every one of them means "the value, or the default when the value is empty"), `${v:pos}`,
 *   `${v:pos:len}`, `${v/old/new}` (`//`, `/#`, `/%`), `${v#glob}` (`##`, `%`, `%%`), `${#v}`,
 *   `${v^}` `${v^^}` `${v,}` `${v,,}`; a default may itself hold placeholders;
 * - one pass: a variable's value is inserted as it is, never substituted again (`${A}` whose
 *   value is `${B}` becomes the text `${B}`);
 * - values lose their newlines; variable names must match `^[_[:alpha:]][_[:alpha:][:digit:]]*$`;
 * - variables come from `substituteFrom` ConfigMaps/Secrets in order (later wins), then the inline
 *   `substitute` map (wins over them); nothing is substituted when there is no variable at all;
 * - an object labelled or annotated `kustomize.toolkit.fluxcd.io/substitute: disabled` is not
 *   substituted;
 * - Flux substitutes in the YAML text of each object and parses it again, so a whole-value
 *   placeholder takes the YAML type of its value (`suspend: ${S}` with `S=true` is a boolean).
 *
 * Where flux-notify differs on purpose: a variable it has no value for is left as it is (Flux
 * would write an empty string, or fail in strict mode) and reported, because the values we know
 * may be incomplete and a guess must never become a request to a wrong address.
 */
import { parseDocument, stringify, type Tags } from 'yaml'
import type { ManifestFile } from './load.js'
import type { Location, Problem, Secret } from './model.js'
import { decodeSecretData } from './secrets.js'
import { parseYamlDocuments, type FieldPath } from './yaml.js'

/** The label or annotation (either works) that turns substitution off for one object. */
export const SUBSTITUTE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/substitute'

/** Flux's check of variable names (`[:alpha:]` is ASCII in Go's RE2). */
const VAR_NAME = /^[_A-Za-z][_A-Za-z0-9]*$/
const VAR_NAME_SOURCE = '^[_[:alpha:]][_[:alpha:][:digit:]]*$'

const KUSTOMIZE_GROUP = 'kustomize.toolkit.fluxcd.io'

/** Operators that supply their own value when the variable is unset. */
const DEFAULT_OPS = new Set(['=', ':=', ':-', ':?', ':+'])

// ---------------------------------------------------------------------------------------------
// One string

/** What substituting one string came to. */
export interface Expansion {
  text: string
  /** variables without a value, whose placeholders were left in `text` as written */
  unresolved: string[]
  /** variables whose value itself holds a placeholder (not substituted again, as in Flux) */
  nested: { name: string; placeholder: string }[]
  /** a placeholder Flux cannot parse (`${}`, `${a-b}`, no closing brace): `text` is unchanged */
  error?: string
}

/**
 * Substitutes the placeholders of `text` from `vars`. With `vars` undefined nothing is
 * substituted (Flux does not substitute without variables) and every placeholder is reported.
 */
export function expand(text: string, vars: ReadonlyMap<string, string> | undefined): Expansion {
  const parser = new Parser(text)
  let nodes: Node[]
  try {
    nodes = parser.parseText(false)
  } catch (error) {
    return { text, unresolved: [], nested: [], error: (error as Error).message }
  }
  const result: Expansion = { text: '', unresolved: [], nested: [] }
  const out = evalNodes(nodes, vars, result)
  result.text = vars === undefined ? text : out
  result.unresolved = [...new Set(result.unresolved)]
  return result
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: string; op: string; args: Node[][]; source: string }

/** A small recursive-descent parser for Flux's placeholder syntax. */
class Parser {
  private pos = 0
  constructor(private readonly src: string) {}

  /** Text and placeholders up to the end (or, inside a default, up to its closing brace). */
  parseText(inArgument: boolean): Node[] {
    const nodes: Node[] = []
    let text = ''
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!
      const next = this.src[this.pos + 1]
      if (inArgument && c === '}') break
      if (c === '$' && next === '$') {
        text += '$'
        this.pos += 2
      } else if (c === '$' && next === '{') {
        if (text) nodes.push({ kind: 'text', text })
        text = ''
        nodes.push(this.parsePlaceholder())
      } else if (inArgument && c === '\\' && (next === '/' || next === '\\')) {
        text += next
        this.pos += 2
      } else {
        text += c
        this.pos += 1
      }
    }
    if (text) nodes.push({ kind: 'text', text })
    return nodes
  }

  private parsePlaceholder(): Node {
    const start = this.pos
    this.pos += 2 // `${`
    if (this.peek() === '#') {
      this.pos += 1
      const name = this.name()
      this.expect('}')
      return this.node('#len', name, [], start)
    }
    const name = this.name()
    const c = this.peek()
    if (c === '}') {
      this.pos += 1
      return this.node('', name, [], start)
    }
    if (c === ':' && '=-?+'.includes(this.src[this.pos + 1] ?? '')) {
      const op = this.src.slice(this.pos, this.pos + 2)
      this.pos += 2
      return this.node(op, name, [this.argument()], start)
    }
    if (c === '=') {
      this.pos += 1
      return this.node('=', name, [this.argument()], start)
    }
    if (c === ':') {
      this.pos += 1
      const offset = this.until(':}')
      if (this.peek() === ':') {
        this.pos += 1
        const length = this.until('}')
        this.expect('}')
        return this.node(':', name, [[text(offset)], [text(length)]], start)
      }
      this.expect('}')
      return this.node(':', name, [[text(offset)]], start)
    }
    if (c === ',' || c === '^') {
      const op = this.src[this.pos + 1] === c ? c + c : c
      this.pos += op.length
      this.expect('}')
      return this.node(op, name, [], start)
    }
    if (c === '#' || c === '%') {
      const op = this.src[this.pos + 1] === c ? c + c : c
      this.pos += op.length
      return this.node(op, name, [this.argument()], start)
    }
    if (c === '/') {
      const second = this.src[this.pos + 1] ?? ''
      const op = '/#%'.includes(second) && second !== '' ? '/' + second : '/'
      this.pos += op.length
      let pattern = ''
      while (this.pos < this.src.length && this.peek() !== '/' && this.peek() !== '}') {
        const ch = this.src[this.pos]!
        const after = this.src[this.pos + 1]
        if (ch === '\\' && (after === '/' || after === '\\')) {
          pattern += after
          this.pos += 2
        } else {
          pattern += ch
          this.pos += 1
        }
      }
      if (this.peek() !== '/') throw new Error('bad substitution')
      this.pos += 1
      return this.node(op, name, [[text(pattern)], this.argument()], start)
    }
    throw new Error('missing closing brace')
  }

  /** A default or pattern: text and nested placeholders up to the closing brace. */
  private argument(): Node[] {
    const nodes = this.parseText(true)
    this.expect('}')
    return nodes
  }

  private name(): string {
    const match = /^[\p{L}\p{N}_]+/u.exec(this.src.slice(this.pos))
    if (!match) throw new Error('unable to parse variable name')
    this.pos += match[0].length
    return match[0]
  }

  private until(stops: string): string {
    const from = this.pos
    while (this.pos < this.src.length && !stops.includes(this.src[this.pos]!)) this.pos += 1
    return this.src.slice(from, this.pos)
  }

  private expect(c: string): void {
    if (this.peek() !== c) throw new Error(c === '}' ? 'missing closing brace' : 'bad substitution')
    this.pos += 1
  }

  private peek(): string | undefined {
    return this.src[this.pos]
  }

  private node(op: string, name: string, args: Node[][], start: number): Node {
    return { kind: 'var', name, op, args, source: this.src.slice(start, this.pos) }
  }
}

function text(value: string): Node {
  return { kind: 'text', text: value }
}

function evalNodes(
  nodes: readonly Node[],
  vars: ReadonlyMap<string, string> | undefined,
  result: Expansion,
): string {
  let out = ''
  for (const node of nodes) {
    if (node.kind === 'text') {
      out += node.text
      continue
    }
    const value = vars?.get(node.name)
    if (vars === undefined || (value === undefined && !DEFAULT_OPS.has(node.op))) {
      // No value: the placeholder stays as written, and is reported.
      result.unresolved.push(node.name)
      out += node.source
      continue
    }
    // The arguments only count when used: `${A:=${B}}` needs no B when A is set.
    const local: Expansion = { text: '', unresolved: [], nested: [] }
    const args = node.args.map((arg) => evalNodes(arg, vars, local))
    const usesDefault = DEFAULT_OPS.has(node.op) && (value ?? '') === ''
    if (usesDefault || !DEFAULT_OPS.has(node.op)) {
      result.unresolved.push(...local.unresolved)
      result.nested.push(...local.nested)
    }
    if (value !== undefined && !usesDefault && value.includes('${')) {
      result.nested.push({ name: node.name, placeholder: value })
    }
    out += apply(node.op, value ?? '', args)
  }
  return out
}

function apply(op: string, value: string, args: readonly string[]): string {
  switch (op) {
    case '':
      return value
    case '#len':
      return String(Buffer.byteLength(value))
    case ',':
      return value.slice(0, 1).toLowerCase() + value.slice(1)
    case ',,':
      return value.toLowerCase()
    case '^':
      return value.slice(0, 1).toUpperCase() + value.slice(1)
    case '^^':
      return value.toUpperCase()
    case ':':
      return substring(value, args)
    case '/':
      return args[0] === '' ? value : value.replace(args[0]!, () => args[1] ?? '')
    case '//':
      return args[0] === '' ? value : value.split(args[0]!).join(args[1] ?? '')
    case '/#':
      return value.startsWith(args[0]!) ? (args[1] ?? '') + value.slice(args[0]!.length) : value
    case '/%':
      return value.endsWith(args[0]!)
        ? value.slice(0, value.length - args[0]!.length) + (args[1] ?? '')
        : value
    case '#':
    case '##':
    case '%':
    case '%%':
      return trimByGlob(op, value, args[0] ?? '')
    default:
      // every default operator: the value, or the default when the value is empty
      return value === '' ? args.join('') : value
  }
}

/** `${v:pos}` / `${v:pos:len}`, bash-like; a position that is not a number leaves the value. */
function substring(value: string, args: readonly string[]): string {
  const pos0 = parseGoInt(args[0] ?? '')
  if (pos0 === undefined) return value
  const pos = pos0 < 0 ? Math.max(0, value.length + pos0) : pos0
  if (args.length === 1) return pos < value.length ? value.slice(pos) : ''
  const length = parseGoInt(args[1] ?? '')
  if (length === undefined) return value
  if (length < 0) {
    const end = value.length + length
    return end < pos ? '' : value.slice(pos, end)
  }
  return value.slice(pos, Math.min(value.length, pos + length))
}

function parseGoInt(text: string): number | undefined {
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined
}

/** `#`/`##` remove the shortest/longest matching prefix, `%`/`%%` suffix (glob patterns). */
function trimByGlob(op: string, value: string, pattern: string): string {
  const regex = globRegex(pattern)
  const lengths = Array.from({ length: value.length + 1 }, (_, i) => i)
  const order = op.length === 2 ? lengths.reverse() : lengths
  for (const n of order) {
    if (n === 0) continue
    if (op.startsWith('#') && regex.test(value.slice(0, n))) return value.slice(n)
    if (op.startsWith('%') && regex.test(value.slice(value.length - n))) {
      return value.slice(0, value.length - n)
    }
  }
  return value
}

function globRegex(pattern: string): RegExp {
  let source = ''
  for (const c of pattern) {
    if (c === '*') source += '.*'
    else if (c === '?') source += '.'
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, 's')
}

// ---------------------------------------------------------------------------------------------
// One document

/** A placeholder left in a document, at the path of the string that holds it. */
export interface Placeholder {
  path: FieldPath
  /** the variable without a value, or the variable whose value holds another placeholder */
  name: string
  /** for a nested value: the placeholder the value of `name` holds */
  nestedIn?: string
}

export interface DocumentSubstitution {
  value: unknown
  placeholders: Placeholder[]
  /** unparsable placeholders and values that are not valid YAML once substituted */
  errors: { path: FieldPath; message: string }[]
}

/** Whether the object opts out with the `kustomize.toolkit.fluxcd.io/substitute` label/annotation. */
export function isSubstitutionDisabled(value: unknown): boolean {
  if (!isPlain(value) || !isPlain(value.metadata)) return false
  const { labels, annotations } = value.metadata
  return (
    (isPlain(labels) && labels[SUBSTITUTE_ANNOTATION] === 'disabled') ||
    (isPlain(annotations) && annotations[SUBSTITUTE_ANNOTATION] === 'disabled')
  )
}

/**
 * Substitutes every string (keys included) of one object. With `vars` undefined, or for an
 * object that opts out, values are left as they are and the placeholders are only reported.
 */
export function substituteDocument(
  value: unknown,
  vars: ReadonlyMap<string, string> | undefined,
): DocumentSubstitution {
  const result: DocumentSubstitution = { value, placeholders: [], errors: [] }
  // An object that opts out holds its `${…}` as text, by its author's choice: nothing to report.
  if (isSubstitutionDisabled(value)) return result
  // Flux substitutes nothing when there is no variable at all.
  result.value = walk(value, [], vars !== undefined && vars.size > 0 ? vars : undefined, result)
  return result
}

function walk(
  value: unknown,
  path: FieldPath,
  vars: ReadonlyMap<string, string> | undefined,
  result: DocumentSubstitution,
): unknown {
  if (typeof value === 'string') return substituteScalar(value, path, vars, result)
  if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i], vars, result))
  if (!isPlain(value)) return value
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    const newKey = key.includes('$') ? expandString(key, [...path, key], vars, result) : key
    Object.defineProperty(out, newKey, {
      value: walk(item, [...path, key], vars, result),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return out
}

function expandString(
  text: string,
  path: FieldPath,
  vars: ReadonlyMap<string, string> | undefined,
  result: DocumentSubstitution,
): string {
  if (!text.includes('$')) return text
  const expansion = expand(text, vars)
  if (expansion.error !== undefined) {
    result.errors.push({ path, message: `variable substitution failed: ${expansion.error}` })
    return text
  }
  for (const name of expansion.unresolved) result.placeholders.push({ path, name })
  for (const { name, placeholder } of expansion.nested) {
    result.placeholders.push({ path, name, nestedIn: placeholder })
  }
  return expansion.text
}

/**
 * A string value substituted. When go-yaml would write the original plainly (no quotes), Flux's
 * re-parse gives the new text its YAML type: `true` is a boolean, `a #b` loses its comment.
 */
function substituteScalar(
  original: string,
  path: FieldPath,
  vars: ReadonlyMap<string, string> | undefined,
  result: DocumentSubstitution,
): unknown {
  const substituted = expandString(original, path, vars, result)
  if (substituted === original || vars === undefined) return substituted
  if (stringify(original, { version: '1.1', lineWidth: 0 }) !== `${original}\n`) return substituted
  const doc = parseDocument(substituted, {
    version: '1.1',
    prettyErrors: false,
    customTags: (tags: Tags) =>
      tags.filter((t) => (t as { tag?: string }).tag !== 'tag:yaml.org,2002:timestamp'),
  })
  if (doc.errors.length > 0) {
    result.errors.push({
      path,
      message: 'the value is not valid YAML once substituted (Flux substitutes in the YAML text)',
    })
    return substituted
  }
  const parsed: unknown = doc.toJS({ maxAliasCount: 0 })
  return parsed === null || parsed === undefined ? null : parsed
}

// ---------------------------------------------------------------------------------------------
// Where the variables come from

export interface SubstitutionVars {
  vars: Map<string, string>
  /** the values read from Secrets (`substituteFrom` kind Secret): the caller masks them */
  secretValues: string[]
  problems: Problem[]
}

export interface VarsOptions {
  /** `Kustomization/<namespace>/<name>`: a Flux Kustomization among `files` */
  from?: string
  /** the `substitute` input, already parsed: wins over the Kustomization's values */
  inline?: Record<string, string>
  /** namespace of objects that carry none (the loader's default) */
  defaultNamespace: string
  /** Secrets from the `secrets` input: they stand in for `substituteFrom` Secrets too */
  inputSecrets?: readonly Secret[]
  /** how `from` is named in messages */
  label?: string
}

/**
 * The variables for a run: the named Kustomization's `substituteFrom` ConfigMaps/Secrets (from
 * `files`) in order, its `postBuild.substitute`, then `inline`. Newlines are removed from values
 * and names are checked, as Flux does.
 */
export function substitutionVars(
  files: readonly ManifestFile[],
  options: VarsOptions,
): SubstitutionVars {
  const label = options.label ?? 'substitute-from'
  const problems: Problem[] = []
  const vars = new Map<string, string>()
  const set = (name: string, value: string, location?: Location): void => {
    if (!VAR_NAME.test(name)) {
      problems.push({
        severity: 'error',
        message: `'${name}' var name is invalid, must match '${VAR_NAME_SOURCE}'; it is not used`,
        ...(location ? { location } : {}),
      })
      return
    }
    vars.set(name, value.replace(/\n/g, ''))
  }
  const secretValues: string[] = []
  const setSecret = (name: string, value: string, location?: Location): void => {
    secretValues.push(value.replace(/\n/g, ''))
    set(name, value, location)
  }

  if (options.from !== undefined && options.from.trim() !== '') {
    const wanted = parseRef(options.from.trim())
    if (!wanted) {
      problems.push({
        severity: 'error',
        message: `${label}: '${options.from}' must be Kustomization/<namespace>/<name>`,
      })
    } else {
      const objects = indexObjects(files, options.defaultNamespace)
      const ks = objects.get(`${KUSTOMIZE_GROUP}:Kustomization/${wanted.namespace}/${wanted.name}`)
      if (!ks) {
        problems.push({
          severity: 'error',
          message: `${label}: Kustomization/${wanted.namespace}/${wanted.name} (${KUSTOMIZE_GROUP}) is not among the manifests; add the file that defines it to \`manifests\``,
        })
      } else {
        readKustomizationVars(
          ks,
          wanted.namespace,
          objects,
          options,
          label,
          { set, setSecret },
          problems,
        )
      }
    }
  }
  for (const [name, value] of Object.entries(options.inline ?? {})) set(name, value)
  return { vars, secretValues, problems }
}

interface IndexedObject {
  value: Record<string, unknown>
  location: Location
  locate(path: FieldPath): Location
}

function parseRef(text: string): { namespace: string; name: string } | undefined {
  const parts = text.split('/')
  if (parts.length !== 3 || parts[0] !== 'Kustomization' || !parts[1] || !parts[2]) return undefined
  return { namespace: parts[1], name: parts[2] }
}

/** Kustomizations, ConfigMaps and Secrets of `files`, keyed `group:Kind/namespace/name`. */
function indexObjects(
  files: readonly ManifestFile[],
  defaultNamespace: string,
): Map<string, IndexedObject> {
  const index = new Map<string, IndexedObject>()
  for (const file of files) {
    if (!/\b(Kustomization|ConfigMap|Secret)\b/.test(file.text)) continue
    for (const doc of parseYamlDocuments(file.path, file.text, { version: '1.1' }).documents) {
      const value = doc.value
      if (!isPlain(value) || typeof value.kind !== 'string') continue
      if (typeof value.apiVersion !== 'string' || !isPlain(value.metadata)) continue
      const group = value.apiVersion.includes('/') ? value.apiVersion.split('/')[0]! : ''
      const { name, namespace } = value.metadata
      if (typeof name !== 'string') continue
      const ns =
        typeof namespace === 'string' && namespace !== ''
          ? namespace
          : (file.namespace ?? defaultNamespace)
      const key = `${group}:${value.kind}/${ns}/${name}`
      if (!index.has(key)) index.set(key, { value, location: doc.location, locate: doc.locate })
    }
  }
  return index
}

function readKustomizationVars(
  ks: IndexedObject,
  namespace: string,
  objects: Map<string, IndexedObject>,
  options: VarsOptions,
  label: string,
  setters: {
    set: (name: string, value: string, location?: Location) => void
    /** the same for a value read from a Secret */
    setSecret: (name: string, value: string, location?: Location) => void
  },
  problems: Problem[],
): void {
  const { set, setSecret } = setters
  const ref = `Kustomization/${namespace}/${String((ks.value.metadata as { name: string }).name)}`
  const spec = isPlain(ks.value.spec) ? ks.value.spec : {}
  const postBuild = isPlain(spec.postBuild) ? spec.postBuild : {}
  const from = Array.isArray(postBuild.substituteFrom) ? postBuild.substituteFrom : []

  from.forEach((entry, i) => {
    const at = ks.locate(['spec', 'postBuild', 'substituteFrom', i])
    if (!isPlain(entry) || typeof entry.name !== 'string') return
    const kind = entry.kind
    const name = entry.name
    const optional = entry.optional === true
    const what = `${String(kind)}/${namespace}/${name}`
    if (kind !== 'ConfigMap' && kind !== 'Secret') return
    if (kind === 'Secret') {
      const input = options.inputSecrets?.find(
        (s) =>
          s.metadata.name === name &&
          (s.metadata.namespace === namespace || s.metadata.namespace === '*'),
      )
      if (input) {
        for (const [k, v] of Object.entries(input.data)) setSecret(k, v, at)
        return
      }
    }
    const found = objects.get(`:${kind}/${namespace}/${name}`)
    if (!found) {
      if (optional) return // as in Flux: an optional source that is absent defines nothing
      problems.push({
        severity: 'error',
        message: `${ref}: postBuild.substituteFrom ${what} is not among the manifests; add its file to \`manifests\`${kind === 'Secret' ? ', supply it with the `secrets` input,' : ''} or set its variables with the \`substitute\` input`,
        location: at,
      })
      return
    }
    if (kind === 'Secret' && 'sops' in found.value) {
      problems.push({
        severity: 'error',
        message: `${ref}: postBuild.substituteFrom ${what} is SOPS-encrypted; supply its values with the \`secrets\` input (secrets: {${name}: {<variable>: …}}) or the \`substitute\` input`,
        location: at,
      })
      return
    }
    if (kind === 'ConfigMap') {
      const data = isPlain(found.value.data) ? found.value.data : {}
      for (const [k, v] of Object.entries(data)) set(k, scalarText(v), found.locate(['data', k]))
    } else {
      const decoded = decodeSecretData(
        stringMap(found.value.data),
        stringMap(found.value.stringData),
      )
      for (const key of decoded.invalidKeys) {
        problems.push({
          severity: 'error',
          message: `${what}: data.${key}: not valid base64`,
          location: found.locate(['data', key]),
        })
      }
      for (const [k, v] of Object.entries(decoded.data)) setSecret(k, v, found.location)
    }
  })

  const inline = isPlain(postBuild.substitute) ? postBuild.substitute : {}
  for (const [k, v] of Object.entries(inline)) {
    set(k, scalarText(v), ks.locate(['spec', 'postBuild', 'substitute', k]))
  }
}

/** The `substitute` input: a YAML or JSON map of variable names to values. */
export function parseSubstituteInput(
  text: string,
  label = 'substitute input',
): { vars: Record<string, string>; problems: Problem[] } {
  const vars: Record<string, string> = {}
  if (text.trim() === '') return { vars, problems: [] }
  const parsed = parseYamlDocuments(label, text)
  const problems = parsed.problems.filter((p) => p.severity === 'error')
  const value = parsed.documents[0]?.value
  if (problems.length > 0) return { vars, problems }
  if (!isPlain(value)) {
    return {
      vars,
      problems: [
        {
          severity: 'error',
          message: `${label}: expected a map of variable names to values, e.g. "cluster_env: prod"`,
          location: { file: label, line: 1 },
        },
      ],
    }
  }
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(vars, k, {
      value: scalarText(v),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return { vars, problems }
}

function scalarText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'object') return stringify(value).trimEnd()
  return String(value)
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isPlain(value)) return undefined
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(value)) out[k] = scalarText(v)
  return out
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
