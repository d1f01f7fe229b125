/**
 * End to end through `node dist/index.js`: GitHub App authentication (JWT → installation token →
 * status), a Provider CA given through `certSecretRef` (trusted only with it), and a proxy from
 * `proxySecretRef` that sees the CONNECT it relayed.
 */
import { generateKeyPairSync } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startFakeGitHub, type FakeGitHub } from '../servers/fake-github.js'
import { startRecordingProxy, type RecordingProxy } from '../servers/proxy.js'
import {
  createTestPki,
  hasOpenssl,
  startTlsServer,
  type TestPki,
  type TlsServer,
} from '../servers/tls.js'
import { eventList, k8sEvent, SHA_B, writeRepo } from './fleet.js'
import { expectNoSecrets, runAction } from './harness.js'

const EVENTS = eventList([
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
])

function alertFor(provider: string): string {
  return `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: { name: ${provider}, namespace: flux-system }
spec:
  providerRef: { name: ${provider} }
  eventSources: [{ kind: Kustomization, name: apps }]
---
`
}

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of cleanup.splice(0)) await close()
})

describe('GitHub App authentication', () => {
  it('gets an installation token with a signed JWT and posts the status with it', async () => {
    const keys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    })
    const github: FakeGitHub = await startFakeGitHub({
      app: {
        appId: 4242,
        publicKey: keys.publicKey,
        slug: 'flux-status',
        installations: [{ id: 77, account: 'acme', type: 'Organization' }],
      },
    })
    cleanup.push(() => github.close())
    const repo = await writeRepo({
      'flux/status.yaml': `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: { name: app-status, namespace: flux-system }
spec:
  type: github
  address: ${github.url}/acme/app
  secretRef: { name: github-app }
---
${alertFor('app-status')}`,
      'events.json': EVENTS,
    })
    cleanup.push(() => rm(repo, { recursive: true, force: true }))
    const secrets = JSON.stringify({
      'github-app': {
        githubAppID: '4242',
        githubAppInstallationOwner: 'acme',
        githubAppPrivateKey: keys.privateKey,
      },
    })
    const result = await runAction({
      cwd: repo,
      inputs: { manifests: 'flux', events: 'events.json', secrets, 'github-token': '' },
    })
    expect(result.code).toBe(0)
    expect(github.statuses('acme/app', SHA_B).map((s) => s.state)).toEqual(['failure'])
    const ops = github.requests.map((r) => r.operationId)
    // owner → installation → token, then the status calls with that token
    expect(ops.slice(0, 2)).toEqual([
      'apps/get-org-installation',
      'apps/create-installation-access-token',
    ])
    const statusPost = github.requests.find((r) => r.operationId === 'repos/create-commit-status')!
    expect(statusPost.headers.authorization).toMatch(/^token ghs_/)
    expect(github.violations).toEqual([])
    expectNoSecrets(result, [keys.privateKey.split('\n')[1]!])
  })
})

describe.skipIf(!hasOpenssl())('TLS and proxies', () => {
  let pki: TestPki
  beforeAll(() => {
    pki = createTestPki()
  })

  it('trusts a self-signed endpoint only with its CA from certSecretRef, through a proxy', async () => {
    const server: TlsServer = await startTlsServer({ pki })
    const proxy: RecordingProxy = await startRecordingProxy()
    cleanup.push(
      () => server.close(),
      () => proxy.close(),
    )
    // `flux-notify.test` is a name only the test proxy resolves (to 127.0.0.1), so the request
    // must go through it; loopback addresses are never proxied, as in Go.
    const target = `https://flux-notify.test:${server.port}/hook`
    const repo = await writeRepo({
      'flux/hooks.yaml': `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: { name: trusted, namespace: flux-system }
spec:
  type: generic
  address: ${target}
  certSecretRef: { name: internal-ca }
  proxySecretRef: { name: proxy }
---
${alertFor('trusted')}apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: { name: untrusted, namespace: flux-system }
spec:
  type: generic
  address: ${target}
  proxySecretRef: { name: proxy }
---
${alertFor('untrusted')}`,
      'events.json': EVENTS,
    })
    cleanup.push(() => rm(repo, { recursive: true, force: true }))
    const secrets = JSON.stringify({
      'internal-ca': { 'ca.crt': pki.ca.cert },
      proxy: { address: proxy.url },
    })
    const result = await runAction({
      cwd: repo,
      inputs: { manifests: 'flux', events: 'events.json', secrets, 'fail-on-error': 'false' },
    })
    expect(result.code).toBe(0)
    const rows = JSON.parse(result.outputs.results!) as Array<Record<string, string>>
    expect(rows.find((r) => r.provider === 'flux-system/trusted')).toMatchObject({
      outcome: 'sent',
    })
    expect(rows.find((r) => r.provider === 'flux-system/untrusted')).toMatchObject({
      outcome: 'failed',
    })
    expect(rows.find((r) => r.provider === 'flux-system/untrusted')!.reason).toContain(
      'x509: certificate signed by unknown authority',
    )
    // one delivery arrived; the untrusted one never got past the handshake, and was not retried
    expect(server.requests).toHaveLength(1)
    expect(proxy.requests.map((r) => `${r.method} ${r.target}`)).toEqual([
      `CONNECT flux-notify.test:${server.port}`,
      `CONNECT flux-notify.test:${server.port}`,
    ])
  })
})
