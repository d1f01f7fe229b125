/**
 * The files under examples/ are what users copy and what `npm run demo` feeds the CLI: they must
 * have exactly the shapes the reference describes (flux-event-data §4.2, §5.1–5.3) and agree with
 * the demo's loopback secrets.
 */
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const read = (p: string) => readFileSync(path.join(ROOT, p), 'utf8')
const SHA1_REVISION = /^main@sha1:[0-9a-f]{40}$/

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeysDeep((value as Json)[k])]),
    )
  }
  return value
}

function manifests(): Json[] {
  const dir = path.join(ROOT, 'examples/manifests')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJSON() as Json),
    )
}

describe('examples/events/kubectl-events.json', () => {
  const text = read('examples/events/kubectl-events.json')
  const list = JSON.parse(text) as Json
  const items = list.items as Json[]

  it('is printed the way kubectl prints a List: alphabetical keys, 4-space indent, final newline', () => {
    expect(text).toBe(JSON.stringify(sortKeysDeep(list), null, 4) + '\n')
    expect(list.apiVersion).toBe('v1')
    expect(list.kind).toBe('List')
    expect(list.metadata).toEqual({ resourceVersion: '' })
  })

  it('holds core/v1 Events in the order the API lists them (namespace, then name)', () => {
    const keys = items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)
    expect(keys).toEqual([...keys].sort())
    for (const item of items) {
      expect(item.kind).toBe('Event')
      expect(item.eventTime).toBeNull()
      expect(item.reportingComponent).toBe(item.source.component)
      expect(['Normal', 'Warning']).toContain(item.type)
      // The name is `<object>.<unix nanoseconds in hex>` of the first occurrence.
      const [objectName, hex] = item.metadata.name.split(/\.(?=[0-9a-f]+$)/)
      expect(objectName).toBe(item.involvedObject.name)
      expect(Number(BigInt(`0x${hex}`) / 1_000_000_000n) * 1000).toBe(
        Date.parse(item.firstTimestamp),
      )
    }
  })

  it('tells the story of two commits, plus the noise a real cluster has', () => {
    expect(items.map((i) => `${i.involvedObject.kind} ${i.reason} ${i.type}`).sort()).toEqual(
      [
        'GitRepository NewArtifact Normal',
        'GitRepository NewArtifact Normal',
        'GitRepository ArtifactUpToDate Normal',
        'Kustomization Progressing Normal',
        'Kustomization Progressing Normal',
        'Kustomization Progressing Normal',
        'Kustomization ReconciliationSucceeded Normal',
        'Kustomization HealthCheckFailed Warning',
        'HelmRelease UpgradeFailed Warning',
        'Pod Failed Warning',
      ].sort(),
    )
    const success = items.find((i) => i.reason === 'ReconciliationSucceeded')!
    expect(success.metadata.annotations['kustomize.toolkit.fluxcd.io/commit_status']).toBe('update')
    const failure = items.find((i) => i.reason === 'HealthCheckFailed')!
    expect(failure.metadata.annotations['kustomize.toolkit.fluxcd.io/revision']).not.toBe(
      success.metadata.annotations['kustomize.toolkit.fluxcd.io/revision'],
    )
  })

  it('uses only the annotation keys controllers really set, prefixed by the object group', () => {
    for (const item of items) {
      const annotations = (item.metadata.annotations ?? {}) as Record<string, string>
      const group = (item.involvedObject.apiVersion as string).split('/')[0]
      for (const [key, value] of Object.entries(annotations)) {
        expect(key.startsWith(`${group}/`)).toBe(true)
        expect(key).not.toMatch(/^event\.toolkit\.fluxcd\.io\//)
        if (key.endsWith('/revision') && group !== 'helm.toolkit.fluxcd.io') {
          expect(value).toMatch(SHA1_REVISION)
        }
      }
    }
  })
})

describe('examples/events/flux-events.ndjson', () => {
  const events = read('examples/events/flux-events.ndjson')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Json)

  it('has raw eventv1 events: Go field order and prefixed metadata', () => {
    expect(events.length).toBeGreaterThanOrEqual(3)
    for (const e of events) {
      expect(Object.keys(e)).toEqual([
        'involvedObject',
        'severity',
        'timestamp',
        'message',
        'reason',
        'metadata',
        'reportingController',
        'reportingInstance',
      ])
      expect(Object.keys(e.involvedObject)).toEqual([
        'kind',
        'namespace',
        'name',
        'uid',
        'apiVersion',
        'resourceVersion',
      ])
      expect(['info', 'error']).toContain(e.severity)
      const group = (e.involvedObject.apiVersion as string).split('/')[0]
      for (const key of Object.keys(e.metadata)) expect(key.startsWith(`${group}/`)).toBe(true)
    }
  })
})

