/**
 * A small fleet repository for the end-to-end tests: manifests pointing at loopback servers, and
 * events in the formats users feed in (`kubectl get events -o json`, dispatch payloads).
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export const SHA_A = '450796ddb2ab6724ee1cc32a4be56da032d1cca0'
export const SHA_B = '4d768edba5d409feb60870dd3b0ac0d307299898'

export const SECRETS = {
  githubToken: 'ghp_e2eGitHubToken0123456789abcdef',
  slackToken: 'xoxb-e2e-slack-token-4815162342',
  hmacKey: 'hmac-e2e-key-7152fed34dd6149a7c75',
}

/** The `secrets` input, as a workflow would pass it from repository secrets. */
export const SECRETS_INPUT = `
github-token:
  token: ${SECRETS.githubToken}
slack-token:
  token: ${SECRETS.slackToken}
webhook-secret:
  token: ${SECRETS.hmacKey}
`

export function manifests(github: string, receiver: string): string {
  return `
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: github-status
  namespace: flux-system
spec:
  type: github
  address: ${github}/stefanprodan/podinfo
  secretRef:
    name: github-token
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: podinfo-status
  namespace: flux-system
spec:
  providerRef:
    name: github-status
  eventSources:
    - kind: Kustomization
      name: podinfo
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: flux-system
spec:
  type: slack
  channel: general
  address: ${receiver}/slack
  secretRef:
    name: slack-token
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: slack-all
  namespace: flux-system
spec:
  providerRef:
    name: slack
  eventMetadata:
    env: production
  eventSources:
    - kind: Kustomization
      name: '*'
    - kind: GitRepository
      name: '*'
---
apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Provider
metadata:
  name: webhook
  namespace: flux-system
spec:
  type: generic-hmac
  address: ${receiver}/hook
  secretRef:
    name: webhook-secret
---
apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Alert
metadata:
  name: webhook-errors
  namespace: flux-system
spec:
  providerRef:
    name: webhook
  eventSeverity: error
  eventSources:
    - kind: Kustomization
      name: '*'
`
}

interface K8sEventSpec {
  kind: 'Kustomization' | 'GitRepository'
  name: string
  reason: string
  message: string
  type: 'Normal' | 'Warning'
  time: string
  annotations: Record<string, string>
}

const API_VERSIONS = {
  Kustomization: 'kustomize.toolkit.fluxcd.io/v1',
  GitRepository: 'source.toolkit.fluxcd.io/v1',
}
const CONTROLLERS = { Kustomization: 'kustomize-controller', GitRepository: 'source-controller' }

/** A core/v1 Event as `kubectl get events -o json` prints it (event-data reference §5.2). */
export function k8sEvent(spec: K8sEventSpec, index: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    count: 1,
    eventTime: null,
    firstTimestamp: spec.time,
    involvedObject: {
      apiVersion: API_VERSIONS[spec.kind],
      kind: spec.kind,
      name: spec.name,
      namespace: 'flux-system',
      resourceVersion: String(184000 + index),
      uid: '5c0e2f0a-8d0f-4b7e-9c39-6f4f6d1f3b21',
    },
    kind: 'Event',
    lastTimestamp: spec.time,
    message: spec.message,
    metadata: {
      annotations: spec.annotations,
      creationTimestamp: spec.time,
      name: `${spec.name}.18c3f7fcb5d7${String(index).padStart(4, '0')}`,
      namespace: 'flux-system',
      resourceVersion: String(185000 + index),
      uid: `a3f1c2d4-7b8e-4f90-8c1d-2e3f4a5b${String(index).padStart(4, '0')}`,
    },
    reason: spec.reason,
    reportingComponent: CONTROLLERS[spec.kind],
    reportingInstance: '',
    source: { component: CONTROLLERS[spec.kind] },
    type: spec.type,
  }
}

export function eventList(items: Record<string, unknown>[]): string {
  return JSON.stringify(
    { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } },
    null,
    4,
  )
}

const KS_REVISION = 'kustomize.toolkit.fluxcd.io/revision'

/** One commit reconciled fine, the next one failed its health check; one exact duplicate. */
export function standardEvents(): string {
  return eventList([
    k8sEvent(
      {
        kind: 'Kustomization',
        name: 'podinfo',
        reason: 'Progressing',
        message: 'Deployment/podinfo/podinfo configured',
        type: 'Normal',
        time: '2026-07-20T10:00:00Z',
        annotations: { [KS_REVISION]: `main@sha1:${SHA_A}` },
      },
      1,
    ),
    k8sEvent(
      {
        kind: 'Kustomization',
        name: 'podinfo',
        reason: 'ReconciliationSucceeded',
        message: 'Reconciliation finished in 2.143615391s, next run in 10m0s',
        type: 'Normal',
        time: '2026-07-20T10:00:05Z',
        annotations: {
          [KS_REVISION]: `main@sha1:${SHA_A}`,
          'kustomize.toolkit.fluxcd.io/commit_status': 'update',
        },
      },
      2,
    ),
    // the same event again one minute later: the controller's rate limiter drops it
    k8sEvent(
      {
        kind: 'Kustomization',
        name: 'podinfo',
        reason: 'Progressing',
        message: 'Deployment/podinfo/podinfo configured',
        type: 'Normal',
        time: '2026-07-20T10:01:00Z',
        annotations: { [KS_REVISION]: `main@sha1:${SHA_A}` },
      },
      3,
    ),
    k8sEvent(
      {
        kind: 'Kustomization',
        name: 'podinfo',
        reason: 'HealthCheckFailed',
        message:
          "health check failed after 5m0.041378s: timeout waiting for: [Deployment/podinfo/podinfo status: 'InProgress']",
        type: 'Warning',
        time: '2026-07-20T10:21:07Z',
        annotations: { [KS_REVISION]: `main@sha1:${SHA_B}` },
      },
      4,
    ),
  ])
}

/** Writes files into a new temporary directory and returns its path. */
export async function writeRepo(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flux-notify-repo-'))
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), text)
  }
  return dir
}
