/**
 * `spec.commitStatusExpr` (reference §6.3): a CEL expression over `event`, `provider` and `alert`
 * whose string result is the commit status id. The controller compiles it with cel-go in this
 * environment:
 *
 *   - `HomogeneousAggregateLiterals`, `EagerlyValidateDeclarations`, `DefaultUTCTimeZone`,
 *     `CrossTypeNumericComparisons`, `OptionalTypes`, and the `ext.Strings`, `ext.Sets` and
 *     `ext.Encoders` extensions;
 *   - `event`, `provider`, `alert` declared as `google.protobuf.Struct`;
 *   - the checked output type must be exactly `string`.
 *
 * We evaluate with `@bufbuild/cel`. What it lacks we supply here, in our own words:
 *
 *   - Type checking: its checker handles only constants and identifiers, and is not exported. A
 *     small checker below infers the output type as cel-go would for the expressions people write
 *     (field selection on the Struct variables is `dyn`, `dyn + string` is `string`, the string
 *     extension's result types, …) and reports undeclared variables and functions. Where it cannot
 *     tell, it says "unknown" and the result is checked after evaluation instead.
 *   - `ext.Strings`: `reverse()` (the rest comes from `@bufbuild/cel/ext`).
 *   - `ext.Sets`: `sets.contains`, `sets.equivalent`, `sets.intersects`.
 *   - `ext.Encoders`: `base64.encode`, `base64.decode`.
 *   - `OptionalTypes`: the functions `optional.of`, `optional.ofNonZeroValue`, `optional.none`,
 *     `.value()`, `.hasValue()`, `.or()`, `.orValue()`, and the list functions `.first()` and
 *     `.last()`. NOT available: the syntax `x.?field` and `m[?key]` and `{?key: v}` (the parser
 *     of @bufbuild/cel 0.6 rejects it), and the macros `optMap`/`optFlatMap` and
 *     `optional.unwrap`/`.unwrapOpt()`: such an expression is a load-time error here.
 *   - `DefaultUTCTimeZone`, `CrossTypeNumericComparisons`: the library's own behaviour (UTC, and
 *     `1 == 1.0`) already matches.
 *
 * This module is imported only when some Provider has a `commitStatusExpr`.
 */
import {
  CelScalar,
  celEnv,
  celFunc,
  celMap,
  celMethod,
  isCelError,
  isCelList,
  isCelMap,
  isCelUint,
  listType,
  mapType,
  parse,
  plan,
} from '@bufbuild/cel'
import type { CelList, CelValue } from '@bufbuild/cel'
import { strings } from '@bufbuild/cel/ext'

/** The parsed syntax tree (cel.expr.Expr), named through `parse` to need no other package. */
type Expr = ReturnType<typeof parse>['expr']
type Constant = Extract<Expr['exprKind'], { case: 'constExpr' }>['value']

/** The values bound to the expression's variables: plain JSON, as the controller unstructures them. */
export interface CommitStatusVars {
  event: unknown
  provider: unknown
  alert: unknown
}

export interface CompiledExpr {
  /** the expression as written */
  source: string
  /**
   * The commit status id, or the error text of fluxcd/pkg's `EvaluateString` (`failed to evaluate
   * the CEL expression '…': …`). The caller adds the controller's outer prefixes.
   */
  evaluate(vars: CommitStatusVars): string | { error: string }
}

/** The variables the controller declares (`cel.WithStructVariables("event", "alert", "provider")`). */
const VARIABLES = ['event', 'provider', 'alert'] as const

/**
 * Parses, type-checks and plans `expr` once. The error reads as fluxcd/pkg's `NewExpression`
 * reports it (`failed to parse the CEL expression '…': ERROR: <input>:1:5: …` or `CEL expression
 * output type mismatch: expected string, got bool`), on one line: cel-go's source snippet under
 * the message is left out.
 */
