/**
 * The `nats` provider through `node dist/index.js` against a real `nats-server` (Debian's
 * package) with username/password auth: a subscriber sees the processed event JSON on the
 * Provider's subject, byte for byte as the `generic` provider would POST it.
 */
import { connect } from '@nats-io/transport-node'
import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  natsServerBinary,
  REQUIRE_REAL_SERVERS,
  startNatsServer,
  type NatsServer,
} from '../servers/nats.js'
import { eventList, k8sEvent, SHA_B, writeRepo } from './fleet.js'
import { expectNoSecrets, runAction } from './harness.js'

const binary = natsServerBinary()
if (!binary) {
  if (REQUIRE_REAL_SERVERS)
    throw new Error('REQUIRE_REAL_SERVERS=1 but nats-server is not installed')
  console.warn('SKIPPED: nats-server is not installed (apt-get install nats-server)')
}

const PASSWORD = 'nats-e2e-password-31337'

describe.skipIf(!binary)('nats provider against a real nats-server', () => {
  let server: NatsServer
  let repo: string
  beforeAll(async () => {
    server = await startNatsServer(binary!, { user: 'flux', pass: PASSWORD })
    repo = await writeRepo({
      'flux/nats.yaml': `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: { name: nats, namespace: flux-system }
spec:
  type: nats
  address: ${server.url}
  channel: flux.events
  secretRef: { name: nats-auth }
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: { name: nats, namespace: flux-system }
spec:
  providerRef: { name: nats }
  eventSources: [{ kind: Kustomization, name: apps }]
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
    await server?.close()
    await rm(repo, { recursive: true, force: true })
  })

  it('publishes the processed event on the subject', async () => {
    const subscriber = await connect({ servers: server.url, user: 'flux', pass: PASSWORD })
    const subscription = subscriber.subscribe('flux.events', { max: 1 })
    await subscriber.flush()
    const received = (async () => {
      for await (const message of subscription) return new TextDecoder().decode(message.data)
      return undefined
    })()

    const result = await runAction({
      cwd: repo,
      inputs: {
        manifests: 'flux',
        events: 'events.json',
        secrets: JSON.stringify({ 'nats-auth': { username: 'flux', password: PASSWORD } }),
      },
    })
    expect(result.stderr).toBe('')
    if (result.code !== 0) console.log(result.stdout)
    expect(result.code).toBe(0)
    expect(result.outputs.sent).toBe('1')
    expect(await received).toBe(
      '{"involvedObject":{"kind":"Kustomization","namespace":"flux-system","name":"apps",' +
        '"uid":"5c0e2f0a-8d0f-4b7e-9c39-6f4f6d1f3b21","apiVersion":"kustomize.toolkit.fluxcd.io/v1",' +
        '"resourceVersion":"184001"},"severity":"error","timestamp":"2026-07-20T10:21:07Z",' +
        '"message":"health check failed after 5m0s","reason":"HealthCheckFailed",' +
        `"metadata":{"revision":"main@sha1:${SHA_B}"},"reportingController":"kustomize-controller"}`,
    )
    await subscriber.close()
    expectNoSecrets(result, [PASSWORD])
  })
})
