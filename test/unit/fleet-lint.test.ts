/** Lint mode's checks over a loaded Config: each problem once, on its file and line. */
import { describe, expect, it } from 'vitest'
import { lintConfig } from '../../src/lint.js'
import { loadManifests } from '../../src/manifests/load.js'

const NC = 'notification.toolkit.fluxcd.io/v1beta3'

describe('lintConfig', () => {
  it('reports bad CEL, a missing Provider, a bad regex and an unused Provider; sends nothing', async () => {
    const text = [
      `apiVersion: ${NC}`,
      'kind: Provider',
      'metadata: {name: github, namespace: flux-system}',
      'spec:',
      '  type: github',
      '  address: https://github.com/example/fleet',
      '  commitStatusExpr: "event.metadata["',
      '---',
      `apiVersion: ${NC}`,
      'kind: Alert',
      'metadata: {name: lost, namespace: flux-system}',
      'spec:',
      '  providerRef: {name: nowhere}',
      '  eventSources: [{kind: Kustomization, name: apps}]',
      '  inclusionList: ["(unclosed"]',
    ].join('\n')
    const config = loadManifests([{ path: 'alerting.yaml', text }], {
      defaultNamespace: 'flux-system',
    })
    const problems = await lintConfig(config, { githubToken: 'ghs_example' })
    expect(problems.map((p) => [p.severity, p.location?.line])).toEqual([
      ['error', 15],
      ['error', 1],
      ['error', 9],
      ['notice', 1],
    ])
    expect(problems[0]!.message).toMatch(
      /^Alert\/flux-system\/lost: failed to compile inclusion regex: \(unclosed: /,
    )
    expect(problems[1]!.message).toMatch(/^Provider\/flux-system\/github: spec\.commitStatusExpr: /)
    expect(problems[2]!.message).toBe(
      'Alert/flux-system/lost: spec.providerRef: Provider/flux-system/nowhere is not among the manifests (or was left out for a problem reported above); this Alert sends nothing',
    )
    expect(problems[3]!.message).toBe('Provider/flux-system/github is not used by any Alert')
  })
})

describe('annotate: notices', () => {
  it('a notice problem becomes a notice annotation (a warning for a sink without notice)', async () => {
    const { annotate } = await import('../../src/report/annotate.js')
    const calls: string[] = []
    const sink = {
      error: (m: string) => calls.push(`error ${m}`),
      warning: (m: string) => calls.push(`warning ${m}`),
      notice: (m: string) => calls.push(`notice ${m}`),
    }
    const problem = {
      severity: 'notice' as const,
      message: 'skipped',
      location: { file: 'a.yaml', line: 1 },
    }
    annotate([problem], sink)
    annotate([problem], { error: sink.error, warning: sink.warning })
    expect(calls).toEqual(['notice skipped', 'warning skipped'])
  })
})