export function compileCommitStatusExpr(expr: string): CompiledExpr | { error: string } {
  let root: Expr
  let positions: Record<string, number>
  try {
    const parsed = parse(expr)
    root = parsed.expr
    positions = parsed.sourceInfo?.positions ?? {}
  } catch (error) {
    return {
      error: `failed to parse the CEL expression '${oneLine(expr)}': ERROR: ${messageOf(error)}`,
    }
  }

  let output: CelT
  try {
    output = new Checker().infer(root, new Map())
  } catch (error) {
    if (error instanceof CheckError) {
      const at = location(expr, positions[error.exprId.toString()] ?? 0)
      return {
        error: `failed to parse the CEL expression '${oneLine(expr)}': ERROR: <input>:${at}: ${error.message}`,
      }
    }
    throw error
  }
  if (output.kind !== 'unknown' && !(output.kind === 'prim' && output.name === 'string')) {
    return {
      error: `CEL expression output type mismatch: expected string, got ${typeName(output)}`,
    }
  }

  let program: (vars: Record<string, unknown>) => unknown
  try {
    program = plan(environment(), root) as (vars: Record<string, unknown>) => unknown
  } catch (error) {
    return { error: `failed to create CEL program: ${messageOf(error)}` }
  }

  return {
    source: expr,
    evaluate(vars) {
      let result: unknown
      try {
        result = program({ event: vars.event, provider: vars.provider, alert: vars.alert })
      } catch (error) {
        result = error instanceof Error ? error : new Error(String(error))
      }
      if (isCelError(result) || result instanceof Error) {
        return {
          error: `failed to evaluate the CEL expression '${oneLine(expr)}': ${celGoWording(result.message)}`,
        }
      }
      if (typeof result !== 'string') {
        return { error: `failed to evaluate CEL expression as string: '${oneLine(expr)}'` }
      }
      return result
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** A multi-line expression (a YAML block scalar) is echoed on one line: errors are one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim()
}

/** `line:column` (1-based) of a 0-based offset, as cel-go prints `<input>:1:5`. */
function location(text: string, offset: number): string {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  const column = offset - (before.lastIndexOf('\n') + 1) + 1
  return `${line}:${column}`
}

/**
 * @bufbuild/cel says `field not found: x` where cel-go, reading a Struct (a map), says
 * `no such key: x`: the controller's message is the one users will search for.
 */
function celGoWording(message: string): string {
  return message.replace(/^field not found: /, 'no such key: ')
}

// ---------------------------------------------------------------------------------------------
// Runtime: the environment and the functions @bufbuild/cel does not ship

function createEnvironment() {
  // A Struct is a map from string to any JSON value.
  const struct = mapType(CelScalar.STRING, CelScalar.DYN)
  return celEnv({
    variables: { event: struct, provider: struct, alert: struct },
    funcs: [...strings, ...stringsExtras(), ...sets(), ...encoders(), ...optionals()],
  })
}

let cachedEnv: ReturnType<typeof createEnvironment> | undefined

function environment(): ReturnType<typeof createEnvironment> {
  cachedEnv ??= createEnvironment()
  return cachedEnv
}

const LIST = listType(CelScalar.DYN)

function stringsExtras() {
  return [
    // ext.Strings (version 3+): reverse by code point, as Go reverses runes.
    celMethod('reverse', CelScalar.STRING, [], CelScalar.STRING, function (this: string) {
      return [...this].reverse().join('')
    }),
  ]
}

/** CEL equality for the sets functions, taken from the library itself rather than re-implemented. */
let equalsProgram: ((vars: { a: unknown; b: unknown }) => unknown) | undefined

function celEquals(a: CelValue, b: CelValue): boolean {
  equalsProgram ??= plan(
    celEnv({ variables: { a: CelScalar.DYN, b: CelScalar.DYN } }),
    parse('a == b'),
  ) as (vars: { a: unknown; b: unknown }) => unknown
  return equalsProgram({ a, b }) === true
}

function listContainsAll(list: CelList, sub: CelList): boolean {
  for (const wanted of sub) {
    let found = false
    for (const item of list) {
      if (celEquals(item, wanted)) {
        found = true
        break
      }
    }
    if (!found) return false
  }
  return true
}

function sets() {
  return [
    celFunc('sets.contains', [LIST, LIST], CelScalar.BOOL, (list, sub) =>
      listContainsAll(list, sub),
    ),
    celFunc(
      'sets.equivalent',
      [LIST, LIST],
      CelScalar.BOOL,
      (a, b) => listContainsAll(a, b) && listContainsAll(b, a),
    ),
    celFunc('sets.intersects', [LIST, LIST], CelScalar.BOOL, (a, b) => {
      for (const x of a) for (const y of b) if (celEquals(x, y)) return true
      return false
    }),
  ]
}

const BASE64_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const BASE64_RAW = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2,3})?$/

