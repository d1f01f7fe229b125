import { describe, expect, it } from 'vitest'
import { loadManifests, type ManifestFile } from '../../src/manifests/load.js'
import type { Config } from '../../src/manifests/model.js'
import { PROVIDER_TYPES } from '../../src/providers/registry.js'

const lines = (...l: string[]) => l.join('\n') + '\n'
const load = (files: ManifestFile[], defaultNamespace = 'flux-system'): Config =>
  loadManifests(files, { defaultNamespace })
const loadText = (text: string, path = 'm.yaml'): Config => load([{ path, text }])
const messages = (config: Config) => config.problems.map((p) => p.message)

const NC = 'notification.toolkit.fluxcd.io'

describe('Alert conversion to the v1beta3 shape', () => {
  it('v1beta3: every field, and the CRD defaults when absent', () => {
    const config = loadText(
      lines(
        `apiVersion: ${NC}/v1beta3`,
        'kind: Alert',
        'metadata:',
        '  name: full',
        '  namespace: apps',
        'spec:',
        '  providerRef:',
        '    name: slack',
        '  eventSeverity: error',
        '  eventSources:',
        '    - kind: Kustomization',
        "      name: '*'",
        '      namespace: other',
        '      matchLabels: {app: podinfo}',
        '      apiVersion: kustomize.toolkit.fluxcd.io/v1',
        '    - kind: ArtifactGenerator',
        '      name: gen',
        '      matchLabels: {}',
        "  inclusionList: ['^included']",
        '  exclusionList: [excluded]',
        '  eventMetadata: {env: prod}',
        '  summary: cluster addons',
        '  suspend: true',
        '---',
        `apiVersion: ${NC}/v1beta3`,
        'kind: Alert',
        'metadata: {name: minimal}',
        'spec:',
        '  providerRef: {name: slack}',
        '  eventSources: [{kind: Bucket, name: hyacinth}]',
      ),
    )
    expect(config.problems).toEqual([])
    const [full, minimal] = config.alerts
    expect(full!.spec).toMatchObject({
      providerRef: { name: 'slack' },
      eventSeverity: 'error',
      eventSources: [
        {
          kind: 'Kustomization',
          name: '*',
          namespace: 'other',
          matchLabels: { app: 'podinfo' },
          apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        },
        { kind: 'ArtifactGenerator', name: 'gen', namespace: '', matchLabels: {} },
      ],
      hasInclusionList: true,
      eventMetadata: { env: 'prod' },
      summary: 'cluster addons',
      suspend: true,
    })
    expect(full!.spec.inclusionList.map((p) => p.source)).toEqual(['^included'])
    expect(full!.spec.exclusionList.map((p) => p.source)).toEqual(['excluded'])

    expect(minimal!.metadata).toEqual({
      name: 'minimal',
      namespace: 'flux-system',
      labels: {},
      annotations: {},
    })
    expect(minimal!.spec).toEqual({
      providerRef: { name: 'slack' },
      eventSeverity: 'info',
      eventSources: [{ kind: 'Bucket', name: 'hyacinth', namespace: '' }],
      inclusionList: [],
      hasInclusionList: false,
      exclusionList: [],
      eventMetadata: {},
      summary: '',
      suspend: false,
    })
    // absent matchLabels stays undefined, not {}: the controller treats nil and {} differently
    expect('matchLabels' in minimal!.spec.eventSources[0]!).toBe(false)
    expect(minimal!.location).toEqual({ file: 'm.yaml', line: 25, column: 1 })
    // raw: as written, with the namespace and the CRD default
    expect(minimal!.raw).toEqual({
      apiVersion: `${NC}/v1beta3`,
      kind: 'Alert',
      metadata: { name: 'minimal', namespace: 'flux-system' },
      spec: {
        providerRef: { name: 'slack' },
        eventSources: [{ kind: 'Bucket', name: 'hyacinth' }],
        eventSeverity: 'info',
      },
    })
  })

  it('v1beta1: no inclusionList or eventMetadata (ignored with a warning), summary has no max length', () => {
    const config = loadText(
      lines(
        `apiVersion: ${NC}/v1beta1`,
        'kind: Alert',
        'metadata: {name: old}',
        'spec:',
        '  providerRef: {name: slack}',
        '  eventSources: [{kind: GitRepository, name: webapp}]',
        `  summary: ${'s'.repeat(300)}`,
        "  inclusionList: ['^x']", // 8
      ),
    )
    expect(config.alerts).toHaveLength(1)
    const alert = config.alerts[0]!
    expect(alert.apiVersion).toBe(`${NC}/v1beta1`)
    expect(alert.spec.summary).toHaveLength(300)
    expect(alert.spec.inclusionList).toEqual([])
    expect(alert.spec.hasInclusionList).toBe(false)
    expect(config.problems).toEqual([
      {
        severity: 'warning',
        message: `Alert/flux-system/old: spec.inclusionList: unknown field in ${NC}/v1beta1 Alert; it is ignored, as the API server drops it`,
        location: { file: 'm.yaml', line: 8, column: 3 },
      },
    ])
  })

  it('v1beta2: summary MaxLength 255, 10 source kinds, names up to 53 characters', () => {
    const alert = (summary: string, kind: string, name: string) =>
      lines(
        `apiVersion: ${NC}/v1beta2`,
        'kind: Alert',
        `metadata: {name: a${summary.length}${kind}${name.length}}`,
        'spec:',
        '  providerRef: {name: slack}',
        `  eventSources: [{kind: ${kind}, name: ${name}}]`,
        `  summary: ${summary}`,
        '  eventMetadata: {env: prod}',
        "  inclusionList: ['^x']",
      )
    const ok = loadText(alert('s'.repeat(255), 'OCIRepository', 'n'.repeat(53)))
    expect(ok.problems).toEqual([])
    expect(ok.alerts[0]!.spec).toMatchObject({
      eventMetadata: { env: 'prod' },
      hasInclusionList: true,
    })

    const bad = loadText(alert('s'.repeat(256), 'ArtifactGenerator', 'n'.repeat(54)))
    expect(bad.alerts).toEqual([])
    expect(messages(bad)).toEqual([
      'Alert/flux-system/a256ArtifactGenerator54: spec.eventSources.0.kind: must be one of: Bucket, GitRepository, Kustomization, HelmRelease, HelmChart, HelmRepository, ImageRepository, ImagePolicy, ImageUpdateAutomation, OCIRepository',
      'Alert/flux-system/a256ArtifactGenerator54: spec.eventSources.0.name: may not be longer than 53 characters',
      'Alert/flux-system/a256ArtifactGenerator54: spec.summary: may not be longer than 255 characters',
    ])
    expect(bad.problems.map((p) => p.location?.line)).toEqual([6, 6, 7])
  })

  it('v1beta3: 12 source kinds, names up to 253 characters, summary up to 255', () => {
    const text = (name: string, summary: string) =>
      lines(
        `apiVersion: ${NC}/v1beta3`,
        'kind: Alert',
        'metadata: {name: a}',
        'spec:',
        '  providerRef: {name: slack}',
        `  eventSources: [{kind: ExternalArtifact, name: ${name}}]`,
        `  summary: ${summary}`,
      )
    expect(loadText(text('n'.repeat(253), 's'.repeat(255))).problems).toEqual([])
    expect(messages(loadText(text('n'.repeat(254), 's'.repeat(256))))).toEqual([
      'Alert/flux-system/a: spec.eventSources.0.name: may not be longer than 253 characters',
      'Alert/flux-system/a: spec.summary: may not be longer than 255 characters',
    ])
  })

  it('reports a missing required field and a wrong type, and skips only that document', () => {
    const config = loadText(
      lines(
        `apiVersion: ${NC}/v1beta3`,
        'kind: Alert',
        'metadata: {name: broken}',
        'spec:',
        '  eventSeverity: warning', // 5
        '  eventSources: [{kind: Bucket, name: b}]',
        '  suspend: "true"', // 7
        '---',
        `apiVersion: ${NC}/v1beta3`,
        'kind: Alert',
        'metadata: {name: fine}',
        'spec:',
        '  providerRef: {name: slack}',
        '  eventSources: [{kind: Bucket, name: b}]',
      ),
    )
    expect(config.alerts.map((a) => a.metadata.name)).toEqual(['fine'])
    expect(config.problems).toEqual([
      {
        severity: 'error',
        message: 'Alert/flux-system/broken: spec.providerRef: Required value',
        location: { file: 'm.yaml', line: 4, column: 1 },
      },
      {
        severity: 'error',
        message: 'Alert/flux-system/broken: spec.eventSeverity: must be one of: info, error',
        location: { file: 'm.yaml', line: 5, column: 3 },
      },
      {
        severity: 'error',
        message: 'Alert/flux-system/broken: spec.suspend: expected boolean, got string',
        location: { file: 'm.yaml', line: 7, column: 3 },
      },
    ])
  })

  it('reads suspend: yes as true, as Kubernetes (YAML 1.1) does', () => {
    const config = loadText(
      lines(
        `apiVersion: ${NC}/v1beta3`,
        'kind: Alert',
        'metadata: {name: a}',
        'spec:',
        '  providerRef: {name: slack}',
        '  eventSources: [{kind: Bucket, name: b}]',
        '  suspend: yes',
        '  summary:', // null: pruned like an absent field
      ),
    )
    expect(config.problems).toEqual([])
    expect(config.alerts[0]!.spec).toMatchObject({ suspend: true, summary: '' })
  })
})

