/**
 * End to end through `node dist/index.js`: every Git host's commit status, PR/MR comments,
 * githubdispatch and a commitStatusExpr, each against its loopback fake, over two runs of the
 * same events (a scheduled job re-reading `kubectl get events`). The second run must write no
 * status and update the comments in place.
 */
import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeAzureDevOps, type FakeAzureDevOps } from '../servers/fake-azure-devops.js'
import {
  startFakeBitbucketServer,
  type FakeBitbucketServer,
} from '../servers/fake-bitbucket-server.js'
import { startFakeBitbucket, type FakeBitbucket } from '../servers/fake-bitbucket.js'
import { startFakeGitea, type FakeGitea } from '../servers/fake-gitea.js'
import { startFakeGitHub, type FakeGitHub } from '../servers/fake-github.js'
import { startFakeGitLab, type FakeGitLab } from '../servers/fake-gitlab.js'
import { eventList, k8sEvent, SHA_A, SHA_B, writeRepo } from './fleet.js'
import { expectNoSecrets, runAction, type ActionResult } from './harness.js'

const TOKENS = {
  github: 'ghp_gitHostsE2eToken000111222333',
  gitlab: 'glpat-gitHostsE2e-444555',
  gitea: 'gitea-gitHostsE2e-666777',
  bitbucket: { username: 'flux-bot', password: 'app-password-888999' },
  bitbucketServer: 'bbs-gitHostsE2e-aaabbb',
  azure: 'azure-pat-gitHostsE2e-cccddd',
}
const SECRET_VALUES = [
  TOKENS.github,
  TOKENS.gitlab,
  TOKENS.gitea,
  TOKENS.bitbucket.password,
  TOKENS.bitbucketServer,
  TOKENS.azure,
]

// design.md §3: without metadata.uid, the UID block is derived from the Provider's namespace/name
const uid = (name: string) =>
  createHash('sha256').update(`flux-system/${name}`).digest('hex').slice(0, 8)
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex')

function provider(name: string, type: string, address: string, extra = ''): string {
  return `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: ${name}
  namespace: flux-system
spec:
  type: ${type}
  address: ${address}
  secretRef:
    name: ${name}-auth
${extra}---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: ${name}-alert
  namespace: flux-system
spec:
  providerRef:
    name: ${name}
  eventMetadata:
    cluster: prod-eu
  eventSources:
    - kind: Kustomization
      name: apps
---
`
}

const KS = 'kustomize.toolkit.fluxcd.io'

function events(): string {
  const base = { kind: 'Kustomization' as const, name: 'apps' }
  return eventList([
    k8sEvent(
      {
        ...base,
        reason: 'ReconciliationSucceeded',
        message: 'Reconciliation finished in 2.1s, next run in 10m0s',
        type: 'Normal',
        time: '2026-07-20T10:00:05Z',
        annotations: {
          [`${KS}/revision`]: `main@sha1:${SHA_A}`,
          [`${KS}/commit_status`]: 'update',
        },
      },
      1,
    ),
    k8sEvent(
      {
        ...base,
        reason: 'HealthCheckFailed',
        message:
          "health check failed after 5m0s: timeout waiting for: [Deployment/apps/web status: 'InProgress']",
        type: 'Warning',
        time: '2026-07-20T10:21:07Z',
        annotations: {
          [`${KS}/revision`]: `main@sha1:${SHA_B}`,
          'event.toolkit.fluxcd.io/change_request': '7',
        },
      },
      2,
    ),
  ])
}

let github: FakeGitHub
let gitlab: FakeGitLab
let gitea: FakeGitea
let bitbucket: FakeBitbucket
let bitbucketServer: FakeBitbucketServer
let azure: FakeAzureDevOps
let repo: string

