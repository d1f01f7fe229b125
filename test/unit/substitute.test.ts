/**
 * Flux post-build substitution. Cases come from the kustomize-controller documentation
 * (docs/spec/v1/kustomizations.md, "Post build variable substitution") and the fluxcd/pkg
 * envsubst README; where flux-notify differs on purpose (an unset variable is left as written and
 * reported) the test says so.
 */
import { describe, expect, it } from 'vitest'
import {
  expand,
  parseSubstituteInput,
  substituteDocument,
  substitutionVars,
} from '../../src/manifests/substitute.js'

const vars = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o))

describe('expand: Flux placeholder syntax', () => {
  it('uses the default of ${var:=default} when the variable is unset (the docs: environment: ${cluster_env:=dev})', () => {
    expect(expand('${cluster_env:=dev}', vars({ other: 'x' })).text).toBe('dev')
    expect(expand('${cluster_env:=dev}', vars({ cluster_env: 'prod' })).text).toBe('prod')
  })

  it('substitutes ${var} and ${var:-default}', () => {
    expect(expand('region: ${cluster_region}', vars({ cluster_region: 'eu-central-1' })).text).toBe(
      'region: eu-central-1',
    )
    expect(expand('${bot:-flux}', vars({ x: '1' })).text).toBe('flux')
    expect(expand('${bot:-flux}', vars({ bot: 'robot' })).text).toBe('robot')
  })

  it('leaves $var without braces alone (the docs: use $var to avoid substitution)', () => {
    expect(expand('echo $HOME and $var', vars({ HOME: '/root', var: 'x' })).text).toBe(
      'echo $HOME and $var',
    )
  })

  it('turns $${var} into ${var} (the docs: $${var} prints ${var})', () => {
    const result = expand('keep $${var}', vars({ var: 'x' }))
    expect(result.text).toBe('keep ${var}')
    expect(result.unresolved).toEqual([])
  })

  it('supports ${var:position}, ${var:position:length} and ${var/substring/replacement}', () => {
    const v = vars({ var: 'abcdef' })
    expect(expand('${var:2}', v).text).toBe('cdef')
    expect(expand('${var:1:3}', v).text).toBe('bcd')
    expect(expand('${var/cd/XY}', v).text).toBe('abXYef')
  })

  it('substitutes placeholders nested in a default', () => {
    expect(expand('${a:=${b}}', vars({ b: 'B' })).text).toBe('B')
  })

  it('does not substitute a value again: ${A} whose value is ${B} gives ${B}', () => {
    const result = expand('${A}', vars({ A: '${B}', B: 'never' }))
    expect(result.text).toBe('${B}')
    expect(result.nested).toEqual([{ name: 'A', placeholder: '${B}' }])
  })

  it('leaves an unset variable as written and reports it (a deliberate difference: Flux writes "")', () => {
    const result = expand('https://${host}/x', vars({ other: '1' }))
    expect(result.text).toBe('https://${host}/x')
    expect(result.unresolved).toEqual(['host'])
  })

  it('substitutes nothing, and reports every placeholder, without variables', () => {
    const result = expand('${a:=x} ${b}', undefined)
    expect(result.text).toBe('${a:=x} ${b}')
    expect(result.unresolved).toEqual(['a', 'b'])
  })

  it('reports an unparsable placeholder instead of guessing', () => {
    expect(expand('${}', vars({ a: '1' })).error).toBe('unable to parse variable name')
    expect(expand('${a', vars({ a: '1' })).error).toBe('missing closing brace')
  })
})

describe('substituteDocument', () => {
  it('skips an object labelled or annotated kustomize.toolkit.fluxcd.io/substitute: disabled', () => {
    for (const field of ['labels', 'annotations']) {
      const doc = {
        metadata: { name: 'a', [field]: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } },
        spec: { summary: '${x}' },
      }
      const result = substituteDocument(doc, vars({ x: 'X' }))
      expect(result.value).toEqual(doc)
      expect(result.placeholders).toEqual([])
    }
  })

  it('gives a whole-value placeholder the YAML type of its value, as Flux re-parses the YAML', () => {
    const result = substituteDocument(
      { spec: { suspend: '${suspend}' } },
      vars({ suspend: 'true' }),
    )
    expect(result.value).toEqual({ spec: { suspend: true } })
  })

  it('keeps a number a string with the docs\' quote trick "${quote}${var}${quote}"', () => {
    const result = substituteDocument(
      { stringData: { token: '${quote}${token}${quote}' } },
      vars({ quote: '"', token: '12345' }),
    )
    expect(result.value).toEqual({ stringData: { token: '12345' } })
  })

  it('reports where each unresolved placeholder is', () => {
    const result = substituteDocument(
      { metadata: { name: 'p', namespace: '${ns}' }, spec: { address: 'https://${host}/' } },
      vars({ other: '1' }),
    )
    expect(result.placeholders).toEqual([
      { path: ['metadata', 'namespace'], name: 'ns' },
      { path: ['spec', 'address'], name: 'host' },
    ])
  })
})