describe('inclusion and exclusion lists (reference §2.3)', () => {
  const alert = (inclusion: string[], exclusion: string[] = []) =>
    loadText(
      lines(
        `apiVersion: ${NC}/v1beta3`,
        'kind: Alert',
        'metadata: {name: filter, namespace: foo-ns}',
        'spec:',
        '  providerRef: {name: slack}',
        '  eventSources: [{kind: Bucket, name: hyacinth}]',
        '  inclusionList:', // 7
        ...inclusion.map((p) => `    - ${JSON.stringify(p)}`),
        '  exclusionList:',
        ...exclusion.map((p) => `    - ${JSON.stringify(p)}`),
      ),
    )

  it('reports an invalid regex with the controller message and its line, and skips it', () => {
    const config = alert(['^included', '(unclosed'], ['(?=lookahead)', 'excluded'])
    const spec = config.alerts[0]!.spec
    expect(spec.inclusionList.map((p) => p.source)).toEqual(['^included'])
    expect(spec.exclusionList.map((p) => p.source)).toEqual(['excluded'])
    expect(spec.hasInclusionList).toBe(true)
    expect(config.problems).toEqual([
      {
        severity: 'error',
        message:
          'Alert/foo-ns/filter: failed to compile inclusion regex: (unclosed: error parsing regexp: missing closing ): `(unclosed`',
        location: { file: 'm.yaml', line: 9, column: 7 },
      },
      {
        severity: 'error',
        message:
          'Alert/foo-ns/filter: failed to compile exclusion regex: (?=lookahead): error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
        location: { file: 'm.yaml', line: 11, column: 7 },
      },
    ])
  })

  it('an inclusion list of invalid regexes only still counts as a list (nothing is included)', () => {
    const spec = alert(['[z-a]'])!.alerts[0]!.spec
    expect(spec.inclusionList).toEqual([])
    expect(spec.hasInclusionList).toBe(true)
  })

  it('compiles with RE2 (Go) semantics: unanchored search, \\z, (?i)', () => {
    const spec = alert(['(?i)^INCLUDED', 'end\\z'])!.alerts[0]!.spec
    const [ci, end] = spec.inclusionList
    expect(ci!.regex.matcher('included message').find()).toBe(true)
    expect(end!.regex.matcher('the end').find()).toBe(true)
    expect(end!.regex.matcher('the end\n').find()).toBe(false)
  })
})

