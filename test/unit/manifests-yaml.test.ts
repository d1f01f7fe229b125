import { describe, expect, it } from 'vitest'
import { parseYamlDocuments } from '../../src/manifests/yaml.js'

const lines = (...l: string[]) => l.join('\n') + '\n'

describe('parseYamlDocuments', () => {
  it('keeps each document with its position, skipping empty documents', () => {
    const text = lines(
      '# leading comment',
      'apiVersion: v1', // 2
      'kind: Secret',
      '---',
      '---',
      '# only a comment',
      '---',
      'kind: ConfigMap', // 8
      'data:',
      '  a: b', // 10
    )
    const { documents, problems } = parseYamlDocuments('m.yaml', text)
    expect(problems).toEqual([])
    expect(documents.map((d) => d.value)).toEqual([
      { apiVersion: 'v1', kind: 'Secret' },
      { kind: 'ConfigMap', data: { a: 'b' } },
    ])
    expect(documents.map((d) => d.location)).toEqual([
      { file: 'm.yaml', line: 2, column: 1 },
      { file: 'm.yaml', line: 8, column: 1 },
    ])
    expect(documents[1]!.locate(['data', 'a'])).toEqual({ file: 'm.yaml', line: 10, column: 3 })
  })

  it('locates a field path, or its nearest present parent', () => {
    const text = lines(
      'spec:', // 1
      '  eventSources:', // 2
      '    - kind: Kustomization', // 3
      '      name: a',
      '    - name: b', // 5
      '      kind: Bucket', // 6
    )
    const [doc] = parseYamlDocuments('a.yaml', text).documents
    expect(doc!.locate(['spec', 'eventSources', 1, 'kind'])).toMatchObject({ line: 6, column: 7 })
    expect(doc!.locate(['spec', 'eventSources', 1])).toMatchObject({ line: 5, column: 7 })
    // absent: the parent that exists
    expect(doc!.locate(['spec', 'eventSources', 1, 'namespace'])).toMatchObject({ line: 5 })
    expect(doc!.locate(['spec', 'providerRef', 'name'])).toMatchObject({ line: 1 })
  })

  it('reports a bad document with its line while the other documents still load', () => {
    const text = lines(
      'kind: A', // 1
      '---',
      'kind: B', // 3
      'spec:',
      '  key: value',
      ' bad: indentation', // 6
      '---',
      'kind: C', // 8
    )
    const { documents, problems } = parseYamlDocuments('bad.yaml', text)
    expect(documents.map((d) => d.value)).toEqual([{ kind: 'A' }, { kind: 'C' }])
    expect(problems.length).toBeGreaterThan(0)
    expect(problems[0]).toMatchObject({
      severity: 'error',
      location: { file: 'bad.yaml', line: 6 },
    })
    expect(problems[0]!.message).toMatch(/^invalid YAML: .*; this document is skipped$/)
  })

  it('reports a duplicate key on its line', () => {
    const { documents, problems } = parseYamlDocuments('d.yaml', lines('a: 1', 'b: 2', 'a: 3'))
    expect(documents).toEqual([])
    expect(problems).toMatchObject([{ severity: 'error', location: { line: 3 } }])
  })

  it('refuses an alias bomb', () => {
    const text = lines(
      'kind: A',
      '---',
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    )
    const { documents, problems } = parseYamlDocuments('bomb.yaml', text)
    expect(documents.map((d) => d.value)).toEqual([{ kind: 'A' }])
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ severity: 'error', location: { line: 3 } })
    expect(problems[0]!.message).toMatch(/^refused YAML document: .*alias/)
  })

  it('still expands a few ordinary aliases', () => {
    const { documents } = parseYamlDocuments('ok.yaml', lines('a: &x {k: v}', 'b: *x'))
    expect(documents[0]!.value).toEqual({ a: { k: 'v' }, b: { k: 'v' } })
  })

  it('reads JSON', () => {
    const text = '{\n  "apiVersion": "v1",\n  "kind": "List",\n  "items": [{"kind": "Secret"}]\n}\n'
    const [doc] = parseYamlDocuments('l.json', text).documents
    expect(doc!.value).toEqual({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'Secret' }] })
    expect(doc!.locate(['items', 0, 'kind'])).toMatchObject({ line: 4 })
  })

  it('reads YAML 1.1 scalars like Kubernetes when asked (yes/on are booleans, dates stay text)', () => {
    const text = lines('a: yes', 'b: on', 'c: 2024-01-02', 'd: 1:30', 'e: "yes"')
    const [v11] = parseYamlDocuments('k.yaml', text, { version: '1.1' }).documents
    expect(v11!.value).toEqual({ a: true, b: true, c: '2024-01-02', d: '1:30', e: 'yes' })
    const [v12] = parseYamlDocuments('k.yaml', text).documents
    expect(v12!.value).toEqual({ a: 'yes', b: 'on', c: '2024-01-02', d: '1:30', e: 'yes' })
  })
})
