import { describe, expect, it } from 'vitest'
import {
  manifestEntries,
  OptionError,
  parseRunOptions,
  type RawOptions,
} from '../../src/options.js'
import { runShellCommand } from '../../src/sources/command.js'

const RAW: RawOptions = {
  manifests: '',
  namespace: '',
  events: '',
  secrets: [],
  githubToken: '',
  rateLimitInterval: '',
  noCrossNamespaceRefs: '',
  dryRun: '',
  failOnError: '',
  cwd: '/tmp',
}

describe('runShellCommand', () => {
  it('returns the whole standard output', async () => {
    const out = await runShellCommand("printf 'a: 1\\n---\\nb: 2\\n'; echo noise >&2", {
      cwd: '/tmp',
    })
    expect(out).toEqual({ stdout: 'a: 1\n---\nb: 2\n' })
  })

  it('a non-zero exit is a failure with the standard error', async () => {
    const out = await runShellCommand('echo partial; echo "no such dir" >&2; exit 3', {
      cwd: '/tmp',
    })
    expect(out).toEqual({ failed: 'exited with code 3', stderr: 'no such dir\n' })
  })

  it('output over the limit stops the command and is a failure, not a cut stream', async () => {
    const out = await runShellCommand('yes kind: Alert', { cwd: '/tmp', maxBytes: 1000 })
    expect(out).toMatchObject({ failed: 'printed more than 1000 bytes' })
  })
})

describe('manifests entries', () => {
  it('default to . without a command, to nothing with one', () => {
    expect(manifestEntries('', '')).toEqual(['.'])
    expect(manifestEntries('  \n', 'kubectl kustomize x')).toEqual([])
    expect(manifestEntries('clusters/production', 'kubectl kustomize x')).toEqual([
      'clusters/production',
    ])
  })

  it('entries that are all exclusions apply to .', () => {
    expect(manifestEntries('!clusters/staging/**', '')).toEqual(['.', '!clusters/staging/**'])
    expect(manifestEntries('clusters\n!clusters/staging', '')).toEqual([
      'clusters',
      '!clusters/staging',
    ])
  })
})

describe('mode and the fleet settings', () => {
  it('mode is run by default, lint when asked, anything else an error', () => {
    expect(parseRunOptions(RAW).mode).toBe('run')
    expect(parseRunOptions({ ...RAW, mode: 'lint' }).mode).toBe('lint')
    expect(() => parseRunOptions({ ...RAW, mode: 'check' })).toThrow(OptionError)
    expect(() => parseRunOptions({ ...RAW, mode: 'check' })).toThrow(
      "mode: expected run or lint, got 'check'",
    )
  })

  it('keeps the command, the variables and the Kustomization reference', () => {
    const options = parseRunOptions({
      ...RAW,
      manifestsCommand: '\nkubectl kustomize clusters/production\n',
      substitute: 'cluster_env: prod\n',
      substituteFrom: ' Kustomization/flux-system/apps ',
    })
    expect(options.manifests).toEqual([])
    expect(options.manifestsCommand).toBe('kubectl kustomize clusters/production')
    expect(options.substitute).toBe('cluster_env: prod\n')
    expect(options.substituteFrom).toBe('Kustomization/flux-system/apps')
  })
})