describe('matchLabels selector (reference §2.4, InvalidConfig)', () => {
  it('reports each invalid key or value at its line, in Kubernetes wording, and keeps the source', () => {
    const config = loadText(
      lines(
        `apiVersion: ${NC}/v1beta3`,
        'kind: Alert',
        'metadata: {name: labels, namespace: apps}',
        'spec:',
        '  providerRef: {name: slack}',
        '  eventSources:',
        '    - kind: Kustomization',
        "      name: '*'",
        '      matchLabels:',
        '        app.kubernetes.io/name: podinfo', // 10: valid
        '        a_: x', // 11: invalid key
        '        tier: front end', // 12: invalid value
        '    - kind: GitRepository',
        '      name: podinfo',
      ),
    )
    expect(config.problems).toEqual([
      {
        severity: 'error',
        message:
          "Alert/apps/labels: error using matchLabels from event source Kustomization/apps/*: key: Invalid value: \"a_\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'); this event source matches no event",
        location: { file: 'm.yaml', line: 11, column: 9 },
      },
      {
        severity: 'error',
        message:
          "Alert/apps/labels: error using matchLabels from event source Kustomization/apps/*: values[0][tier]: Invalid value: \"front end\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'); this event source matches no event",
        location: { file: 'm.yaml', line: 12, column: 9 },
      },
    ])
    // The Alert still loads: its other source matches as before.
    expect(config.alerts.map((a) => a.spec.eventSources.length)).toEqual([2])
  })
})

