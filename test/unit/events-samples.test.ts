/**
 * Every sample of the event-data reference §5 read through `parseEvents`, with the expected Flux
 * events written out by hand from the reference text.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseEvents } from '../../src/events/parse.js'
import type { FluxEvent } from '../../src/events/model.js'

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8')

const KUSTOMIZATION_UID = '5c0e2f0a-8d0f-4b7e-9c39-6f4f6d1f3b21'
const HELMRELEASE_UID = '0b7d1c55-0f2e-4c57-a1c4-1f7e9b8d2e60'
const GITREPOSITORY_UID = '10bede33-5804-4d9b-b60c-7f038d1c63a5'

const apps = (resourceVersion: string) => ({
  kind: 'Kustomization',
  namespace: 'flux-system',
  name: 'apps',
  uid: KUSTOMIZATION_UID,
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  resourceVersion,
})
const podinfo = (resourceVersion: string) => ({
  kind: 'HelmRelease',
  namespace: 'apps',
  name: 'podinfo',
  uid: HELMRELEASE_UID,
  apiVersion: 'helm.toolkit.fluxcd.io/v2',
  resourceVersion,
})
const fluxSystemRepo = (resourceVersion: string) => ({
  kind: 'GitRepository',
  namespace: 'flux-system',
  name: 'flux-system',
  uid: GITREPOSITORY_UID,
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  resourceVersion,
})

const SUCCESS_MESSAGE = 'Reconciliation finished in 2.143615391s, next run in 10m0s'
const HEALTH_MESSAGE =
  "health check failed after 5m0.041378s: timeout waiting for: [Deployment/apps/podinfo status: 'InProgress']"
const UPGRADE_MESSAGE =
  "Helm upgrade failed for release apps/podinfo with chart podinfo@6.5.4: timeout waiting for: [Deployment/apps/podinfo status: 'InProgress']"
const ARTIFACT_MESSAGE =
  "stored artifact for commit 'Merge pull request #160 from stefanprodan/release-...'"
const CLONE_MESSAGE =
  "failed to checkout and determine revision: unable to clone 'https://github.com/stefanprodan/podinfo': couldn't find remote ref \"refs/tags/v1.8.9\""
const TOKEN = 'sha256:d2850d8eb2eba96c85652900121c99de0c4d3510582d7f7082682167452f98d0'
const DIGEST = 'sha256:95e386f421272710c4cedbbd8607dbbaa019d500e7a5a0b6720bc7bebefc7bf2'
const REV_450 = 'main@sha1:450796ddb2ab6724ee1cc32a4be56da032d1cca0'
const REV_4D7 = 'main@sha1:4d768edba5d409feb60870dd3b0ac0d307299898'
const REV_132 = 'master@sha1:132f4e719209eb10b9485302f8593fc0e680f4fc'

describe('§5.1 eventv1.Event as controllers POST it (a JSON array)', () => {
  const parsed = parseEvents(fixture('controller-events.json'), 'controller-events.json')

  it('reads all seven events without problems, in file order', () => {
    expect(parsed.problems).toEqual([])
    expect(parsed.ignored).toEqual({ nonFlux: 0, trace: 0 })
    expect(parsed.events.map((e) => e.event.reason)).toEqual([
      'ReconciliationSucceeded',
      'Progressing',
      'HealthCheckFailed',
      'UpgradeFailed',
      'NewArtifact',
      'GitOperationFailed',
      'Succeeded',
    ])
  })

  it('(a) Kustomization success keeps the prefixed metadata as sent', () => {
    const expected: FluxEvent = {
      involvedObject: apps('184467'),
      severity: 'info',
      timestamp: '2026-07-20T10:15:42Z',
      message: SUCCESS_MESSAGE,
      reason: 'ReconciliationSucceeded',
      metadata: {
        'kustomize.toolkit.fluxcd.io/commit_status': 'update',
        'kustomize.toolkit.fluxcd.io/revision': REV_450,
      },
      reportingController: 'kustomize-controller',
      reportingInstance: 'kustomize-controller-5f7c8d9b6c-x2x9l',
    }
    expect(parsed.events[0]!.event).toStrictEqual(expected)
    expect(parsed.events[0]!.time).toBe(Date.UTC(2026, 6, 20, 10, 15, 42))
  })

  it('(b) apply change set, (c) health-check failure', () => {
    expect(parsed.events[1]!.event).toStrictEqual({
      involvedObject: apps('184459'),
      severity: 'info',
      timestamp: '2026-07-20T10:15:40Z',
      message: 'Deployment/apps/podinfo configured\nHorizontalPodAutoscaler/apps/podinfo created',
      reason: 'Progressing',
      metadata: { 'kustomize.toolkit.fluxcd.io/revision': REV_450 },
      reportingController: 'kustomize-controller',
      reportingInstance: 'kustomize-controller-5f7c8d9b6c-x2x9l',
    })
    expect(parsed.events[2]!.event).toStrictEqual({
      involvedObject: apps('186102'),
      severity: 'error',
      timestamp: '2026-07-20T10:21:07Z',
      message: HEALTH_MESSAGE,
      reason: 'HealthCheckFailed',
      metadata: { 'kustomize.toolkit.fluxcd.io/revision': REV_4D7 },
      reportingController: 'kustomize-controller',
      reportingInstance: 'kustomize-controller-5f7c8d9b6c-x2x9l',
    })
  })

  it('(d) HelmRelease failure keeps the token (the controller removes it later)', () => {
    expect(parsed.events[3]!.event).toStrictEqual({
      involvedObject: podinfo('190233'),
      severity: 'error',
      timestamp: '2026-07-20T11:02:19Z',
      message: UPGRADE_MESSAGE,
      reason: 'UpgradeFailed',
      metadata: {
        'helm.toolkit.fluxcd.io/app-version': '6.5.4',
        'helm.toolkit.fluxcd.io/revision': '6.5.4',
        'helm.toolkit.fluxcd.io/token': TOKEN,
      },
      reportingController: 'helm-controller',
      reportingInstance: 'helm-controller-7d8b5c9f4d-qk7sz',
    })
  })

  it('(e) GitRepository new artifact, (f) events without metadata have no metadata key', () => {
    expect(parsed.events[4]!.event).toStrictEqual({
      involvedObject: fluxSystemRepo('184401'),
      severity: 'info',
      timestamp: '2026-07-20T10:14:58Z',
      message: ARTIFACT_MESSAGE,
      reason: 'NewArtifact',
      metadata: {
        'source.toolkit.fluxcd.io/digest': DIGEST,
        'source.toolkit.fluxcd.io/revision': REV_132,
      },
      reportingController: 'source-controller',
      reportingInstance: 'source-controller-c98cb4b8b-zlkl2',
    })
    expect(parsed.events[5]!.event).toStrictEqual({
      involvedObject: {
        kind: 'GitRepository',
        namespace: 'default',
        name: 'podinfo',
        uid: '2c2ed1da-556f-4793-863d-7d96e8bab3f5',
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        resourceVersion: '1284973',
      },
      severity: 'error',
      timestamp: '2023-08-22T20:24:18Z',
      message: CLONE_MESSAGE,
      reason: 'GitOperationFailed',
      reportingController: 'source-controller',
      reportingInstance: 'source-controller-6d4c8b9f7-2xv8n',
    })
    expect(parsed.events[6]!.event).toStrictEqual({
      involvedObject: {
        kind: 'ImageUpdateAutomation',
        namespace: 'flux-system',
        name: 'podinfo',
        uid: '8f3a9c1e-6b2d-4e5f-9a7c-3d1e2f4b5a6c',
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        resourceVersion: '201877',
      },
      severity: 'info',
      timestamp: '2026-07-20T12:40:03Z',
      message:
        "pushed commit 'fbec8b8' to branch 'main'\nUpdate image ghcr.io/stefanprodan/podinfo to 6.5.4",
      reason: 'Succeeded',
      reportingController: 'image-automation-controller',
      reportingInstance: 'image-automation-controller-5b9f6c7d8-mm4tq',
    })
  })

  it('keeps Go field order for the event and its object reference', () => {
    const event = parsed.events[0]!.event
    expect(Object.keys(event)).toEqual([
      'involvedObject',
      'severity',
      'timestamp',
      'message',
      'reason',
      'metadata',
      'reportingController',
      'reportingInstance',
    ])
    expect(Object.keys(event.involvedObject)).toEqual([
      'kind',
      'namespace',
      'name',
      'uid',
      'apiVersion',
      'resourceVersion',
    ])
  })

  it('gives each array element its index and the line its object starts on', () => {
    // controller-events.json is a 2-space pretty-printed array; elements open on these lines.
    expect(parsed.events.map((e) => e.origin)).toEqual(
      [2, 22, 41, 60, 81, 101, 117].map((line, index) => ({
        source: 'controller-events.json',
        index,
        line,
      })),
    )
  })
})

describe('§5.2 kubectl get events -A -o json (core/v1 List)', () => {
  const parsed = parseEvents(fixture('kubectl-get-events.json'), 'events/kubectl.json')

  it('turns Flux items into events, ignores the Pod event and drops the trace event', () => {
    expect(parsed.events.map((e) => e.event.reason)).toEqual([
      'ReconciliationSucceeded',
      'HealthCheckFailed',
      'UpgradeFailed',
      'NewArtifact',
      'GitOperationFailed',
      'ReconciliationSucceeded',
    ])
    expect(parsed.ignored).toEqual({ nonFlux: 1, trace: 1 })
  })

  it('(a) Normal → info, annotations → metadata, reportingComponent → reportingController', () => {
    expect(parsed.events[0]!.event).toStrictEqual({
      involvedObject: apps('184467'),
      severity: 'info',
      timestamp: '2026-07-20T10:15:42Z',
      message: SUCCESS_MESSAGE,
      reason: 'ReconciliationSucceeded',
      metadata: {
        'kustomize.toolkit.fluxcd.io/commit_status': 'update',
        'kustomize.toolkit.fluxcd.io/revision': REV_450,
      },
      reportingController: 'kustomize-controller',
    })
  })

  it('(b) Warning → error', () => {
    expect(parsed.events[1]!.event).toStrictEqual({
      involvedObject: apps('186102'),
      severity: 'error',
      timestamp: '2026-07-20T10:21:07Z',
      message: HEALTH_MESSAGE,
      reason: 'HealthCheckFailed',
      metadata: { 'kustomize.toolkit.fluxcd.io/revision': REV_4D7 },
      reportingController: 'kustomize-controller',
    })
  })

  it('(c) a repeated event takes lastTimestamp and keeps its annotations (token included)', () => {
    expect(parsed.events[2]!.event).toStrictEqual({
      involvedObject: podinfo('190391'),
      severity: 'error',
      timestamp: '2026-07-20T11:22:31Z',
      message: UPGRADE_MESSAGE,
      reason: 'UpgradeFailed',
      metadata: {
        'helm.toolkit.fluxcd.io/app-version': '6.5.4',
        'helm.toolkit.fluxcd.io/revision': '6.5.4',
        'helm.toolkit.fluxcd.io/token': TOKEN,
      },
      reportingController: 'helm-controller',
    })
    expect(parsed.events[2]!.time).toBe(Date.UTC(2026, 6, 20, 11, 22, 31))
  })

  it('(d) GitRepository new artifact', () => {
    expect(parsed.events[3]!.event).toStrictEqual({
      involvedObject: fluxSystemRepo('184401'),
      severity: 'info',
      timestamp: '2026-07-20T10:14:58Z',
      message: ARTIFACT_MESSAGE,
      reason: 'NewArtifact',
      metadata: {
        'source.toolkit.fluxcd.io/digest': DIGEST,
        'source.toolkit.fluxcd.io/revision': REV_132,
      },
      reportingController: 'source-controller',
    })
  })

  it('(e) empty reportingComponent falls back to source.component; no annotations, no metadata', () => {
    expect(parsed.events[4]!.event).toStrictEqual({
      involvedObject: {
        kind: 'GitRepository',
        namespace: 'default',
        name: 'podinfo',
        uid: '2c2ed1da-556f-4793-863d-7d96e8bab3f5',
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        resourceVersion: '1284973',
      },
      severity: 'error',
      timestamp: '2023-08-22T20:24:18Z',
      message: CLONE_MESSAGE,
      reason: 'GitOperationFailed',
      reportingController: 'source-controller',
    })
  })

  it('(f) an aggregated event loses the client-go prefix and is reported once as a warning', () => {
    expect(parsed.events[5]!.event).toStrictEqual({
      involvedObject: {
        kind: 'Kustomization',
        namespace: 'flux-system',
        name: 'infra',
        uid: '77aa1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b',
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        resourceVersion: '199120',
      },
      severity: 'info',
      timestamp: '2026-07-20T12:00:40Z',
      message: 'Reconciliation finished in 812.44ms, next run in 1m0s',
      reason: 'ReconciliationSucceeded',
      reportingController: 'kustomize-controller',
    })
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]).toMatchObject({
      severity: 'warning',
      location: { file: 'events/kubectl.json', line: 208 },
    })
    expect(parsed.problems[0]!.message).toMatch(/^1 Kubernetes event was aggregated/)
  })

  it('origins: index is the position in items (the ignored Pod is item 3), line where it opens', () => {
    expect(parsed.events.map((e) => [e.origin.index, e.origin.line])).toEqual([
      [0, 4],
      [1, 39],
      [2, 73],
      [4, 142],
      [5, 177],
      [6, 208],
    ])
    expect(parsed.events.every((e) => e.origin.source === 'events/kubectl.json')).toBe(true)
  })
})

describe('§5.2 kubectl get events -o yaml', () => {
  const parsed = parseEvents(fixture('kubectl-get-events.yaml'), 'kubectl-get-events.yaml')

  it('reads the same events as the JSON list, with the line of each item', () => {
    expect(parsed.problems).toEqual([])
    expect(parsed.ignored).toEqual({ nonFlux: 0, trace: 1 })
    expect(parsed.events.map((e) => [e.event.reason, e.origin.index, e.origin.line])).toEqual([
      ['ReconciliationSucceeded', 0, 3],
      ['HealthCheckFailed', 1, 32],
      ['UpgradeFailed', 2, 61],
    ])
    expect(parsed.events[0]!.event).toStrictEqual({
      involvedObject: apps('184467'),
      severity: 'info',
      timestamp: '2026-07-20T10:15:42Z',
      message: SUCCESS_MESSAGE,
      reason: 'ReconciliationSucceeded',
      metadata: {
        'kustomize.toolkit.fluxcd.io/commit_status': 'update',
        'kustomize.toolkit.fluxcd.io/revision': REV_450,
      },
      reportingController: 'kustomize-controller',
    })
    expect(parsed.events[1]!.event.severity).toBe('error')
    expect(parsed.events[1]!.event.message).toBe(HEALTH_MESSAGE)
    expect(parsed.events[2]!.event.message).toBe(UPGRADE_MESSAGE)
    expect(parsed.events[2]!.event.timestamp).toBe('2026-07-20T11:22:31Z')
  })
})

describe('§5.2 the events.k8s.io/v1 view', () => {
  it('maps regarding, note, deprecatedLastTimestamp and reportingController', () => {
    const parsed = parseEvents(fixture('events-k8s-io.json'), 'events-k8s-io.json')
    expect(parsed.problems).toEqual([])
    expect(parsed.events).toHaveLength(1)
    expect(parsed.events[0]!.event).toStrictEqual({
      involvedObject: {
        kind: 'Kustomization',
        namespace: 'flux-system',
        name: 'apps',
        uid: KUSTOMIZATION_UID,
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        resourceVersion: '184467',
      },
      severity: 'info',
      timestamp: '2026-07-20T10:15:42Z',
      message: SUCCESS_MESSAGE,
      reason: 'ReconciliationSucceeded',
      metadata: {
        'kustomize.toolkit.fluxcd.io/commit_status': 'update',
        'kustomize.toolkit.fluxcd.io/revision': REV_450,
      },
      reportingController: 'kustomize-controller',
    })
  })
})

describe('§5.3 processed events (generic webhook captures, NDJSON)', () => {
  const parsed = parseEvents(fixture('generic-webhook.ndjson'), 'captures.ndjson')

  it('reads one event per line with its line number', () => {
    expect(parsed.problems).toEqual([])
    expect(parsed.events.map((e) => e.origin)).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((line, index) => ({ source: 'captures.ndjson', index, line })),
    )
  })

  it('(a) bare metadata keys get the involved object group back', () => {
    expect(parsed.events[0]!.event).toStrictEqual({
      involvedObject: apps('184459'),
      severity: 'info',
      timestamp: '2026-07-20T10:15:40Z',
      message: 'Deployment/apps/podinfo configured\nHorizontalPodAutoscaler/apps/podinfo created',
      reason: 'Progressing',
      metadata: {
        'kustomize.toolkit.fluxcd.io/cluster': 'staging-1',
        'kustomize.toolkit.fluxcd.io/env': 'staging',
        'kustomize.toolkit.fluxcd.io/revision': REV_450,
      },
      reportingController: 'kustomize-controller',
      reportingInstance: 'kustomize-controller-5f7c8d9b6c-x2x9l',
    })
  })

  it('(b) commit_status and originRevision, (c) the failure', () => {
    expect(parsed.events[1]!.event.metadata).toStrictEqual({
      'kustomize.toolkit.fluxcd.io/cluster': 'staging-1',
      'kustomize.toolkit.fluxcd.io/commit_status': 'update',
      'kustomize.toolkit.fluxcd.io/env': 'staging',
      'kustomize.toolkit.fluxcd.io/originRevision': REV_450,
      'kustomize.toolkit.fluxcd.io/revision':
        'latest@sha256:3b6cdcc7adcc9a84d3214ee1c029543789d90b5ae69debe9efa3f66e982875de',
    })
    expect(parsed.events[2]!.event).toMatchObject({
      severity: 'error',
      reason: 'HealthCheckFailed',
      metadata: {
        'kustomize.toolkit.fluxcd.io/cluster': 'staging-1',
        'kustomize.toolkit.fluxcd.io/env': 'staging',
        'kustomize.toolkit.fluxcd.io/revision': REV_4D7,
      },
    })
  })

  it('(d) HelmRelease keys get helm.toolkit.fluxcd.io/, (e) GitRepository keys source.toolkit.fluxcd.io/', () => {
    expect(parsed.events[3]!.event.metadata).toStrictEqual({
      'helm.toolkit.fluxcd.io/app-version': '6.5.4',
      'helm.toolkit.fluxcd.io/cluster': 'staging-1',
      'helm.toolkit.fluxcd.io/env': 'staging',
      'helm.toolkit.fluxcd.io/revision': '6.5.4',
    })
    expect(parsed.events[4]!.event.metadata).toStrictEqual({
      'source.toolkit.fluxcd.io/cluster': 'staging-1',
      'source.toolkit.fluxcd.io/env': 'staging',
      'source.toolkit.fluxcd.io/revision': REV_132,
    })
  })

  it('(f) no metadata key stays absent', () => {
    expect(parsed.events[5]!.event).toStrictEqual({
      involvedObject: {
        kind: 'HelmRelease',
        namespace: 'observability',
        name: 'langfuse',
        uid: '4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b',
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        resourceVersion: '203344',
      },
      severity: 'info',
      timestamp: '2026-07-20T12:05:11Z',
      message: "dependency 'observability/signoz' is not ready",
      reason: 'DependencyNotReady',
      reportingController: 'helm-controller',
      reportingInstance: 'helm-controller-7d8b5c9f4d-qk7sz',
    })
  })

  it('the 2022 real-world payload (legacy revision, v1beta2 group)', () => {
    expect(parsed.events[6]!.event).toStrictEqual({
      involvedObject: {
        kind: 'GitRepository',
        namespace: 'default',
        name: 'podinfo',
        uid: GITREPOSITORY_UID,
        apiVersion: 'source.toolkit.fluxcd.io/v1beta2',
        resourceVersion: '814',
      },
      severity: 'info',
      timestamp: '2022-09-06T10:32:18Z',
      message: "stored artifact for commit 'Update deployment.yaml'",
      reason: 'NewArtifact',
      metadata: {
        'source.toolkit.fluxcd.io/revision': 'master/71ea786475aba31c801435d840819f14a2cc0ef2',
        'source.toolkit.fluxcd.io/summary': 'notification-sink test cluster',
      },
      reportingController: 'source-controller',
      reportingInstance: 'source-controller-c98cb4b8b-zlkl2',
    })
  })
})

describe('§5.3 repository_dispatch webhook payload', () => {
  it('takes client_payload as the event and prefixes its bare keys', () => {
    const parsed = parseEvents(fixture('repository-dispatch.json'), 'event.json')
    expect(parsed.problems).toEqual([])
    expect(parsed.events).toHaveLength(1)
    expect(parsed.events[0]!.event).toStrictEqual({
      involvedObject: apps('184459'),
      severity: 'info',
      timestamp: '2026-07-20T10:15:40Z',
      message: 'Deployment/apps/podinfo configured\nHorizontalPodAutoscaler/apps/podinfo created',
      reason: 'Progressing',
      metadata: {
        'kustomize.toolkit.fluxcd.io/cluster': 'staging-1',
        'kustomize.toolkit.fluxcd.io/env': 'staging',
        'kustomize.toolkit.fluxcd.io/revision': REV_450,
      },
      reportingController: 'kustomize-controller',
      reportingInstance: 'kustomize-controller-5f7c8d9b6c-x2x9l',
    })
  })
})

describe('§3.3 kubectl watch output', () => {
  it('-w -o json: concatenated pretty-printed objects, each with its starting line', () => {
    const parsed = parseEvents(fixture('kubectl-watch.json'), 'watch.json')
    expect(parsed.problems).toEqual([])
    expect(parsed.events.map((e) => [e.event.reason, e.event.severity, e.origin])).toEqual([
      ['NewArtifact', 'info', { source: 'watch.json', index: 0, line: 1 }],
      ['HealthCheckFailed', 'error', { source: 'watch.json', index: 1, line: 36 }],
    ])
  })

  it('--output-watch-events: ADDED and MODIFIED are read, DELETED (expiry) is not', () => {
    const parsed = parseEvents(fixture('kubectl-watch-events.ndjson'), 'watch.ndjson')
    expect(parsed.problems).toEqual([])
    expect(
      parsed.events.map((e) => [e.event.reason, e.event.timestamp, e.origin.line, e.origin.index]),
    ).toEqual([
      ['NewArtifact', '2026-07-20T10:14:58Z', 1, 0],
      ['UpgradeFailed', '2026-07-20T11:22:31Z', 2, 1],
      ['UpgradeFailed', '2026-07-20T11:32:40Z', 3, 2],
    ])
  })
})