beforeEach(async () => {
  github = await startFakeGitHub({ token: TOKENS.github, logins: { [TOKENS.github]: 'flux-bot' } })
  gitlab = await startFakeGitLab({ token: TOKENS.gitlab })
  gitlab.projectId('group/sub/podinfo') // the project exists, with no status yet
  gitea = await startFakeGitea({ token: TOKENS.gitea, repositories: ['owner/podinfo'] })
  bitbucket = await startFakeBitbucket({ credentials: TOKENS.bitbucket })
  bitbucketServer = await startFakeBitbucketServer({ token: TOKENS.bitbucketServer })
  azure = await startFakeAzureDevOps({ token: TOKENS.azure, repositories: ['org/project/podinfo'] })
  const expr =
    "event.involvedObject.kind + '/' + event.involvedObject.name + '/' + event.metadata.cluster + '/' + provider.metadata.name + '/' + alert.metadata.name"
  const manifests = [
    provider(
      'gh',
      'github',
      `${github.url}/stefanprodan/podinfo`,
      `  commitStatusExpr: "${expr}"\n`,
    ),
    provider('gl', 'gitlab', `${gitlab.url}/group/sub/podinfo`),
    provider('gt', 'gitea', `${gitea.url}/owner/podinfo`),
    provider('bb', 'bitbucket', 'https://bitbucket.org/team/podinfo'),
    provider('bbs', 'bitbucketserver', `${bitbucketServer.url}/scm/proj/podinfo.git`),
    provider('az', 'azuredevops', `${azure.url}/org/project/_git/podinfo`),
    provider('pr', 'githubpullrequestcomment', `${github.url}/stefanprodan/podinfo`),
    provider('dispatch', 'githubdispatch', `${github.url}/stefanprodan/podinfo`),
  ].join('')
  const secrets = `
gh-auth: { token: ${TOKENS.github} }
pr-auth: { token: ${TOKENS.github} }
dispatch-auth: { token: ${TOKENS.github} }
gl-auth: { token: ${TOKENS.gitlab} }
gt-auth: { token: ${TOKENS.gitea} }
bb-auth: { token: "${TOKENS.bitbucket.username}:${TOKENS.bitbucket.password}" }
bbs-auth: { token: ${TOKENS.bitbucketServer} }
az-auth: { token: ${TOKENS.azure} }
`
  repo = await writeRepo({
    'clusters/prod/notifications.yaml': manifests,
    'events.json': events(),
    'secrets.yaml': secrets,
  })
})

afterEach(async () => {
  await Promise.all(
    [github, gitlab, gitea, bitbucket, bitbucketServer, azure].map((f) => f.close()),
  )
  await rm(repo, { recursive: true, force: true })
})

async function run(secrets: string): Promise<ActionResult> {
  return runAction({
    cwd: repo,
    inputs: { manifests: 'clusters/prod', events: 'events.json', secrets, 'github-token': '' },
    env: { BITBUCKET_API_BASE_URL: bitbucket.apiUrl },
  })
}

function statusWrites(requests: Array<{ method: string; path: string }>, pattern: RegExp): number {
  return requests.filter((r) => r.method === 'POST' && pattern.test(r.path)).length
}

