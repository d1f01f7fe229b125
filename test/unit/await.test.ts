/**
 * Poll mode's pure rules (src/routing/await.ts): the awaited set, the revision given, which
 * events settle an object (reason tables of flux-event-data.md §2), and the statuses it posts.
 */
import { describe, expect, it } from 'vitest'
import {
  awaitedId,
  defaultAwaitedObjects,
  eventCommitSha,
  finalOutcome,
  observeEvents,
  parseAwaitedObject,
  parseAwaitedRevision,
  startAwaiting,
  syntheticEvent,
  timeOut,
  timeoutDescription,
} from '../../src/routing/await.js'
import { parsePollOptions, OptionError } from '../../src/options.js'
import { github } from '../../src/providers/git/github.js'
import { gitlab } from '../../src/providers/git/gitlab.js'
import { gitea } from '../../src/providers/git/gitea.js'
import { bitbucket } from '../../src/providers/git/bitbucket.js'
import { bitbucketServer } from '../../src/providers/git/bitbucketserver.js'
import { azureDevOps } from '../../src/providers/git/azuredevops.js'
import type { CommitStatusModule } from '../../src/providers/types.js'
import {
  alert,
  config,
  event,
  providerManifest,
  resolvedProvider,
  source,
  sourced,
} from '../support/factories.js'

const SHA = '450796ddb2ab6724ee1cc32a4be56da032d1cca0'
const OTHER = '4d768edba5d409feb60870dd3b0ac0d307299898'
const KS = 'kustomize.toolkit.fluxcd.io'
const HELM = 'helm.toolkit.fluxcd.io'

describe('parseAwaitedRevision', () => {
  it('takes a 40-hex SHA, lower-cased', () => {
    expect(parseAwaitedRevision(SHA)).toBe(SHA)
    expect(parseAwaitedRevision(SHA.toUpperCase())).toBe(SHA)
  })
  it('takes Flux Git revisions (reference §2.6), current and legacy', () => {
    expect(parseAwaitedRevision(`main@sha1:${SHA}`)).toBe(SHA)
    expect(parseAwaitedRevision(`refs/pull/420/head@sha1:${SHA}`)).toBe(SHA)
    expect(parseAwaitedRevision(`sha1:${SHA}`)).toBe(SHA)
    expect(parseAwaitedRevision(`main/${SHA}`)).toBe(SHA)
  })
  it('refuses anything that names no Git commit, in one line', () => {
    for (const bad of [
      'latest@sha256:3b6cdcc7adcc9a84d3214ee1c029543789d90b5ae69debe9efa3f66e982875de',
      '6.5.4',
      SHA.slice(0, 7),
      `main@sha1:${'z'.repeat(40)}`,
    ]) {
      const result = parseAwaitedRevision(bad)
      expect(result, bad).toHaveProperty('error')
      expect((result as { error: string }).error).toMatch(
        /^wait-for-revision: .* is not a commit SHA/,
      )
    }
  })
})

describe('parseAwaitedObject', () => {
  it('reads Kind/namespace/name and Kind/name (the default namespace)', () => {
    expect(parseAwaitedObject('Kustomization/apps/podinfo', 'flux-system')).toEqual({
      kind: 'Kustomization',
      namespace: 'apps',
      name: 'podinfo',
    })
    expect(parseAwaitedObject('HelmRelease/podinfo', 'flux-system')).toEqual({
      kind: 'HelmRelease',
      namespace: 'flux-system',
      name: 'podinfo',
    })
  })
  it('refuses other shapes', () => {
    for (const bad of [
      'Kustomization',
      'a/b/c/d',
      'Kustomization//x',
      '/ns/x',
      'Kustomization/ns/*',
    ]) {
      expect(parseAwaitedObject(bad, 'flux-system'), bad).toHaveProperty('error')
    }
  })
})

describe('parsePollOptions', () => {
  const raw = {
    manifests: '',
    namespace: '',
    events: '',
    secrets: [],
    githubToken: '',
    rateLimitInterval: '',
    noCrossNamespaceRefs: '',
    dryRun: '',
    failOnError: '',
    cwd: '/',
  }
  it('is off without wait-for-revision, with the documented defaults otherwise', () => {
    expect(parsePollOptions(raw, 'flux-system')).toBeUndefined()
    expect(
      parsePollOptions({ ...raw, waitForRevision: `main@sha1:${SHA}` }, 'flux-system'),
    ).toEqual({
      revision: `main@sha1:${SHA}`,
      sha: SHA,
      waitFor: [],
      intervalMs: 15_000,
      timeoutMs: 600_000,
    })
  })
  it('throws one-line OptionErrors', () => {
    expect(() => parsePollOptions({ ...raw, waitForRevision: 'v1.0.0' }, 'x')).toThrow(OptionError)
    expect(() => parsePollOptions({ ...raw, waitForRevision: SHA, waitFor: 'nope' }, 'x')).toThrow(
      /^wait-for: 'nope'/,
    )
    expect(() => parsePollOptions({ ...raw, waitForRevision: SHA, timeout: 'soon' }, 'x')).toThrow(
      /^timeout: /,
    )
  })
})

