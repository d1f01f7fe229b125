/**
 * Fixture fleet repositories (test/fixtures/fleets/<pattern>), each one pattern seen in real Flux
 * fleets, read the way a run reads them: files found, variables gathered, manifests loaded,
 * Providers resolved, lint.
 */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { lintConfig } from '../../src/lint.js'
import { loadManifests, secretsFromInput } from '../../src/manifests/load.js'
import type { Config, Problem } from '../../src/manifests/model.js'
import { resolveProviders } from '../../src/manifests/resolve.js'
import { substitutionVars } from '../../src/manifests/substitute.js'
import { findManifestFiles } from '../../src/sources/manifest-files.js'

const FLEETS = path.resolve(__dirname, '../fixtures/fleets')

async function load(
  fleet: string,
  entries: string[] = ['.'],
  substitute?: { from?: string; inline?: Record<string, string> },
): Promise<{ config: Config; fileProblems: Problem[]; varProblems: Problem[] }> {
  const cwd = path.join(FLEETS, fleet)
  const found = await findManifestFiles(entries, cwd)
  let varProblems: Problem[] = []
  let options: Parameters<typeof loadManifests>[1] = { defaultNamespace: 'flux-system' }
  if (substitute) {
    const vars = substitutionVars(found.files, { ...substitute, defaultNamespace: 'flux-system' })
    varProblems = vars.problems
    options = { ...options, substitute: { vars: vars.vars } }
  }
  return { config: loadManifests(found.files, options), fileProblems: found.problems, varProblems }
}

const messages = (problems: readonly Problem[]): string[] => problems.map((p) => p.message)

describe('only our objects', () => {
  it("ignores CRDs mentioning kind: Alert and other groups' Provider/Alert without a word", async () => {
    const { config, fileProblems } = await load('crds')
    expect(fileProblems).toEqual([])
    expect(config.problems).toEqual([])
    expect([...config.providers.keys()]).toEqual(['flux-system/generic', 'flux-system/unused'])
    expect(config.alerts.map((a) => a.metadata.name)).toEqual(['all'])
  })

  it('lint: an unused Provider is a notice, nothing else is wrong', async () => {
    const { config } = await load('crds')
    const problems = await lintConfig(config)
    expect(problems).toEqual([
      {
        severity: 'notice',
        message: 'Provider/flux-system/unused is not used by any Alert',
        location: { file: 'notifications.yaml', line: 22, column: 1 },
      },
    ])
  })
})

describe('Helm templates and ! exclusions', () => {
  it('skips a chart template and an invalid templated file with one notice each; keeps valid YAML holding {{ }}', async () => {
    const { config, fileProblems } = await load('helm')
    expect(fileProblems.map((p) => [p.severity, p.location])).toEqual([
      ['notice', { file: 'charts/notify/templates/provider.yaml', line: 4 }],
      ['notice', { file: 'plain/broken-template.yaml', line: 1 }],
    ])
    expect(fileProblems[0]!.message).toMatch(/^skipped: a Helm chart template/)
    expect(config.problems).toEqual([])
    expect([...config.providers.keys()]).toEqual(['flux-system/plain'])
  })

  it('! entries remove files, directories and globs from what the other entries found', async () => {
    const dir = await load('helm', ['.', '!charts', '!plain/broken-*.yaml'])
    expect(dir.fileProblems).toEqual([])
    expect([...dir.config.providers.keys()]).toEqual(['flux-system/plain'])
    const order = await load('helm', ['!**/templates/**', '!plain/broken-template.yaml', '.'])
    expect(order.fileProblems).toEqual([])
  })
})

describe('duplicates across clusters', () => {
  it('names both files and suggests narrowing manifests or manifests-command', async () => {
    const { config } = await load('clusters')
    const duplicates = config.problems.filter((p) => p.message.includes('is defined twice'))
    expect(messages(duplicates)).toEqual([
      "Provider/flux-system/slack is defined twice: in clusters/production/notifications.yaml:1 and in clusters/staging/notifications.yaml:1; the first one is used (a fleet repository holds one directory per cluster: narrow `manifests` to one cluster's directory or exclude the others with `!` entries, or render that cluster with `manifests-command`)".replace(
        /clusters\//g,
        '',
      ),
      "Alert/flux-system/on-call is defined twice: in clusters/production/notifications.yaml:11 and in clusters/staging/notifications.yaml:11; the first one is used (a fleet repository holds one directory per cluster: narrow `manifests` to one cluster's directory or exclude the others with `!` entries, or render that cluster with `manifests-command`)".replace(
        /clusters\//g,
        '',
      ),
    ])
  })

  it('one cluster, by exclusion, loads cleanly', async () => {
    const { config } = await load('clusters', ['.', '!staging'])
    expect(config.problems).toEqual([])
    expect(config.providers.get('flux-system/slack')?.spec.channel).toBe('production')
  })
})