function encoders() {
  return [
    celFunc('base64.encode', [CelScalar.BYTES], CelScalar.STRING, (bytes) =>
      Buffer.from(bytes).toString('base64'),
    ),
    // Go tries the padded encoding, then the unpadded one; anything else is an error (Node's
    // decoder would silently skip bad characters).
    celFunc('base64.decode', [CelScalar.STRING], CelScalar.BYTES, (text) => {
      if (!BASE64_PADDED.test(text) && !BASE64_RAW.test(text)) {
        throw new Error('illegal base64 data')
      }
      return new Uint8Array(Buffer.from(text, 'base64'))
    }),
  ]
}

/**
 * An optional value. The library's value types are closed, so an optional is an (empty) CEL map
 * used as a token, with its state kept aside; the optional functions accept only such tokens.
 */
interface OptionalState {
  present: boolean
  value?: CelValue
}
const optionalStates = new WeakMap<object, OptionalState>()

function optionalOf(present: boolean, value?: CelValue): CelValue {
  const token = celMap(new Map())
  optionalStates.set(token, present ? { present, value } : { present })
  return token
}

function optionalState(value: unknown): OptionalState {
  const state = typeof value === 'object' && value !== null ? optionalStates.get(value) : undefined
  if (!state) throw new Error('no such overload')
  return state
}

function isZeroValue(value: CelValue): boolean {
  if (value === null || value === '' || value === false || value === 0 || value === 0n) return true
  if (isCelUint(value)) return value.value === 0n
  if (value instanceof Uint8Array) return value.length === 0
  if (isCelList(value) || isCelMap(value)) return value.size === 0
  return false
}

function optionals() {
  const DYN = CelScalar.DYN
  return [
    celFunc('optional.of', [DYN], DYN, (value) => optionalOf(true, value)),
    celFunc('optional.ofNonZeroValue', [DYN], DYN, (value) =>
      isZeroValue(value) ? optionalOf(false) : optionalOf(true, value),
    ),
    celFunc('optional.none', [], DYN, () => optionalOf(false)),
    celMethod('hasValue', DYN, [], CelScalar.BOOL, function (this: CelValue) {
      return optionalState(this).present
    }),
    celMethod('value', DYN, [], DYN, function (this: CelValue) {
      const state = optionalState(this)
      if (!state.present) throw new Error('optional.none() dereference')
      return state.value as CelValue
    }),
    celMethod('or', DYN, [DYN], DYN, function (this: CelValue, other) {
      optionalState(other)
      return optionalState(this).present ? this : other
    }),
    celMethod('orValue', DYN, [DYN], DYN, function (this: CelValue, other) {
      const state = optionalState(this)
      return state.present ? (state.value as CelValue) : other
    }),
    celMethod('first', LIST, [], DYN, function (this: CelList) {
      return this.size > 0 ? optionalOf(true, this.get(0)) : optionalOf(false)
    }),
    celMethod('last', LIST, [], DYN, function (this: CelList) {
      return this.size > 0 ? optionalOf(true, this.get(this.size - 1)) : optionalOf(false)
    }),
  ]
}

// ---------------------------------------------------------------------------------------------
// Type checking: the part of cel-go's checker that decides the output type

/** A CEL type as far as the checker follows it; `unknown` = this checker cannot tell. */
type CelT =
  | { kind: 'prim'; name: string }
  | { kind: 'dyn' }
  | { kind: 'struct' }
  | { kind: 'list'; elem: CelT }
  | { kind: 'map'; key: CelT; value: CelT }
  | { kind: 'optional'; elem: CelT }
  | { kind: 'unknown' }

const prim = (name: string): CelT => ({ kind: 'prim', name })
const STRING = prim('string')
const BOOL = prim('bool')
const INT = prim('int')
const DYN_T: CelT = { kind: 'dyn' }
const UNKNOWN: CelT = { kind: 'unknown' }

function typeName(t: CelT): string {
  switch (t.kind) {
    case 'prim':
      return t.name
    case 'dyn':
      return 'dyn'
    case 'struct':
      return 'google.protobuf.Struct'
    case 'list':
      return `list(${typeName(t.elem)})`
    case 'map':
      return `map(${typeName(t.key)}, ${typeName(t.value)})`
    case 'optional':
      return `optional_type(${typeName(t.elem)})`
    case 'unknown':
      return 'dyn'
  }
}