describe('Provider conversion', () => {
  const provider = (version: string, spec: string[], name = 'p') =>
    lines(
      `apiVersion: ${NC}/${version}`,
      'kind: Provider',
      `metadata: {name: ${name}}`,
      'spec:',
      ...spec,
    )

  it('v1beta3: every field; timeout as a Go duration; defaults', () => {
    const config = loadText(
      provider('v1beta3', [
        '  type: github',
        '  channel: c',
        '  username: u',
        '  address: https://github.com/stefanprodan/podinfo',
        '  timeout: 1m30s',
        '  proxy: http://proxy:3128',
        '  secretRef: {name: s}',
        '  certSecretRef: {name: c}',
        '  proxySecretRef: {name: px}',
        '  commitStatusExpr: "event.involvedObject.name"',
        '  suspend: true',
      ]) +
        '---\n' +
        provider('v1beta3', ['  type: slack'], 'minimal'),
    )
    expect(config.problems).toEqual([])
    expect(config.providers.get('flux-system/p')!.spec).toEqual({
      type: 'github',
      channel: 'c',
      username: 'u',
      address: 'https://github.com/stefanprodan/podinfo',
      timeoutMs: 90_000,
      proxy: 'http://proxy:3128',
      secretRef: { name: 's' },
      certSecretRef: { name: 'c' },
      proxySecretRef: { name: 'px' },
      serviceAccountName: '',
      commitStatusExpr: 'event.involvedObject.name',
      suspend: true,
    })
    expect(config.providers.get('flux-system/minimal')!.spec).toEqual({
      type: 'slack',
      channel: '',
      username: '',
      address: '',
      timeoutMs: 15_000,
      proxy: '',
      serviceAccountName: '',
      commitStatusExpr: '',
      suspend: false,
    })
  })

  it('raw gets the namespace and the provider UID that commit-status contexts use', () => {
    const config = loadText(
      provider('v1beta3', ['  type: github']) +
        '---\n' +
        lines(
          `apiVersion: ${NC}/v1beta3`,
          'kind: Provider',
          'metadata: {name: q, uid: 0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a}',
          'spec: {type: github}',
        ),
    )
    // sha256("flux-system/p") = c63ce962…, computed with sha256sum
    expect(config.providers.get('flux-system/p')!.raw.metadata).toEqual({
      name: 'p',
      namespace: 'flux-system',
      uid: 'c63ce962',
    })
    expect(config.providers.get('flux-system/p')!.metadata.uid).toBeUndefined()
    expect(config.providers.get('flux-system/q')!.metadata.uid).toBe(
      '0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a',
    )
  })

  it('timeout follows the CRD pattern: ms, s, m only', () => {
    const config = loadText(provider('v1beta3', ['  type: slack', '  timeout: 1h']))
    expect(config.providers.size).toBe(0)
    expect(config.problems).toMatchObject([
      {
        severity: 'error',
        message:
          'Provider/flux-system/p: spec.timeout: must be a duration such as 500ms, 30s, 1m or 1m30s (units ms, s, m)',
        location: { line: 6 },
      },
    ])
  })

  it('v1beta2: proxySecretRef, serviceAccountName and commitStatusExpr are not fields (warned, ignored)', () => {
    const config = loadText(
      provider('v1beta2', [
        '  type: slack',
        '  interval: 10m',
        '  proxySecretRef: {name: px}',
        '  serviceAccountName: sa',
      ]),
    )
    expect(config.providers.get('flux-system/p')!.spec.proxySecretRef).toBeUndefined()
    expect(config.providers.get('flux-system/p')!.spec.serviceAccountName).toBe('')
    expect(config.problems.map((p) => [p.severity, p.message, p.location?.line])).toEqual([
      [
        'warning',
        `Provider/flux-system/p: spec.proxySecretRef: unknown field in ${NC}/v1beta2 Provider; it is ignored, as the API server drops it`,
        7,
      ],
      [
        'warning',
        `Provider/flux-system/p: spec.serviceAccountName: unknown field in ${NC}/v1beta2 Provider; it is ignored, as the API server drops it`,
        8,
      ],
    ])
  })

  it('v1beta1: address and proxy must be http(s) URLs', () => {
    const config = loadText(
      provider('v1beta1', ['  type: generic', '  address: example.com', '  proxy: socks5://p']),
    )
    expect(config.providers.size).toBe(0)
    expect(messages(config)).toEqual([
      'Provider/flux-system/p: spec.address: must start with http:// or https://',
      'Provider/flux-system/p: spec.proxy: must start with http:// or https://',
    ])
    // v1beta3 takes any address (a project id, a channel…), up to 2048 characters
    expect(
      loadText(provider('v1beta3', ['  type: generic', '  address: example.com'])).problems,
    ).toEqual([])
    expect(
      messages(
        loadText(provider('v1beta3', ['  type: generic', `  address: ${'a'.repeat(2049)}`])),
      ),
    ).toEqual(['Provider/flux-system/p: spec.address: may not be longer than 2048 characters'])
  })

  it('an unknown type is an error on its line that lists the valid types', () => {
    const config = loadText(provider('v1beta3', ['  channel: general', '  type: foo']))
    expect(config.providers.size).toBe(0)
    expect(config.problems).toHaveLength(1)
    const problem = config.problems[0]!
    expect(problem).toMatchObject({ severity: 'error', location: { file: 'm.yaml', line: 6 } })
    expect(problem.message).toMatch(
      /^Provider\/flux-system\/p: spec\.type: Unsupported value: "foo": supported values: "slack", "discord", /,
    )
    for (const type of Object.keys(PROVIDER_TYPES)) expect(problem.message).toContain(`"${type}"`)
    expect(problem.message).toContain('"incident.io"')
  })

  it('commitStatusExpr on a type that is not a commit-status type fails the CRD rule', () => {
    const config = loadText(provider('v1beta3', ['  type: slack', "  commitStatusExpr: 'x'"]))
    expect(config.providers.size).toBe(0)
    expect(config.problems).toMatchObject([
      {
        severity: 'error',
        message:
          "Provider/flux-system/p: spec.commitStatusExpr: Invalid value: \"object\": spec.commitStatusExpr is only supported for the 'github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket', 'azuredevops' provider types",
        location: { line: 6 },
      },
    ])
  })
})

