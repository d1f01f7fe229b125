import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { findManifestFiles, MAX_MANIFEST_BYTES } from '../../src/sources/manifest-files.js'
import { loadManifests } from '../../src/manifests/load.js'

const tree = fileURLToPath(new URL('../fixtures/manifests/tree', import.meta.url))

const temporary: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'flux-notify-manifests-'))
  temporary.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true })
})

describe('findManifestFiles', () => {
  it('searches directories for *.yaml and *.yml, sorted, relative to cwd with / separators', async () => {
    const { files, problems } = await findManifestFiles(['.'], tree)
    expect(problems).toEqual([])
    expect(files.map((f) => f.path)).toEqual([
      'apps/alert.yaml',
      'apps/kustomization.yaml',
      'apps/nested/kustomization.yaml',
      'apps/nested/source.yaml',
      'apps/provider.yml',
      'flux-ks/bucket.yaml',
      'flux-ks/kustomization.yaml',
      'infra/provider.yaml',
    ])
    expect(files.find((f) => f.path === 'apps/alert.yaml')?.text).toContain('name: on-call')
  })

  it('takes the namespace of the nearest kustomization that sets one, never a Flux Kustomization', async () => {
    const { files } = await findManifestFiles(['.'], tree)
    const namespaceOf = (p: string) => files.find((f) => f.path === p)?.namespace
    expect(namespaceOf('apps/alert.yaml')).toBe('apps')
    // nested/kustomization.yaml sets none: the parent's applies
    expect(namespaceOf('apps/nested/source.yaml')).toBe('apps')
    // a kustomize.toolkit.fluxcd.io object named kustomization.yaml is not kustomize's file
    expect(namespaceOf('flux-ks/bucket.yaml')).toBeUndefined()
    expect(namespaceOf('infra/provider.yaml')).toBeUndefined()
  })

  it('gives metadata.namespace > kustomization namespace > default when loaded', async () => {
    const { files } = await findManifestFiles(['.'], tree)
    const config = loadManifests(files, { defaultNamespace: 'flux-system' })
    expect(config.problems).toEqual([])
    expect(config.alerts.map((a) => a.metadata.namespace)).toEqual(['apps'])
    expect([...config.providers.keys()]).toEqual(['flux-system/github', 'monitoring/slack'])
    expect([...config.objects.keys()]).toEqual([
      'Bucket/flux-system/artifacts',
      'GitRepository/apps/podinfo',
      'Kustomization/flux-system/apps',
    ])
    expect(config.objects.get('GitRepository/apps/podinfo')?.metadata.labels).toEqual({
      app: 'podinfo',
    })
  })

  it('accepts files and globs, and lists each file once', async () => {
    const { files, problems } = await findManifestFiles(
      ['infra/provider.yaml', '**/provider.*', 'infra'],
      tree,
    )
    expect(problems).toEqual([])
    expect(files.map((f) => f.path)).toEqual(['apps/provider.yml', 'infra/provider.yaml'])
  })

  it('names a path that does not exist and a glob that matches nothing', async () => {
    const { files, problems } = await findManifestFiles(['missing-dir', 'nothing/**/*.yaml'], tree)
    expect(files).toEqual([])
    expect(problems).toHaveLength(2)
    expect(problems[0]).toMatchObject({ severity: 'error' })
    expect(problems[0]!.message).toContain("'missing-dir' does not exist")
    expect(problems[1]!.message).toContain("no file matches 'nothing/**/*.yaml'")
  })

  it('skips node_modules and .git', async () => {
    const dir = tempDir()
    for (const sub of ['node_modules/pkg', '.git/refs', 'clusters']) {
      mkdirSync(path.join(dir, sub), { recursive: true })
    }
    writeFileSync(path.join(dir, 'node_modules/pkg/a.yaml'), 'kind: X\n')
    writeFileSync(path.join(dir, '.git/refs/b.yml'), 'kind: X\n')
    writeFileSync(path.join(dir, 'clusters/c.yaml'), 'kind: X\n')
    const { files } = await findManifestFiles(['.'], dir)
    expect(files.map((f) => f.path)).toEqual(['clusters/c.yaml'])
  })

  it('refuses a file over 10 MiB and still reads the others', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'big.yaml'), Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20))
    writeFileSync(path.join(dir, 'exact.yaml'), Buffer.alloc(MAX_MANIFEST_BYTES, 0x20))
    const { files, problems } = await findManifestFiles(['.'], dir)
    expect(MAX_MANIFEST_BYTES).toBe(10 * 1024 * 1024)
    expect(files.map((f) => f.path)).toEqual(['exact.yaml'])
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ severity: 'error', location: { file: 'big.yaml' } })
    expect(problems[0]!.message).toContain('10 MiB')
  })
})
