/**
 * The `alertmanager` provider against the real Prometheus Alertmanager, through `dist/`: the alert
 * must arrive with the labels and annotations of reference §5.16, as Alertmanager's own API shows.
 */
import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  alertmanagerBinary,
  REQUIRE_REAL_SERVERS,
  startAlertmanager,
  type Alertmanager,
} from '../servers/alertmanager.js'
import { eventList, k8sEvent, SHA_B, writeRepo } from './fleet.js'
import { runAction } from './harness.js'

const binary = alertmanagerBinary()
if (!binary) {
  if (REQUIRE_REAL_SERVERS)
    throw new Error('REQUIRE_REAL_SERVERS=1 but prometheus-alertmanager is not installed')
  console.warn(
    'SKIPPED: prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)',
  )
}

describe.skipIf(!binary)('alertmanager provider against a real Alertmanager', () => {
  let alertmanager: Alertmanager
  let repo: string
  beforeAll(async () => {
    alertmanager = await startAlertmanager(binary!)
    repo = await writeRepo({
      'flux/alerts.yaml': `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: { name: alertmanager, namespace: flux-system }
spec:
  type: alertmanager
  address: ${alertmanager.url}/api/v2/alerts/
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: { name: on-call, namespace: flux-system }
spec:
  providerRef: { name: alertmanager }
  eventSeverity: error
  eventMetadata: { env: production, summary: apps are down }
  eventSources: [{ kind: Kustomization, name: '*' }]
`,
      'events.json': eventList([
        k8sEvent(
          {
            kind: 'Kustomization',
            name: 'apps',
            reason: 'HealthCheckFailed',
            message: 'health check failed after 5m0s',
            type: 'Warning',
            time: '2026-07-20T10:21:07Z',
            annotations: { 'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${SHA_B}` },
          },
          1,
        ),
      ]),
    })
  })
  afterAll(async () => {
    await alertmanager?.close()
    await rm(repo, { recursive: true, force: true })
  })

  it('fires an alert with the controller’s labels and annotations', async () => {
    const result = await runAction({
      cwd: repo,
      inputs: { manifests: 'flux', events: 'events.json' },
    })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.outputs.sent).toBe('1')
    const alerts = await alertmanager.alerts()
    expect(alerts).toHaveLength(1)
    expect(alerts[0]!.labels).toEqual({
      alertname: 'FluxKustomizationHealthcheckfailed',
      env: 'production',
      kind: 'Kustomization',
      name: 'apps',
      namespace: 'flux-system',
      reason: 'HealthCheckFailed',
      reportingcontroller: 'kustomize-controller',
      revision: `main@sha1:${SHA_B}`,
      severity: 'error',
    })
    expect(alerts[0]!.annotations).toEqual({
      message: 'health check failed after 5m0s',
      summary: 'apps are down',
    })
  })
})