describe('examples/events/dispatch-payload.json', () => {
  const payload = JSON.parse(read('examples/events/dispatch-payload.json')) as Json

  it('is a repository_dispatch payload as githubdispatch produces it', () => {
    const o = payload.client_payload.involvedObject
    expect(payload.action).toBe(`${o.kind}/${o.name}.${o.namespace}`)
    expect(payload.action).toBe('Kustomization/podinfo.flux-system')
    expect(payload.repository.full_name).toMatch(/^[^/]+\/[^/]+$/)
    expect(payload.sender.login).toBeTruthy()
    // Processed by notification-controller: unprefixed keys, no token/digest/checksum.
    for (const key of Object.keys(payload.client_payload.metadata)) {
      expect(key).not.toContain('/')
      expect(['token', 'digest', 'checksum']).not.toContain(key)
    }
    expect(payload.client_payload.metadata.revision).toMatch(SHA1_REVISION)
    // githubdispatch never receives commit_status: update events.
    expect(payload.client_payload.metadata.commit_status).toBeUndefined()
  })
})

describe('examples/manifests', () => {
  const docs = manifests()
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind)

  it('has the guide’s providers and alerts, all in flux-system', () => {
    const providers = Object.fromEntries(byKind('Provider').map((p) => [p.metadata.name, p.spec]))
    expect(providers['slack-bot']).toMatchObject({
      type: 'slack',
      channel: 'general',
      address: 'https://slack.com/api/chat.postMessage',
      secretRef: { name: 'slack-bot-token' },
    })
    expect(providers['flux-system']).toMatchObject({
      type: 'github',
      address: 'https://github.com/stefanprodan/podinfo',
      secretRef: { name: 'github' },
    })
    expect(providers['ci-webhook']).toMatchObject({
      type: 'generic-hmac',
      secretRef: { name: 'ci-webhook' },
    })
    const alerts = Object.fromEntries(byKind('Alert').map((a) => [a.metadata.name, a.spec]))
    expect(alerts['on-call-webapp']).toMatchObject({
      summary: 'cluster addons',
      eventMetadata: { env: 'production', cluster: 'my-cluster', region: 'us-east-2' },
      providerRef: { name: 'slack-bot' },
    })
    expect(alerts['podinfo'].eventSources).toEqual([
      { kind: 'Kustomization', name: 'podinfo', namespace: 'flux-system' },
    ])
    expect(alerts['ci-failures']).toMatchObject({ eventSeverity: 'error' })
    for (const d of docs) expect(d.metadata.namespace).toBe('flux-system')
  })

  it('gives the Flux objects labels for matchLabels', () => {
    const objects = docs.filter((d) => ['Kustomization', 'GitRepository'].includes(d.kind))
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'GitRepository/flux-system',
      'Kustomization/podinfo',
    ])
    for (const o of objects) expect(Object.keys(o.metadata.labels).length).toBeGreaterThan(0)
  })

  it('holds the same placeholder tokens the demo sends, for every Provider secret', async () => {
    const demoPath = path.join(ROOT, 'scripts/demo.mjs')
    const demo = (await import(demoPath)) as { DEMO_ENDPOINTS: { secret: string; token: string }[] }
    const secrets = Object.fromEntries(byKind('Secret').map((s) => [s.metadata.name, s.stringData]))
    for (const provider of byKind('Provider')) {
      const name = provider.spec.secretRef.name as string
      const endpoint = demo.DEMO_ENDPOINTS.find((e) => e.secret === name)
      expect(endpoint, `demo endpoint for secret ${name}`).toBeDefined()
      expect(secrets[name].token).toBe(endpoint!.token)
      // Clearly fake, so nobody mistakes them for leaked credentials.
      expect(secrets[name].token).toMatch(/not-a-real/)
    }
    // Every key of a Secret other than the address is carried over by the demo's override.
    for (const [name, data] of Object.entries(secrets)) {
      expect(
        Object.keys(data as object).filter((k) => k !== 'address'),
        name,
      ).toEqual(['token'])
    }
  })
})