describe('defaultAwaitedObjects', () => {
  it('lists the named sources of alerts with a commit-status provider, each once', () => {
    const cfg = config(
      [
        alert({
          name: 'status',
          namespace: 'flux-system',
          provider: 'github',
          sources: [
            source('Kustomization', 'apps'),
            source('Kustomization', '*'),
            source('HelmRelease', 'podinfo', 'apps'),
          ],
        }),
        alert({
          name: 'chat',
          namespace: 'flux-system',
          provider: 'slack',
          sources: [source('Kustomization', 'infra')],
        }),
        alert({
          name: 'status-again',
          namespace: 'flux-system',
          provider: 'gitlab',
          sources: [source('Kustomization', 'apps'), source('GitRepository', 'flux-system')],
        }),
        alert({
          name: 'suspended',
          namespace: 'flux-system',
          provider: 'github',
          suspend: true,
          sources: [source('Kustomization', 'paused')],
        }),
      ],
      [
        providerManifest('github', { name: 'github', namespace: 'flux-system' }),
        providerManifest('slack', { name: 'slack', namespace: 'flux-system' }),
        providerManifest('gitlab', { name: 'gitlab', namespace: 'flux-system' }),
      ],
    )
    expect(defaultAwaitedObjects(cfg).map(awaitedId)).toEqual([
      'Kustomization/flux-system/apps',
      'HelmRelease/apps/podinfo',
      'GitRepository/flux-system/flux-system',
    ])
  })
  it('is empty when only chat providers or wildcards are configured', () => {
    const cfg = config(
      [
        alert({
          namespace: 'flux-system',
          provider: 'github',
          sources: [source('Kustomization', '*')],
        }),
      ],
      [providerManifest('github', { name: 'github', namespace: 'flux-system' })],
    )
    expect(defaultAwaitedObjects(cfg)).toEqual([])
  })
})

describe('finalOutcome (flux-event-data.md §2.1, §2.2, §2.3)', () => {
  const cases: Array<[string, string, 'succeeded' | 'failed' | undefined]> = [
    ['ReconciliationSucceeded', 'info', 'succeeded'],
    ['InstallSucceeded', 'info', 'succeeded'],
    ['UpgradeSucceeded', 'info', 'succeeded'],
    ['TestSucceeded', 'info', 'succeeded'],
    ['NewArtifact', 'info', 'succeeded'],
    ['RollbackSucceeded', 'info', 'failed'],
    ['HealthCheckFailed', 'error', 'failed'],
    ['ReconciliationFailed', 'error', 'failed'],
    ['UpgradeFailed', 'error', 'failed'],
    ['Progressing', 'info', undefined],
    ['DependencyNotReady', 'info', undefined],
    ['HealthCheckCanceled', 'info', undefined],
    ['UninstallSucceeded', 'info', undefined],
    ['ArtifactUpToDate', 'trace', undefined],
  ]
  for (const [reason, severity, expected] of cases) {
    it(`${severity} ${reason} → ${expected ?? 'keep waiting'}`, () => {
      expect(finalOutcome(event({ reason, severity }))).toBe(expected)
    })
  }
})

function ks(
  reason: string,
  severity: string,
  metadata: Record<string, string>,
  timestamp = '2026-07-20T10:00:05Z',
) {
  return event({
    kind: 'Kustomization',
    namespace: 'flux-system',
    name: 'apps',
    apiVersion: `${KS}/v1`,
    reason,
    severity,
    metadata,
    timestamp,
  })
}

describe('eventCommitSha', () => {
  it('reads the prefixed revision of a raw event (main@sha1:…)', () => {
    expect(
      eventCommitSha(
        ks('ReconciliationSucceeded', 'info', { [`${KS}/revision`]: `main@sha1:${SHA}` }),
      ),
    ).toBe(SHA)
  })
  it('prefers originRevision over revision, and commit over both', () => {
    expect(
      eventCommitSha(
        ks('ReconciliationSucceeded', 'info', {
          [`${KS}/revision`]: `latest@sha256:${'a'.repeat(64)}`,
          [`${KS}/originRevision`]: `main@sha1:${SHA}`,
        }),
      ),
    ).toBe(SHA)
    expect(
      eventCommitSha(
        ks('ReconciliationSucceeded', 'info', {
          [`${KS}/revision`]: `main@sha1:${OTHER}`,
          'event.toolkit.fluxcd.io/commit': SHA,
        }),
      ),
    ).toBe(SHA)
  })
  it('reads unprefixed keys of a processed event (dispatch payloads) only as far as cleanup keeps them', () => {
    const helm = event({
      kind: 'HelmRelease',
      apiVersion: `${HELM}/v2`,
      reason: 'UpgradeSucceeded',
      metadata: { [`${HELM}/revision`]: '6.5.4' },
    })
    expect(eventCommitSha(helm)).toBeUndefined()
  })
  it('ignores a bare SHA-256 and other groups’ keys', () => {
    expect(
      eventCommitSha(
        ks('ReconciliationSucceeded', 'info', { [`${HELM}/revision`]: `main@sha1:${SHA}` }),
      ),
    ).toBeUndefined()
  })
})