describe('namespaces and identity', () => {
  const alertIn = (name: string, namespace?: string) =>
    lines(
      `apiVersion: ${NC}/v1beta3`,
      'kind: Alert',
      'metadata:',
      `  name: ${name}`,
      ...(namespace ? [`  namespace: ${namespace}`] : []),
      'spec: {providerRef: {name: slack}, eventSources: [{kind: Bucket, name: b}]}',
    )

  it('metadata.namespace > the kustomization namespace > the default namespace', () => {
    const config = load(
      [
        { path: 'a.yaml', text: alertIn('explicit', 'ns-meta'), namespace: 'ns-kustomize' },
        { path: 'b.yaml', text: alertIn('from-kustomization'), namespace: 'ns-kustomize' },
        { path: 'c.yaml', text: alertIn('defaulted') },
      ],
      'ns-default',
    )
    expect(config.problems).toEqual([])
    expect(config.alerts.map((a) => `${a.metadata.namespace}/${a.metadata.name}`)).toEqual([
      'ns-default/defaulted',
      'ns-kustomize/from-kustomization',
      'ns-meta/explicit',
    ])
    expect(config.alerts.find((a) => a.metadata.name === 'defaulted')!.raw.metadata).toEqual({
      name: 'defaulted',
      namespace: 'ns-default',
    })
  })

  it('a duplicate kind/namespace/name is an error naming both files and lines; the first is kept', () => {
    const first = 'kind: Deployment\n---\n' + alertIn('dup')
    const second = alertIn('dup', 'flux-system')
    const config = load([
      { path: 'clusters/a/alerts.yaml', text: first },
      { path: 'clusters/b/alerts.yaml', text: second },
    ])
    expect(config.alerts).toHaveLength(1)
    expect(config.alerts[0]!.location).toEqual({
      file: 'clusters/a/alerts.yaml',
      line: 3,
      column: 1,
    })
    expect(config.problems).toHaveLength(1)
    expect(config.problems[0]).toMatchObject({
      severity: 'error',
      location: { file: 'clusters/b/alerts.yaml', line: 1 },
    })
    expect(config.problems[0]!.message).toContain('Alert/flux-system/dup is defined twice')
    expect(config.problems[0]!.message).toContain('clusters/a/alerts.yaml:3')
    expect(config.problems[0]!.message).toContain('clusters/b/alerts.yaml:1')
  })

  it('the same name in two namespaces, or two kinds with one name, is not a duplicate', () => {
    const config = load([
      { path: 'a.yaml', text: alertIn('x', 'one') + '---\n' + alertIn('x', 'two') },
      {
        path: 'b.yaml',
        text: lines(
          `apiVersion: ${NC}/v1beta3`,
          'kind: Provider',
          'metadata: {name: x, namespace: one}',
          'spec: {type: slack}',
        ),
      },
    ])
    expect(config.problems).toEqual([])
    expect(config.alerts).toHaveLength(2)
    expect(config.providers.size).toBe(1)
  })

  it('metadata.name is required', () => {
    const config = loadText(
      lines(`apiVersion: ${NC}/v1beta3`, 'kind: Alert', 'metadata: {namespace: x}', 'spec: {}'),
    )
    expect(config.problems).toMatchObject([
      { severity: 'error', message: 'Alert: metadata.name: Required value', location: { line: 3 } },
    ])
  })
})