describe('secrets that cannot be read here', () => {
  it('a SOPS-encrypted Secret: one error per Provider naming it and the secrets entry; no ciphertext used', async () => {
    const { config } = await load('sops')
    expect(config.problems).toEqual([])
    expect(config.secrets.size).toBe(0)
    const resolved = resolveProviders(config, {})
    expect(messages(resolved.problems)).toEqual([
      "Provider/flux-system/slack: failed to initialize notifier for provider 'slack': failed to get secret 'flux-system/slack-url': secret not found here: it is in the repository as a SOPS-encrypted Secret (slack-url.enc.yaml:1), which flux-notify cannot read; supply its values with the `secrets` input: `slack-url: {address: …}`",
    ])
    expect(resolved.problems[0]!.severity).toBe('error')
    expect(JSON.stringify(resolved.problems)).not.toContain('ENC[')
  })

  it('the secrets input supplies it', async () => {
    const { config } = await load('sops')
    for (const s of secretsFromInput(
      'slack-url: {address: "https://hooks.slack.test/x"}',
      'flux-system',
    ).secrets) {
      config.secrets.set(`${s.metadata.namespace}/${s.metadata.name}`, s)
    }
    const resolved = resolveProviders(config, {})
    expect(resolved.problems).toEqual([])
    expect(resolved.providers.get('flux-system/slack')).toMatchObject({
      address: 'https://hooks.slack.test/x',
    })
  })

  it('a SealedSecret and an ExternalSecret (by its target name); a placeholder Secret is overridden by the input', async () => {
    const { config } = await load('sealed')
    expect(config.problems).toEqual([])
    for (const s of secretsFromInput(
      'discord-webhook: {address: "https://discord.test/api/webhooks/1/x"}',
      'flux-system',
    ).secrets) {
      config.secrets.set(`${s.metadata.namespace}/${s.metadata.name}`, s)
    }
    const resolved = resolveProviders(config, {})
    expect(messages(resolved.problems)).toEqual([
      "Provider/flux-system/github: failed to initialize notifier for provider 'github': failed to get secret 'flux-system/github-token': secret not found here: it is in the repository as an ExternalSecret (sealed.yaml:14), which flux-notify cannot read; supply its values with the `secrets` input: `github-token: {token: …}`",
      "Provider/flux-system/teams: failed to initialize notifier for provider 'teams': failed to get secret 'flux-system/teams-webhook': secret not found here: it is in the repository as a SealedSecret (sealed.yaml:1), which flux-notify cannot read; supply its values with the `secrets` input: `teams-webhook: {address: …}`",
    ])
    expect(resolved.providers.get('flux-system/discord')).toMatchObject({
      address: 'https://discord.test/api/webhooks/1/x',
    })
  })
})

describe('post-build substitution from a Flux Kustomization', () => {
  it('fills namespaces, channels, usernames and addresses; defaults; escapes; opt-out', async () => {
    const { config, varProblems } = await load('substitution', ['.'], {
      from: 'Kustomization/flux-system/apps',
    })
    expect(varProblems).toEqual([])
    const slack = config.providers.get('apps/slack')
    expect(slack?.spec).toMatchObject({
      channel: 'prod-alerts',
      username: 'flux-bot',
      address: 'https://hooks.example.com/services/T000',
    })
    const alerts = Object.fromEntries(config.alerts.map((a) => [a.metadata.name, a]))
    expect(alerts.apps?.spec.summary).toBe('production cluster')
    expect(alerts.escaped?.spec.summary).toBe('costs ${dollars} per $month')
    expect(alerts.verbatim?.spec.summary).toBe('Deployed ${version}')
  })

  it('a nested value (region: ${aws_region}) is not substituted again: the Provider is left out with an error naming both', async () => {
    const { config } = await load('substitution', ['.'], { from: 'Kustomization/flux-system/apps' })
    expect(config.providers.has('apps/regional')).toBe(false)
    const problem = config.problems.find((p) => p.message.startsWith('Provider/apps/regional'))
    expect(problem).toMatchObject({
      severity: 'error',
      message:
        'Provider/apps/regional: spec.address: the value of ${region} holds ${aws_region}, which Flux does not substitute again (one pass); give region its final value; the Provider is left out',
      location: { file: 'apps/notifications.yaml', line: 32 },
    })
  })

  it('without variables, a placeholder in a field that matters is an error, never an address', async () => {
    const { config } = await load('substitution', ['apps'])
    expect(config.providers.size).toBe(0)
    const slack = config.problems.filter((p) =>
      p.message.startsWith('Provider/${apps_namespace}/slack'),
    )
    expect(slack.map((p) => [p.severity, p.location?.line])).toEqual([
      ['error', 5],
      ['error', 8],
      ['error', 9],
      ['error', 10],
    ])
    expect(slack[0]!.message).toBe(
      'Provider/${apps_namespace}/slack: metadata.namespace: ${apps_namespace} is not substituted: no variables are configured (set the `substitute` or `substitute-from` input); the Provider is left out',
    )
  })

  it('an unset variable in an Alert summary is a warning; the Alert loads', async () => {
    const { config } = await load('substitution', ['apps'], {
      inline: {
        apps_namespace: 'apps',
        team_channel: 'c',
        webhook_host: 'h.example',
        region: 'eu',
      },
    })
    const apps = config.alerts.find((a) => a.metadata.name === 'apps')
    expect(apps?.spec.summary).toBe('unknown cluster')
    expect(config.problems.filter((p) => p.severity === 'error')).toEqual([])
  })
})

describe('stamped base (manifests without namespaces)', () => {
  it('read as files, the base objects land in the default namespace: render it with manifests-command instead', async () => {
    const { config } = await load('stamped', ['base'])
    expect([...config.providers.keys()]).toEqual(['flux-system/slack'])
  })
})