describe('observeEvents', () => {
  const apps = { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' }
  const rev = { [`${KS}/revision`]: `main@sha1:${SHA}` }

  it('keeps waiting on Progressing, other revisions and other objects', () => {
    const states = startAwaiting([apps])
    const changed = observeEvents(
      states,
      [
        sourced(ks('Progressing', 'info', rev)),
        sourced(
          ks('ReconciliationSucceeded', 'info', { [`${KS}/revision`]: `main@sha1:${OTHER}` }),
        ),
        sourced({
          ...ks('ReconciliationSucceeded', 'info', rev),
          involvedObject: { ...apps, name: 'infra' },
        }),
      ],
      SHA,
    )
    expect(changed).toEqual([])
    expect(states[0]!.outcome).toBe('waiting')
  })
  it('settles on the final event for the revision; the newest final event decides', () => {
    const states = startAwaiting([apps])
    observeEvents(
      states,
      [
        sourced(ks('ReconciliationSucceeded', 'info', rev, '2026-07-20T10:05:00Z')),
        sourced(ks('HealthCheckFailed', 'error', rev, '2026-07-20T10:01:00Z')),
      ],
      SHA,
    )
    expect(states[0]).toMatchObject({ outcome: 'succeeded', reason: 'ReconciliationSucceeded' })
  })
  it('a failure stays a failure once settled', () => {
    const states = startAwaiting([apps])
    observeEvents(states, [sourced(ks('HealthCheckFailed', 'error', rev))], SHA)
    observeEvents(
      states,
      [sourced(ks('ReconciliationSucceeded', 'info', rev, '2026-07-20T11:00:00Z'))],
      SHA,
    )
    expect(states[0]).toMatchObject({ outcome: 'failed', reason: 'HealthCheckFailed' })
  })
  it('timeOut marks only what still waits', () => {
    const other = { ...apps, name: 'infra' }
    const states = startAwaiting([apps, other])
    observeEvents(states, [sourced(ks('ReconciliationSucceeded', 'info', rev))], SHA)
    expect(timeOut(states).map((s) => awaitedId(s.object))).toEqual([
      'Kustomization/flux-system/infra',
    ])
    expect(states.map((s) => s.outcome)).toEqual(['succeeded', 'timed-out'])
  })
})

describe('poll-mode statuses on every host', () => {
  const apps = { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' }
  const hosts: Array<[CommitStatusModule, string, string, string]> = [
    [github, 'https://github.com/org/repo', 'pending', 'error'],
    [gitea, 'https://gitea.example.com/org/repo', 'pending', 'error'],
    [gitlab, 'https://gitlab.com/org/repo', 'pending', 'failed'],
    [bitbucket, 'https://bitbucket.org/org/repo', 'INPROGRESS', 'FAILED'],
    [bitbucketServer, 'https://bitbucket.example.com/scm/proj/repo.git', 'INPROGRESS', 'FAILED'],
    [azureDevOps, 'https://dev.azure.com/org/proj/_git/repo', 'pending', 'error'],
  ]
  for (const [module, address, pending, timedOut] of hosts) {
    it(`${module.type}: ${pending} while waiting, ${timedOut} on timeout, with poll mode's description`, () => {
      const provider = resolvedProvider(module.type, {
        address,
        token: 't',
        username: 'u',
        password: 'p',
      })
      const override = { state: 'pending', description: 'waiting for reconciliation' } as const
      const synthetic = syntheticEvent(apps, override, `main@sha1:${SHA}`, SHA, {
        nowMs: 0,
        index: 0,
      })
      // what routing hands the module: metadata unprefixed
      const notification = {
        event: { ...synthetic.event, metadata: { commit: SHA, revision: `main@sha1:${SHA}` } },
        alert: alert(),
        provider,
        statusOverride: override,
      }
      const waiting = module.desiredStatus(notification, 'kustomization/apps/0c9c2e41')
      expect(waiting).toMatchObject({
        sha: SHA,
        state: pending,
        description: 'waiting for reconciliation',
      })
      const description = timeoutDescription(600_000, SHA)
      const late = module.desiredStatus(
        { ...notification, statusOverride: { state: 'timedOut', description } },
        'kustomization/apps/0c9c2e41',
      )
      expect(late).toMatchObject({ sha: SHA, state: timedOut, description })
    })
  }
  it('words the timeout with the short SHA and a plain duration', () => {
    expect(timeoutDescription(600_000, SHA)).toBe(
      'timed out after 10m waiting for reconciliation of 450796d',
    )
    expect(timeoutDescription(3_000, SHA)).toBe(
      'timed out after 3s waiting for reconciliation of 450796d',
    )
    expect(timeoutDescription(90 * 60_000, SHA)).toBe(
      'timed out after 1h30m waiting for reconciliation of 450796d',
    )
  })
})
