/**
 * `spec.commitStatusExpr` (reference §6.3, §8.3 TestCreateCommitStatus and upstream's
 * `Test_newCommitStatus`): compiled once, evaluated per event over `event`, `provider`, `alert`.
 */
import { describe, expect, it } from 'vitest'
import { compileCommitStatusExpr } from '../../src/cel/commit-status-expr.js'
import type { CommitStatusVars, CompiledExpr } from '../../src/cel/commit-status-expr.js'
import type { FluxEvent } from '../../src/events/model.js'
import { eventJson } from '../../src/providers/event-json.js'

const UID = '0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a'

/** The event of upstream's tests: Kustomization gitops-system with metadata environment=production. */
function kustomizationEvent(metadata?: Record<string, string>): FluxEvent {
  const event: FluxEvent = {
    involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'gitops-system' },
    severity: 'info',
    timestamp: '2024-05-01T10:00:00Z',
    message: 'applied',
    reason: 'ReconciliationSucceeded',
    reportingController: 'kustomize-controller',
  }
  if (metadata) event.metadata = metadata
  return event
}

function vars(
  event: FluxEvent = kustomizationEvent({ environment: 'production' }),
): CommitStatusVars {
  return {
    event: JSON.parse(eventJson(event)) as unknown,
    provider: {
      apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
      kind: 'Provider',
      metadata: { name: 'github-status', namespace: 'flux-system', uid: UID },
      spec: { type: 'github', address: 'https://github.com/org/repo' },
    },
    alert: {
      apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
      kind: 'Alert',
      metadata: { name: 'test-alert', namespace: 'flux-system' },
      spec: { providerRef: { name: 'github-status' } },
    },
  }
}

function compiled(expr: string): CompiledExpr {
  const result = compileCommitStatusExpr(expr)
  if ('error' in result) throw new Error(`unexpected compile error: ${result.error}`)
  return result
}

function evaluate(expr: string, values: CommitStatusVars = vars()): string | { error: string } {
  return compiled(expr).evaluate(values)
}

describe('the examples of reference §6.3', () => {
  it('builds kind/name/environment/first UID block', () => {
    expect(
      evaluate(
        "event.involvedObject.kind + '/' + event.involvedObject.name + '/' + event.metadata.environment + '/' + provider.metadata.uid.split('-').first().value()",
      ),
    ).toBe('Kustomization/gitops-system/production/0c9c2e41')
  })

  it('lower-cases the whole id with lowerAscii, alert name included', () => {
    expect(
      evaluate(
        "(event.involvedObject.kind + '/' + event.involvedObject.name + '/' + event.metadata.environment + '/' + provider.metadata.uid.split('-').first().value() + '/' + alert.metadata.name).lowerAscii()",
      ),
    ).toBe('kustomization/gitops-system/production/0c9c2e41/test-alert')
  })

  it("upstream's Test_newCommitStatus cases with the whole UID", () => {
    const expr =
      "event.involvedObject.kind + '/' + event.involvedObject.name + '/' + event.metadata.environment + '/' + provider.metadata.uid + '/' + alert.metadata.name"
    expect(evaluate(expr)).toBe(
      'Kustomization/gitops-system/production/0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a/test-alert',
    )
    expect(evaluate(`(${expr}).lowerAscii()`)).toBe(
      'kustomization/gitops-system/production/0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a/test-alert',
    )
  })
})

describe('compile errors (reported once, at load)', () => {
  it('a bool result is an output type error', () => {
    expect(compileCommitStatusExpr("event.involvedObject.kind == 'Kustomization'")).toEqual({
      error: 'CEL expression output type mismatch: expected string, got bool',
    })
  })

  it('a bare field of the Struct is dyn, not string', () => {
    expect(compileCommitStatusExpr('event.metadata.notfound')).toEqual({
      error: 'CEL expression output type mismatch: expected string, got dyn',
    })
    // dyn + dyn fits several `_+_` overloads: still dyn
    expect(compileCommitStatusExpr('event.metadata.a + event.metadata.b')).toEqual({
      error: 'CEL expression output type mismatch: expected string, got dyn',
    })
  })

  it('other non-string results name their type', () => {
    expect(compileCommitStatusExpr('size(event.message)')).toEqual({
      error: 'CEL expression output type mismatch: expected string, got int',
    })
    expect(compileCommitStatusExpr("event.message.split(' ')")).toEqual({
      error: 'CEL expression output type mismatch: expected string, got list(string)',
    })
    expect(compileCommitStatusExpr('event')).toEqual({
      error: 'CEL expression output type mismatch: expected string, got google.protobuf.Struct',
    })
  })

  it.each([
    [
      "event.involvedObject.kind + '/' + event.involvedObject.name + '/' + notification.metadata.name",
      "failed to parse the CEL expression 'event.involvedObject.kind + '/' + event.involvedObject.name + '/' + notification.metadata.name': ERROR: <input>:1:69: undeclared reference to 'notification' (in container '')",
    ],
    [
      "kustomization.metadata.name + '/' + provider.metadata.uid",
      "failed to parse the CEL expression 'kustomization.metadata.name + '/' + provider.metadata.uid': ERROR: <input>:1:1: undeclared reference to 'kustomization' (in container '')",
    ],
  ])('an unknown variable is an error: %s', (expr, error) => {
    expect(compileCommitStatusExpr(expr)).toEqual({ error })
  })

  it('an unknown function is an error, naming it', () => {
    expect(compileCommitStatusExpr('event.involvedObject.kind.lowercase()')).toMatchObject({
      error: expect.stringMatching(
        /^failed to parse the CEL expression 'event\.involvedObject\.kind\.lowercase\(\)': ERROR: <input>:1:\d+: undeclared reference to 'lowercase' \(in container ''\)$/,
      ),
    })
    const error = compileCommitStatusExpr("base64.encrypt(b'x')")
    expect(error).toMatchObject({ error: expect.stringContaining("'base64.encrypt'") })
  })

  it('a syntax error is an error', () => {
    const result = compileCommitStatusExpr('event.involvedObject.kind +')
    expect(result).toMatchObject({
      error: expect.stringMatching(
        /^failed to parse the CEL expression 'event\.involvedObject\.kind \+': ERROR: <input>:1:/,
      ),
    })
  })

  it('mixed list literals are refused (HomogeneousAggregateLiterals)', () => {
    expect(compileCommitStatusExpr("['a', 1].join('/')")).toEqual({
      error:
        "failed to parse the CEL expression '['a', 1].join('/')': ERROR: <input>:1:7: expected type 'string' but found 'int'",
    })
  })

  it('the optional field syntax is not available and says so by failing', () => {
    expect('error' in compileCommitStatusExpr("event.?metadata.orValue('x')")).toBe(true)
  })

  it('a multi-line expression is echoed on one line', () => {
    const result = compileCommitStatusExpr('event.involvedObject.kind +\n  missing.name')
    expect(result).toEqual({
      error:
        "failed to parse the CEL expression 'event.involvedObject.kind + missing.name': ERROR: <input>:2:3: undeclared reference to 'missing' (in container '')",
    })
  })
})