describe('which documents count', () => {
  it('indexes Flux objects with their labels and ignores everything else', () => {
    const config = loadText(
      lines(
        'apiVersion: kustomize.toolkit.fluxcd.io/v1',
        'kind: Kustomization',
        'metadata: {name: apps, labels: {team: a}}',
        '---',
        'apiVersion: helm.toolkit.fluxcd.io/v2',
        'kind: HelmRelease',
        'metadata: {name: podinfo, namespace: web}',
        '---',
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources: [a.yaml]',
        '---',
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web}',
        '---',
        'apiVersion: v1',
        'kind: Namespace',
        'metadata: {name: web}',
        '---',
        `apiVersion: ${NC}/v1`,
        'kind: Receiver',
        'metadata: {name: hook}',
        '---',
        'apiVersion: pkg.crossplane.io/v1',
        'kind: Provider',
        'metadata: {name: provider-aws}',
        'spec: {package: x}',
        '---',
        'apiVersion: example.com/v1',
        'kind: Alert',
        'metadata: {name: other}',
        '---',
        'name: CI', // a workflow: no apiVersion/kind
        'on: [push]',
      ),
    )
    expect(config.problems).toEqual([])
    expect(config.alerts).toEqual([])
    expect(config.providers.size).toBe(0)
    expect([...config.objects.keys()]).toEqual([
      'HelmRelease/web/podinfo',
      'Kustomization/flux-system/apps',
    ])
    expect(config.objects.get('Kustomization/flux-system/apps')).toEqual({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'apps', namespace: 'flux-system', labels: { team: 'a' }, annotations: {} },
      location: { file: 'm.yaml', line: 1, column: 1 },
    })
  })

  it('reads the items of a v1 List (kubectl get -o yaml)', () => {
    const config = loadText(
      lines(
        'apiVersion: v1',
        'kind: List',
        'items:',
        `- apiVersion: ${NC}/v1beta3`, // 4
        '  kind: Provider',
        '  metadata: {name: slack, namespace: mon}',
        '  spec: {type: slack, timeout: 2x}', // 7
      ),
    )
    expect(config.problems).toMatchObject([
      {
        message: expect.stringMatching(/^Provider\/mon\/slack: spec\.timeout: /),
        location: { line: 7 },
      },
    ])
  })

  it('an API version flux-notify does not read is an error', () => {
    const config = loadText(
      lines(`apiVersion: ${NC}/v1`, 'kind: Alert', 'metadata: {name: a}', 'spec: {}'),
    )
    expect(messages(config)).toEqual([
      `Alert/flux-system/a: apiVersion: ${NC}/v1 is not supported: flux-notify reads ${NC}/v1beta1, ${NC}/v1beta2, ${NC}/v1beta3`,
    ])
  })
})

