/**
 * The fleet of the request figures: two GitHub commit-status Providers (one repository each,
 * 150 commits each, 1,000 status decisions each) and two chat Providers (Slack's Web API and a
 * generic webhook) that both get the same 250 HelmRelease events: 2,000 status decisions over
 * 300 commits and 500 chat notifications.
 *
 * Some commits already show some of the statuses the run would write (seeded on the fake before
 * the run), so part of the decisions are `unchanged`. The minimum number of requests is worked
 * out here from the controller's rules (reference §6.3–§6.6), not from the program's output:
 * one status read per (repository, commit), one write per status that differs from the newest
 * one with the same context, one POST per chat notification.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { coreEventItem, type FluxObject, type GeneratedEvent } from './generate.js'

export interface SeededStatus {
  repo: string
  sha: string
  context: string
  state: string
  description: string
}

export interface RequestsFleet {
  manifestsDir: string
  eventsFile: string
  seeds: SeededStatus[]
  minimum: { statusReads: number; statusWrites: number; chatPosts: number }
  statusDecisions: number
  commits: number
  chatNotifications: number
}

const COMMITS_PER_REPO = 150
const CHAT_EVENTS = 250

interface Repo {
  namespace: string
  provider: string
  repo: string
  /** the Provider's metadata.uid: its first block is the status context's last part (§6.3) */
  uid: string
}

const REPOS: Repo[] = [
  {
    namespace: 'apps-a',
    provider: 'github-a',
    repo: 'fleet/app-a',
    uid: 'a1b2c3d4-0000-4000-8000-000000000001',
  },
  {
    namespace: 'apps-b',
    provider: 'github-b',
    repo: 'fleet/app-b',
    uid: 'e5f6a7b8-0000-4000-8000-000000000002',
  },
]

function sha(repoIndex: number, commit: number): string {
  // 40 hex digits, distinct per (repository, commit)
  const seed = `${repoIndex.toString(16)}${commit.toString(16).padStart(4, '0')}`
  return (seed + 'c0ffee'.repeat(7)).slice(0, 40)
}

function objectRef(
  namespace: string,
  kind: 'Kustomization' | 'HelmRelease',
  name: string,
): FluxObject {
  const apiVersion =
    kind === 'Kustomization' ? 'kustomize.toolkit.fluxcd.io/v1' : 'helm.toolkit.fluxcd.io/v2'
  const n = [...`${namespace}/${name}`].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7)
  return {
    kind,
    apiVersion,
    namespace,
    name,
    uid: `${n.toString(16).padStart(8, '0')}-1111-4111-8111-111111111111`,
    labels: {},
  }
}

/** The Kustomizations' events of commit `c`: 7 for the first 100 commits, 6 after (1,000 in all). */
function commitEvents(c: number): { k: number; failed: boolean }[] {
  const n = c < 100 ? 7 : 6
  const events: { k: number; failed: boolean }[] = []
  if (c % 5 === 0) {
    // a failed health check, then the same Kustomization succeeds on the same commit
    events.push({ k: 0, failed: true })
    for (let k = 1; k < n - 1; k++) events.push({ k, failed: false })
    events.push({ k: 0, failed: false })
  } else if (c % 7 === 3) {
    for (let k = 0; k < n - 1; k++) events.push({ k, failed: false })
    events.push({ k: n - 1, failed: true })
  } else {
    for (let k = 0; k < n; k++) events.push({ k, failed: false })
  }
  return events
}