describe('evaluation errors (per event)', () => {
  it('a missing key is no such key, with the expression quoted', () => {
    expect(evaluate("event.involvedObject.kind + '/' + event.metadata.notfound")).toEqual({
      error:
        "failed to evaluate the CEL expression 'event.involvedObject.kind + '/' + event.metadata.notfound': no such key: notfound",
    })
  })

  it('an event without metadata has no metadata key (omitted when empty)', () => {
    expect(evaluate("'x/' + event.metadata.environment", vars(kustomizationEvent()))).toEqual({
      error:
        "failed to evaluate the CEL expression ''x/' + event.metadata.environment': no such key: metadata",
    })
  })

  it('dereferencing an empty optional fails', () => {
    expect(evaluate("'' + [].first().value()")).toEqual({
      error:
        "failed to evaluate the CEL expression ''' + [].first().value()': optional.none() dereference",
    })
  })

  it('a result the checker could not type is checked after evaluation', () => {
    expect(evaluate('optional.none().orValue(1)')).toEqual({
      error: "failed to evaluate CEL expression as string: 'optional.none().orValue(1)'",
    })
  })
})

describe("the controller's extensions", () => {
  it.each([
    ["event.involvedObject.name.split('-')[0]", 'gitops'],
    ["event.involvedObject.name.split('-').last().value()", 'system'],
    ['event.involvedObject.kind.upperAscii()', 'KUSTOMIZATION'],
    ["event.involvedObject.name.replace('-', '_')", 'gitops_system'],
    ['event.involvedObject.name.substring(0, 6)', 'gitops'],
    [
      "[event.involvedObject.kind, event.involvedObject.name].join('/')",
      'Kustomization/gitops-system',
    ],
    [
      "'%s@%s'.format([event.involvedObject.name, event.metadata.environment])",
      'gitops-system@production',
    ],
    ["'  padded '.trim()", 'padded'],
    ["'abc'.reverse()", 'cba'],
    ['event.involvedObject.name.charAt(0)', 'g'],
    ["strings.quote('a\"b')", '"a\\"b"'],
    ["base64.encode(b'flux')", 'Zmx1eA=='],
    ["string(base64.decode('Zmx1eA=='))", 'flux'],
    ["string(base64.decode('Zmx1eA'))", 'flux'],
    ["sets.contains(['a', 'b'], ['b']) ? 'yes' : 'no'", 'yes'],
    ["sets.equivalent(['a', 'b'], ['b', 'a', 'a']) ? 'yes' : 'no'", 'yes'],
    ["sets.intersects([1, 2], [3.0, 2.0]) ? 'yes' : 'no'", 'yes'],
    ["optional.of('x').value()", 'x'],
    ["optional.ofNonZeroValue('').orValue('empty')", 'empty'],
    ["optional.none().or(optional.of('y')).value()", 'y'],
    ["optional.of('z').hasValue() ? 'has' : 'none'", 'has'],
    ["event.metadata.exists(k, k == 'environment') ? 'env' : 'none'", 'env'],
    [
      "has(event.metadata.environment) ? string(event.metadata.environment) : 'default'",
      'production',
    ],
    ["['a', 'b'].map(x, x.upperAscii()).join()", 'AB'],
    ['string(event.timestamp)', '2024-05-01T10:00:00Z'],
  ])('%s', (expr, want) => {
    expect(evaluate(expr)).toBe(want)
  })

  it('bad base64 is an error, as Go decodes it', () => {
    expect(evaluate("string(base64.decode('Zm*1eA=='))")).toMatchObject({
      error: expect.stringContaining('illegal base64 data'),
    })
  })

  it('one compiled expression serves many events', () => {
    const expr = compiled("event.involvedObject.name + '/' + event.metadata.environment")
    expect(expr.evaluate(vars(kustomizationEvent({ environment: 'staging' })))).toBe(
      'gitops-system/staging',
    )
    expect(expr.evaluate(vars(kustomizationEvent({ environment: 'production' })))).toBe(
      'gitops-system/production',
    )
  })
})
