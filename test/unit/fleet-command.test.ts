/**
 * `manifests-command` with the real `kubectl kustomize` (kustomize v5 built into kubectl) on a
 * base + Component stamped into three namespaces, whose team-a overlay patches the Alert and the
 * Provider. The runner here is a plain `/bin/sh -c` stand-in for the host's shell runner.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifests } from '../../src/manifests/load.js'
import {
  readManifestsCommands,
  splitCommands,
  type CommandRunner,
} from '../../src/sources/manifests-command.js'

const FLEETS = path.resolve(__dirname, '../fixtures/fleets')
const KUBECTL = '/usr/bin/kubectl'

const shell: CommandRunner = (command, options) =>
  new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: options.env ?? process.env,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')))
    child.on('close', (code) =>
      resolve(code === 0 ? { stdout } : { failed: `exited with code ${code}`, stderr }),
    )
  })

describe('splitCommands', () => {
  it('one command per line; blank and # lines skipped; a trailing \\ continues the line', () => {
    expect(
      splitCommands(
        'kubectl kustomize a\n\n# comment\nflux build kustomization apps \\\n  --path ./apps\n',
      ),
    ).toEqual(['kubectl kustomize a', 'flux build kustomization apps --path ./apps'])
  })
})

describe.runIf(existsSync(KUBECTL) || process.env.REQUIRE_REAL_SERVERS === '1')(
  'manifests-command with kubectl kustomize',
  () => {
    it('loads the rendered overlays: namespaces set by kustomize, patches and Component applied', async () => {
      const read = await readManifestsCommands(`${KUBECTL} kustomize clusters/production`, {
        cwd: path.join(FLEETS, 'stamped'),
        run: shell,
      })
      expect(read.problems).toEqual([])
      expect(read.files.map((f) => f.path)).toEqual(['manifests-command[1]'])
      const config = loadManifests(read.files, { defaultNamespace: 'flux-system' })
      expect(config.problems).toEqual([])
      expect([...config.providers.keys()]).toEqual(['team-a/slack', 'team-b/slack', 'team-c/slack'])
      expect(config.providers.get('team-a/slack')?.spec.channel).toBe('team-a-alerts')
      expect(config.providers.get('team-b/slack')?.spec.channel).toBe('general')
      expect(
        config.alerts.map((a) => [a.metadata.namespace, a.spec.eventSeverity, a.spec.summary]),
      ).toEqual([
        ['team-a', 'error', 'Production cluster'],
        ['team-b', 'info', 'Production cluster'],
        ['team-c', 'info', 'Production cluster'],
      ])
      // Positions are lines of the rendered stream.
      expect(config.alerts[1]!.location).toMatchObject({ file: 'manifests-command[1]', line: 15 })
    }, 30_000)

    it('a failing command is one error with the tail of its standard error; the others still load', async () => {
      const read = await readManifestsCommands(
        `${KUBECTL} kustomize clusters/nowhere\n${KUBECTL} kustomize overlays/team-b`,
        { cwd: path.join(FLEETS, 'stamped'), run: shell },
      )
      expect(read.files.map((f) => f.path)).toEqual(['manifests-command[2]'])
      expect(read.problems).toHaveLength(1)
      expect(read.problems[0]!.message).toMatch(
        /^manifests-command\[1\] \(\/usr\/bin\/kubectl kustomize clusters\/nowhere\) exited with code 1: .*nowhere.*; its manifests are not loaded$/,
      )
      expect(read.problems[0]!.message).not.toContain('\n')
    }, 30_000)
  },
)