export async function writeRequestsFleet(
  dir: string,
  githubUrl: string,
  receiverUrl: string,
): Promise<RequestsFleet> {
  const manifestsDir = join(dir, 'manifests')
  await mkdir(manifestsDir, { recursive: true })
  const docs: string[] = []
  const secret = (namespace: string, name: string, token: string) =>
    docs.push(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nstringData:\n  token: ${token}`,
    )
  for (const r of REPOS) {
    secret(r.namespace, 'github-token', `ghp_bench_${r.provider}_0123456789abcdef`)
    docs.push(
      [
        'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
        'kind: Provider',
        'metadata:',
        `  name: ${r.provider}`,
        `  namespace: ${r.namespace}`,
        `  uid: ${r.uid}`,
        'spec:',
        '  type: github',
        `  address: ${githubUrl}/${r.repo}`,
        '  secretRef:',
        '    name: github-token',
      ].join('\n'),
      [
        'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
        'kind: Alert',
        'metadata:',
        `  name: commit-status`,
        `  namespace: ${r.namespace}`,
        'spec:',
        '  providerRef:',
        `    name: ${r.provider}`,
        '  eventSources:',
        '    - kind: Kustomization',
        "      name: '*'",
      ].join('\n'),
    )
  }
  const chatNs = 'apps-chat'
  secret(chatNs, 'slack-token', 'xoxb-bench-slack-token')
  docs.push(
    [
      'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
      'kind: Provider',
      'metadata:',
      '  name: slack',
      `  namespace: ${chatNs}`,
      'spec:',
      '  type: slack',
      '  channel: deployments',
      `  address: ${receiverUrl}/slack/api/chat.postMessage`,
      '  secretRef:',
      '    name: slack-token',
    ].join('\n'),
    [
      'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
      'kind: Provider',
      'metadata:',
      '  name: webhook',
      `  namespace: ${chatNs}`,
      'spec:',
      '  type: generic',
      `  address: ${receiverUrl}/generic/hook`,
    ].join('\n'),
  )
  for (const provider of ['slack', 'webhook']) {
    docs.push(
      [
        'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
        'kind: Alert',
        'metadata:',
        `  name: releases-${provider}`,
        `  namespace: ${chatNs}`,
        'spec:',
        '  providerRef:',
        `    name: ${provider}`,
        '  eventSources:',
        '    - kind: HelmRelease',
        "      name: '*'",
      ].join('\n'),
    )
  }
  await writeFile(join(manifestsDir, 'fleet.yaml'), docs.join('\n---\n') + '\n')

  // Events, in time order: each repository's commits one after the other, then the releases.
  const events: GeneratedEvent[] = []
  const seeds: SeededStatus[] = []
  let time = Date.UTC(2026, 6, 21, 8, 0, 0)
  let statusWrites = 0
  let statusDecisions = 0
  REPOS.forEach((r, ri) => {
    for (let c = 0; c < COMMITS_PER_REPO; c++) {
      const commit = sha(ri, c)
      const uidBlock = r.uid.split('-')[0]!
      // what the repository shows per context before and during the run (newest status)
      const shown = new Map<string, string>()
      // other CI systems' statuses on every commit
      seeds.push({
        repo: r.repo,
        sha: commit,
        context: 'ci/build',
        state: 'success',
        description: 'build passed',
      })
      for (const { k, failed } of commitEvents(c)) {
        const object = objectRef(r.namespace, 'Kustomization', `svc-${k}`)
        const context = `kustomization/svc-${k}/${uidBlock}`
        // one pair in four already shows the success this run would write (an earlier run's)
        if ((c + k) % 4 === 1 && !failed && !shown.has(context)) {
          seeds.push({
            repo: r.repo,
            sha: commit,
            context,
            state: 'success',
            description: 'reconciliation succeeded',
          })
          shown.set(context, 'success|reconciliation succeeded')
        }
        const desired = failed ? 'failure|health check failed' : 'success|reconciliation succeeded'
        if (shown.get(context) !== desired) statusWrites++
        shown.set(context, desired)
        statusDecisions++
        time += 1000
        events.push(
          failed
            ? {
                object,
                type: 'Warning',
                reason: 'HealthCheckFailed',
                message: `health check failed after 5m0.${String(c * 10 + k).padStart(3, '0')}s: timeout waiting for: [Deployment/${r.namespace}/svc-${k} status: 'InProgress']`,
                metadata: { 'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${commit}` },
                timeMs: time,
              }
            : {
                object,
                type: 'Normal',
                reason: 'ReconciliationSucceeded',
                message: `Reconciliation finished in 1.${String(c * 10 + k).padStart(4, '0')}s, next run in 10m0s`,
                metadata: {
                  'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${commit}`,
                  'kustomize.toolkit.fluxcd.io/commit_status': 'update',
                },
                timeMs: time,
              },
        )
      }
    }
  })
  for (let i = 0; i < CHAT_EVENTS; i++) {
    const name = `chart-${i % 10}`
    const version = Math.floor(i / 10) + 1
    time += 1000
    events.push({
      object: objectRef(chatNs, 'HelmRelease', name),
      type: 'Normal',
      reason: 'UpgradeSucceeded',
      message: `Helm upgrade succeeded for release ${chatNs}/${name}.v${version + 1} with chart ${name}@1.${version}.0`,
      metadata: {
        'helm.toolkit.fluxcd.io/revision': `1.${version}.0`,
        'helm.toolkit.fluxcd.io/token': `sha256:${String(i).padStart(64, '0')}`,
      },
      timeMs: time,
    })
  }
  const eventsFile = join(dir, 'events.json')
  const items = events.map((e, i) => JSON.stringify(coreEventItem(e, i)))
  await writeFile(
    eventsFile,
    `{"kind":"EventList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[${items.join(',')}]}\n`,
  )
  return {
    manifestsDir,
    eventsFile,
    seeds,
    minimum: {
      statusReads: REPOS.length * COMMITS_PER_REPO,
      statusWrites,
      chatPosts: CHAT_EVENTS * 2,
    },
    statusDecisions,
    commits: REPOS.length * COMMITS_PER_REPO,
    chatNotifications: CHAT_EVENTS * 2,
  }
}