function sameType(a: CelT, b: CelT): boolean {
  return typeName(a) === typeName(b) && a.kind !== 'unknown' && b.kind !== 'unknown'
}

const isPrim = (t: CelT, name: string): boolean => t.kind === 'prim' && t.name === name
/** dyn-like: field selection and indexing on these give `dyn` */
const isDynLike = (t: CelT): boolean => t.kind === 'dyn' || t.kind === 'struct'

class CheckError extends Error {
  constructor(
    readonly exprId: bigint,
    message: string,
  ) {
    super(message)
  }
}

function undeclared(exprId: bigint, name: string): CheckError {
  return new CheckError(exprId, `undeclared reference to '${name}' (in container '')`)
}

/** Identifiers that name types (usable as values, e.g. `type(x) == string`). */
const TYPE_IDENTIFIERS = new Set([
  'bool',
  'bytes',
  'double',
  'int',
  'uint',
  'string',
  'list',
  'map',
  'null_type',
  'type',
  'dyn',
  'optional_type',
])

/** Global functions called with a namespace (`base64.encode(…)`), and their result type. */
const QUALIFIED_FUNCTIONS = new Map<string, (args: CelT[]) => CelT>([
  ['strings.quote', () => STRING],
  ['sets.contains', () => BOOL],
  ['sets.equivalent', () => BOOL],
  ['sets.intersects', () => BOOL],
  ['base64.encode', () => STRING],
  ['base64.decode', () => prim('bytes')],
  ['optional.of', (args) => ({ kind: 'optional', elem: args[0] ?? UNKNOWN })],
  ['optional.ofNonZeroValue', (args) => ({ kind: 'optional', elem: args[0] ?? UNKNOWN })],
  ['optional.none', () => ({ kind: 'optional', elem: UNKNOWN })],
])

const BOOL_FUNCTIONS = new Set([
  '_==_',
  '_!=_',
  '_<_',
  '_<=_',
  '_>_',
  '_>=_',
  '@in',
  '_&&_',
  '_||_',
  '!_',
  '@not_strictly_false',
  'matches',
  'startsWith',
  'endsWith',
  'contains',
  'hasValue',
])

const INT_FUNCTIONS = new Set([
  'size',
  'int',
  'indexOf',
  'lastIndexOf',
  'getDate',
  'getDayOfMonth',
  'getDayOfWeek',
  'getDayOfYear',
  'getFullYear',
  'getHours',
  'getMilliseconds',
  'getMinutes',
  'getMonth',
  'getSeconds',
])

const STRING_FUNCTIONS = new Set([
  'string',
  'charAt',
  'lowerAscii',
  'upperAscii',
  'replace',
  'substring',
  'trim',
  'join',
  'format',
  'reverse',
])

const CONVERSIONS = new Map<string, CelT>([
  ['uint', prim('uint')],
  ['double', prim('double')],
  ['bytes', prim('bytes')],
  ['bool', BOOL],
  ['dyn', DYN_T],
  ['type', prim('type')],
  ['timestamp', prim('google.protobuf.Timestamp')],
  ['duration', prim('google.protobuf.Duration')],
])

const NUMERIC = new Set(['int', 'uint', 'double'])