describe('substitutionVars: the Kustomization postBuild', () => {
  const kustomization = (postBuild: string): string =>
    [
      'apiVersion: kustomize.toolkit.fluxcd.io/v1',
      'kind: Kustomization',
      'metadata: {name: apps, namespace: flux-system}',
      'spec:',
      '  postBuild:',
      postBuild,
    ].join('\n')
  const configMap = (name: string, data: string): string =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: flux-system}\ndata: ${data}\n`

  it('inline substitute wins over substituteFrom; later substituteFrom entries win over earlier ones', () => {
    const files = [
      {
        path: 'ks.yaml',
        text: kustomization(
          '    substitute: {a: inline}\n    substituteFrom:\n      - {kind: ConfigMap, name: one}\n      - {kind: Secret, name: two}',
        ),
      },
      { path: 'one.yaml', text: configMap('one', '{a: one, b: one, c: one}') },
      {
        path: 'two.yaml',
        // base64 of "two"
        text: 'apiVersion: v1\nkind: Secret\nmetadata: {name: two, namespace: flux-system}\ndata: {b: dHdv}\n',
      },
    ]
    const result = substitutionVars(files, {
      from: 'Kustomization/flux-system/apps',
      defaultNamespace: 'flux-system',
    })
    expect(result.problems).toEqual([])
    expect(Object.fromEntries(result.vars)).toEqual({ a: 'inline', b: 'two', c: 'one' })
  })

  it('skips a missing optional source and names a missing required one', () => {
    const files = [
      {
        path: 'ks.yaml',
        text: kustomization(
          '    substituteFrom:\n      - {kind: ConfigMap, name: maybe, optional: true}\n      - {kind: Secret, name: needed}',
        ),
      },
    ]
    const result = substitutionVars(files, {
      from: 'Kustomization/flux-system/apps',
      defaultNamespace: 'flux-system',
    })
    expect(result.problems).toHaveLength(1)
    expect(result.problems[0]!.message).toContain(
      'Kustomization/flux-system/apps: postBuild.substituteFrom Secret/flux-system/needed is not among the manifests',
    )
    expect(result.problems[0]!.location).toMatchObject({ file: 'ks.yaml', line: 8 })
  })

  it('names a Kustomization that is not there', () => {
    const result = substitutionVars([], {
      from: 'Kustomization/flux-system/apps',
      defaultNamespace: 'flux-system',
    })
    expect(result.problems[0]!.message).toMatch(
      /Kustomization\/flux-system\/apps .* is not among the manifests/,
    )
  })

  it('refuses variable names Flux refuses, and removes newlines from values', () => {
    const result = substitutionVars([], {
      defaultNamespace: 'flux-system',
      inline: { 'bad-name': 'x', good: 'a\nb' },
    })
    expect(result.problems[0]!.message).toBe(
      "'bad-name' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'; it is not used",
    )
    expect(Object.fromEntries(result.vars)).toEqual({ good: 'ab' })
  })

  it('lets the substitute input win over the Kustomization', () => {
    const files = [{ path: 'ks.yaml', text: kustomization('    substitute: {a: from-ks}') }]
    const result = substitutionVars(files, {
      from: 'Kustomization/flux-system/apps',
      inline: { a: 'from-input' },
      defaultNamespace: 'flux-system',
    })
    expect(result.vars.get('a')).toBe('from-input')
  })
})

describe('parseSubstituteInput', () => {
  it('reads a YAML map, values as text', () => {
    expect(parseSubstituteInput('cluster_env: prod\nreplicas: 3\n').vars).toEqual({
      cluster_env: 'prod',
      replicas: '3',
    })
  })
  it('refuses anything else in one line', () => {
    const result = parseSubstituteInput('- a\n- b\n')
    expect(result.problems).toHaveLength(1)
    expect(result.problems[0]!.message).toContain('expected a map of variable names to values')
  })
})
