import { describe, expect, it } from 'vitest'
import { findSecret, secretsFromInput } from '../../src/manifests/load.js'
import { ANY_NAMESPACE, type Secret } from '../../src/manifests/model.js'

describe('secretsFromInput', () => {
  it('reads a YAML map of secret names to key/value maps; values are kept as written', () => {
    const { secrets, problems } = secretsFromInput(
      [
        'slack-url:',
        '  address: https://hooks.slack.com/services/T0/B0/XXX',
        'apps/github-token: {token: ghp_abc, pin: 0123, enabled: yes, port: 8080, empty: }',
        'generic:',
        '  headers:',
        '    X-Api-Key: k',
        '',
      ].join('\n'),
      'flux-system',
    )
    expect(problems).toEqual([])
    expect(secrets).toEqual([
      {
        metadata: { name: 'slack-url', namespace: ANY_NAMESPACE },
        data: { address: 'https://hooks.slack.com/services/T0/B0/XXX' },
        location: { file: 'secrets input', line: 1 },
        fromInput: true,
      },
      {
        metadata: { name: 'github-token', namespace: 'apps' },
        data: { token: 'ghp_abc', pin: '0123', enabled: 'yes', port: '8080', empty: '' },
        location: { file: 'secrets input', line: 3 },
        fromInput: true,
      },
      {
        metadata: { name: 'generic', namespace: ANY_NAMESPACE },
        data: { headers: 'X-Api-Key: k' },
        location: { file: 'secrets input', line: 4 },
        fromInput: true,
      },
    ])
  })

  it('reads JSON, and an empty input is no secrets', () => {
    const { secrets } = secretsFromInput('{"s": {"token": "t", "n": 1.50}}', 'flux-system')
    expect(secrets.map((s) => s.data)).toEqual([{ token: 't', n: '1.50' }])
    expect(secretsFromInput('  \n', 'flux-system')).toEqual({ secrets: [], problems: [] })
  })

  it('a non-map input is one clear problem', () => {
    const { secrets, problems } = secretsFromInput(
      'just a string',
      'flux-system',
      'secrets-file s.yaml',
    )
    expect(secrets).toEqual([])
    expect(problems).toEqual([
      {
        severity: 'error',
        message:
          'secrets-file s.yaml: expected a map of secret names to {key: value} maps, e.g. "slack-url: {address: https://…}"',
        location: { file: 'secrets-file s.yaml', line: 1 },
      },
    ])
  })

  it('a flat key: value entry is reported by name and line, never by value', () => {
    const { secrets, problems } = secretsFromInput('ok: {a: b}\ntoken: hunter2\n', 'flux-system')
    expect(secrets.map((s) => s.metadata.name)).toEqual(['ok'])
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ severity: 'error', location: { line: 2 } })
    expect(problems[0]!.message).toContain("secret 'token' must be a map of keys to values")
    expect(problems[0]!.message).not.toContain('hunter2')
  })

  it('invalid YAML and bad names are reported', () => {
    expect(secretsFromInput('a: {b: c', 'flux-system').problems[0]!.message).toMatch(
      /^secrets input: not valid YAML or JSON: /,
    )
    expect(secretsFromInput('a/b/c: {k: v}', 'x').problems[0]!.message).toContain(
      "secret name 'a/b/c' must be 'name' or 'namespace/name'",
    )
  })
})

describe('findSecret', () => {
  const secret = (namespace: string, name: string, fromInput: boolean, value: string): Secret => ({
    metadata: { name, namespace },
    data: { token: value },
    location: { file: fromInput ? 'secrets input' : 'm.yaml' },
    ...(fromInput ? { fromInput } : {}),
  })
  const map = (...secrets: Secret[]) =>
    new Map(secrets.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]))

  it('looks in the provider namespace: a manifest Secret elsewhere does not count', () => {
    const secrets = map(secret('apps', 's', false, 'manifest'))
    expect(findSecret(secrets, 'apps', 's')?.data.token).toBe('manifest')
    expect(findSecret(secrets, 'other', 's')).toBeUndefined()
  })

  it('a plain-named input secret serves every namespace and wins over manifests', () => {
    const secrets = map(
      secret('apps', 's', false, 'manifest'),
      secret(ANY_NAMESPACE, 's', true, 'input'),
    )
    expect(findSecret(secrets, 'apps', 's')?.data.token).toBe('input')
    expect(findSecret(secrets, 'other', 's')?.data.token).toBe('input')
  })

  it('namespace/name from the input wins over a plain name', () => {
    const secrets = map(
      secret(ANY_NAMESPACE, 's', true, 'plain'),
      secret('apps', 's', true, 'exact'),
    )
    expect(findSecret(secrets, 'apps', 's')?.data.token).toBe('exact')
    expect(findSecret(secrets, 'other', 's')?.data.token).toBe('plain')
  })
})