class Checker {
  infer(expr: Expr, scope: Map<string, CelT>): CelT {
    const kind = expr.exprKind
    switch (kind.case) {
      case 'constExpr':
        return constantType(kind.value)
      case 'identExpr': {
        const name = kind.value.name
        const local = scope.get(name)
        if (local) return local
        if ((VARIABLES as readonly string[]).includes(name)) return { kind: 'struct' }
        if (TYPE_IDENTIFIERS.has(name)) return prim('type')
        throw undeclared(expr.id, name)
      }
      case 'selectExpr': {
        const operand = this.infer(requireExpr(kind.value.operand), scope)
        if (kind.value.testOnly) return BOOL
        return selectType(expr.id, operand)
      }
      case 'callExpr':
        return this.call(expr, scope)
      case 'listExpr': {
        const elements = kind.value.elements.map((e) => this.infer(e, scope))
        return { kind: 'list', elem: this.aggregate(elements, kind.value.elements) }
      }
      case 'structExpr': {
        // A message literal (`google.protobuf.Duration{…}`) is left to the evaluator.
        if (kind.value.messageName !== '') return UNKNOWN
        const keys: CelT[] = []
        const values: CelT[] = []
        const keyExprs: Expr[] = []
        const valueExprs: Expr[] = []
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case !== 'mapKey') return UNKNOWN
          keyExprs.push(entry.keyKind.value)
          keys.push(this.infer(entry.keyKind.value, scope))
          const value = requireExpr(entry.value)
          valueExprs.push(value)
          values.push(this.infer(value, scope))
        }
        return {
          kind: 'map',
          key: this.aggregate(keys, keyExprs),
          value: this.aggregate(values, valueExprs),
        }
      }
      case 'comprehensionExpr': {
        const c = kind.value
        const range = this.infer(requireExpr(c.iterRange), scope)
        const element =
          range.kind === 'list'
            ? range.elem
            : range.kind === 'map'
              ? range.key
              : isDynLike(range)
                ? DYN_T
                : UNKNOWN
        const accuInit = this.infer(requireExpr(c.accuInit), scope)
        const inner = new Map(scope)
        inner.set(c.iterVar, element)
        if (c.iterVar2 !== '') inner.set(c.iterVar2, UNKNOWN)
        inner.set(c.accuVar, accuInit)
        this.infer(requireExpr(c.loopCondition), inner)
        const step = this.infer(requireExpr(c.loopStep), inner)
        // `map`/`filter` start from `[]` and append: the step says what the list holds.
        const accu =
          accuInit.kind === 'list' && accuInit.elem.kind === 'unknown' && step.kind === 'list'
            ? step
            : accuInit
        inner.set(c.accuVar, accu)
        return this.infer(requireExpr(c.result), inner)
      }
      default:
        return UNKNOWN
    }
  }

  /**
   * `HomogeneousAggregateLiterals`: list elements (map keys, map values) must share one type.
   * `dyn` mixes with anything; two different definite types are cel-go's error.
   */
  private aggregate(types: CelT[], exprs: Expr[]): CelT {
    let first: CelT | undefined
    for (const [i, t] of types.entries()) {
      if (t.kind === 'unknown') return UNKNOWN
      if (t.kind === 'dyn') return DYN_T
      if (!first) {
        first = t
        continue
      }
      if (!sameType(first, t)) {
        throw new CheckError(
          exprs[i]!.id,
          `expected type '${typeName(first)}' but found '${typeName(t)}'`,
        )
      }
    }
    return first ?? UNKNOWN
  }

  private call(expr: Expr, scope: Map<string, CelT>): CelT {
    if (expr.exprKind.case !== 'callExpr') return UNKNOWN
    const { target, function: fn, args } = expr.exprKind.value

    // `base64.encode(x)` parses as a call of `encode` on `base64`: a namespace, not a variable.
    const qualified = target ? qualifiedName(target, scope) : undefined
    if (qualified !== undefined) {
      const name = `${qualified}.${fn}`
      const result = QUALIFIED_FUNCTIONS.get(name)
      if (!result) throw undeclared(expr.id, name)
      return result(args.map((a) => this.infer(a, scope)))
    }

    const receiver = target ? this.infer(target, scope) : undefined
    const argTypes = args.map((a) => this.infer(a, scope))

    if (BOOL_FUNCTIONS.has(fn)) return BOOL
    if (INT_FUNCTIONS.has(fn)) return INT
    if (STRING_FUNCTIONS.has(fn)) return STRING
    const conversion = CONVERSIONS.get(fn)
    if (conversion && !target) return conversion
    switch (fn) {
      case 'split':
        return { kind: 'list', elem: STRING }
      case '_+_':
        return addType(argTypes[0] ?? UNKNOWN, argTypes[1] ?? UNKNOWN)
      case '_-_':
      case '_*_':
      case '_/_':
      case '_%_':
        return arithmeticType(argTypes[0] ?? UNKNOWN, argTypes[1] ?? UNKNOWN)
      case '-_': {
        const t = argTypes[0] ?? UNKNOWN
        return isDynLike(t) ? DYN_T : t.kind === 'prim' && NUMERIC.has(t.name) ? t : UNKNOWN
      }
      case '_?_:_':
        return joinType(argTypes[1] ?? UNKNOWN, argTypes[2] ?? UNKNOWN)
      case '_[_]':
        return indexType(argTypes[0] ?? UNKNOWN)
      case 'value':
        return receiver?.kind === 'optional' ? receiver.elem : unwrapDyn(receiver)
      case 'orValue':
        return receiver?.kind === 'optional'
          ? joinType(receiver.elem, argTypes[0] ?? UNKNOWN)
          : unwrapDyn(receiver)
      case 'or':
        return receiver ?? UNKNOWN
      case 'first':
      case 'last':
        return {
          kind: 'optional',
          elem: receiver?.kind === 'list' ? receiver.elem : unwrapDyn(receiver),
        }
      default:
        throw undeclared(expr.id, fn)
    }
  }
}