describe('Secret manifests', () => {
  it('decodes data from base64; stringData wins over data for the same key', () => {
    const config = loadText(
      lines(
        'apiVersion: v1',
        'kind: Secret',
        'metadata: {name: webhook, namespace: apps}',
        'type: Opaque',
        'data:',
        '  address: aHR0cHM6Ly9ob29rcy5zbGFjay5jb20vc2VydmljZXMvWFhY', // https://hooks.slack.com/services/XXX
        '  token: b2xk', // old
        '  empty: ""',
        'stringData:',
        '  token: new',
      ),
    )
    expect(config.problems).toEqual([])
    expect(config.secrets.get('apps/webhook')).toEqual({
      metadata: { name: 'webhook', namespace: 'apps' },
      data: { address: 'https://hooks.slack.com/services/XXX', token: 'new', empty: '' },
      location: { file: 'm.yaml', line: 1, column: 1 },
    })
  })

  it('refuses data that is not base64, naming the key but not the value', () => {
    const config = loadText(
      lines(
        'apiVersion: v1',
        'kind: Secret',
        'metadata: {name: s}',
        'data:',
        '  token: not base64!',
      ),
    )
    expect(config.secrets.size).toBe(0)
    expect(config.problems).toEqual([
      {
        severity: 'error',
        message: 'Secret/flux-system/s: data.token: not valid base64',
        location: { file: 'm.yaml', line: 5, column: 3 },
      },
    ])
  })

  it('skips a SOPS-encrypted Secret silently (its values come from the secrets input)', () => {
    const config = loadText(
      lines(
        'apiVersion: v1',
        'kind: Secret',
        'metadata: {name: s}',
        'data:',
        '  token: ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]',
        'sops:',
        '  version: 3.8.1',
      ),
    )
    expect(config.problems).toEqual([])
    expect(config.secrets.size).toBe(0)
  })
})