describe('every Git host, over two runs', () => {
  it('writes each status once, evaluates commitStatusExpr, updates the PR comment in place', async () => {
    const { readFile } = await import('node:fs/promises')
    const secrets = await readFile(`${repo}/secrets.yaml`, 'utf8')

    const first = await run(secrets)
    expect(first.stderr).toBe('')
    if (first.code !== 0) console.log(first.stdout)
    expect(first.code).toBe(0)
    expect(first.outputs.failed).toBe('0')

    // github with commitStatusExpr (event.metadata, provider.metadata.name, alert.metadata.name)
    expect(github.statuses('stefanprodan/podinfo', SHA_B).map((s) => [s.context, s.state])).toEqual(
      [['Kustomization/apps/prod-eu/gh/gh-alert', 'failure']],
    )
    // gitlab: name = the default id, state failed
    expect(gitlab.statuses('group/sub/podinfo', SHA_B).map((s) => [s.name, s.status])).toEqual([
      [`kustomization/apps/${uid('gl')}`, 'failed'],
    ])
    expect(gitlab.statuses('group/sub/podinfo', SHA_A).map((s) => [s.name, s.status])).toEqual([
      [`kustomization/apps/${uid('gl')}`, 'success'],
    ])
    expect(gitea.statuses('owner/podinfo', SHA_B).map((s) => [s.context, s.status])).toEqual([
      [`kustomization/apps/${uid('gt')}`, 'failure'],
    ])
    // bitbucket keys are the SHA-1 of the id
    expect(bitbucket.statuses('team/podinfo', SHA_B).map((s) => [s.key, s.state, s.name])).toEqual([
      [sha1(`kustomization/apps/${uid('bb')}`), 'FAILED', 'kustomization/apps'],
    ])
    expect(bitbucketServer.statuses('proj/podinfo', SHA_B).map((s) => [s.key, s.state])).toEqual([
      [sha1(`kustomization/apps/${uid('bbs')}`), 'FAILED'],
    ])
    expect(azure.statuses('org/project/podinfo', SHA_B).map((s) => [s.context, s.state])).toEqual([
      [{ genre: 'fluxcd', name: `kustomization/apps/${uid('az')}` }, 'error'],
    ])
    // the PR comment, carrying the marker of reference §5.25
    const comments = github.comments('stefanprodan/podinfo', 7)
    expect(comments).toHaveLength(1)
    expect(comments[0]!.body).toMatch(
      new RegExp(
        `^<!-- flux-pr-comment-key:${uid('pr')}/Kustomization/flux-system/apps -->\\n\\n## Flux Status\\n\\n⚠️ Kustomization/flux-system/apps\\n`,
      ),
    )
    // githubdispatch got the error event only (the commit_status update is not for it)
    expect(github.dispatches.map((d) => d.event_type)).toEqual(['Kustomization/apps.flux-system'])

    const writesAfterFirst = {
      github: statusWrites(github.requests, /\/statuses\//),
      gitlab: statusWrites(gitlab.requests, /\/statuses\//),
      gitea: statusWrites(gitea.requests, /\/statuses\//),
      bitbucket: statusWrites(bitbucket.requests, /\/statuses\/build/),
      bitbucketServer: statusWrites(bitbucketServer.requests, /\/builds/),
      azure: statusWrites(azure.requests, /\/statuses/),
    }
    expect(Object.values(writesAfterFirst)).toEqual([2, 2, 2, 2, 2, 2])

    const second = await run(secrets)
    expect(second.code).toBe(0)
    expect({
      github: statusWrites(github.requests, /\/statuses\//),
      gitlab: statusWrites(gitlab.requests, /\/statuses\//),
      gitea: statusWrites(gitea.requests, /\/statuses\//),
      bitbucket: statusWrites(bitbucket.requests, /\/statuses\/build/),
      bitbucketServer: statusWrites(bitbucketServer.requests, /\/builds/),
      azure: statusWrites(azure.requests, /\/statuses/),
    }).toEqual(writesAfterFirst)
    // 12 statuses, and the comment: found by its marker, identical, so left as it is
    expect(second.outputs.unchanged).toBe('13')
    expect(github.comments('stefanprodan/podinfo', 7)).toHaveLength(1)

    // a later failure of the same object: the comment is updated in place, not duplicated
    const { writeFile } = await import('node:fs/promises')
    await writeFile(
      `${repo}/events.json`,
      eventList([
        k8sEvent(
          {
            kind: 'Kustomization',
            name: 'apps',
            reason: 'HealthCheckFailed',
            message: 'health check failed after 5m0s: Deployment/apps/web is crash-looping',
            type: 'Warning',
            time: '2026-07-20T10:40:00Z',
            annotations: {
              [`${KS}/revision`]: `main@sha1:${SHA_B}`,
              'event.toolkit.fluxcd.io/change_request': '7',
            },
          },
          3,
        ),
      ]),
    )
    const third = await run(secrets)
    expect(third.code).toBe(0)
    const updated = github.comments('stefanprodan/podinfo', 7)
    expect(updated).toHaveLength(1)
    expect(updated[0]!.id).toBe(comments[0]!.id)
    expect(updated[0]!.body).toContain('Deployment/apps/web is crash-looping')
    expect(github.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1)
    expect(
      JSON.parse(third.outputs.results!).find(
        (r: { type: string }) => r.type === 'githubpullrequestcomment',
      ),
    ).toMatchObject({
      outcome: 'sent',
      reason: 'comment updated',
    })
    expect(github.violations).toEqual([])
    for (const result of [first, second, third]) expectNoSecrets(result, SECRET_VALUES)
  })
})