function requireExpr(expr: Expr | undefined): Expr {
  if (!expr) throw new Error('malformed CEL syntax tree')
  return expr
}

function constantType(constant: Constant): CelT {
  switch (constant.constantKind.case) {
    case 'boolValue':
      return BOOL
    case 'bytesValue':
      return prim('bytes')
    case 'doubleValue':
      return prim('double')
    case 'int64Value':
      return INT
    case 'uint64Value':
      return prim('uint')
    case 'stringValue':
      return STRING
    case 'nullValue':
      return prim('null_type')
    default:
      return UNKNOWN
  }
}

/**
 * The dotted name of a call target that is a namespace rather than a value: `base64` in
 * `base64.encode(…)`. A target rooted at a variable is a value.
 */
function qualifiedName(target: Expr, scope: Map<string, CelT>): string | undefined {
  const kind = target.exprKind
  if (kind.case === 'identExpr') {
    const name = kind.value.name
    if (scope.has(name) || (VARIABLES as readonly string[]).includes(name)) return undefined
    if (TYPE_IDENTIFIERS.has(name)) return undefined
    return name
  }
  if (kind.case === 'selectExpr' && !kind.value.testOnly && kind.value.operand) {
    const prefix = qualifiedName(kind.value.operand, scope)
    return prefix === undefined ? undefined : `${prefix}.${kind.value.field}`
  }
  return undefined
}

function selectType(exprId: bigint, operand: CelT): CelT {
  if (isDynLike(operand)) return DYN_T
  if (operand.kind === 'map') return operand.value
  if (operand.kind === 'unknown' || operand.kind === 'optional') return UNKNOWN
  if (operand.kind === 'prim' && operand.name === 'type') return UNKNOWN
  throw new CheckError(exprId, `type '${typeName(operand)}' does not support field selection`)
}

function indexType(container: CelT): CelT {
  if (container.kind === 'list') return container.elem
  if (container.kind === 'map') return container.value
  if (isDynLike(container)) return DYN_T
  return UNKNOWN
}

function unwrapDyn(t: CelT | undefined): CelT {
  return t && isDynLike(t) ? DYN_T : UNKNOWN
}

/**
 * `_+_` has overloads for int, uint, double, string, bytes, list and time: with one operand a
 * string only the string overload fits; with both `dyn` several fit and cel-go's result is `dyn`.
 */
function addType(a: CelT, b: CelT): CelT {
  if (isPrim(a, 'string') || isPrim(b, 'string')) {
    const other = isPrim(a, 'string') ? b : a
    return isPrim(other, 'string') || isDynLike(other) || other.kind === 'unknown'
      ? STRING
      : UNKNOWN
  }
  if (isDynLike(a) && isDynLike(b)) return DYN_T
  if (a.kind === 'list' && b.kind === 'list') return sameType(a, b) ? a : UNKNOWN
  if (sameType(a, b) && a.kind === 'prim' && (NUMERIC.has(a.name) || a.name === 'bytes')) return a
  return UNKNOWN
}

function arithmeticType(a: CelT, b: CelT): CelT {
  if (isDynLike(a) && isDynLike(b)) return DYN_T
  if (sameType(a, b) && a.kind === 'prim' && NUMERIC.has(a.name)) return a
  return UNKNOWN
}

function joinType(a: CelT, b: CelT): CelT {
  if (a.kind === 'unknown' || b.kind === 'unknown') return UNKNOWN
  if (sameType(a, b)) return a
  if (isDynLike(a) || isDynLike(b)) return DYN_T
  return UNKNOWN
}
