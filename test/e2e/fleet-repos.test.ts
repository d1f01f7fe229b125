/**
 * End to end (`node dist/index.js`): real fleet repositories — a kustomize overlay rendered by the
 * real `kubectl kustomize`, post-build substitution, a SOPS-encrypted Secret, files that are not
 * ours (CRDs, a Crossplane Provider, a Helm template), two clusters with the same names, and lint
 * mode (the Action and `flux-notify lint`).
 */
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startRecorder, type Recorder } from '../servers/recorder.js'
import { expectNoSecrets, ROOT, runAction, runCli, type ActionResult } from './harness.js'
import { SECRETS, SECRETS_INPUT, standardEvents, writeRepo } from './fleet.js'

const FIXTURES = join(ROOT, 'test/fixtures/fleets')
const ALL_SECRETS = Object.values(SECRETS)
const SOPS_TOKEN = 'xoxb-sops-supplied-token-9d1f0c'

let receiver: Recorder
let repo: string | undefined

beforeEach(async () => {
  receiver = await startRecorder()
  repo = undefined
})

afterEach(async () => {
  await receiver.close()
  if (repo) await rm(repo, { recursive: true, force: true })
})

async function fleet(files: Record<string, string>): Promise<string> {
  repo = await writeRepo({ 'events.json': standardEvents(), ...files })
  return repo
}

function run(cwd: string, inputs: Record<string, string>): Promise<ActionResult> {
  return runAction({
    cwd,
    inputs: { events: 'events.json', 'github-token': '', state: 'none', ...inputs },
  })
}

function bodies(path: string): Array<Record<string, unknown>> {
  return receiver.requests
    .filter((r) => r.path === path)
    .map((r) => JSON.parse(r.body) as Record<string, unknown>)
}

/** The error annotations of problems (not the failed deliveries, not the step's failure line). */
function errors(result: ActionResult): string[] {
  return result.annotations.filter((a) => /^::error title=flux-notify[,:]/.test(a))
}

/** An Alert on every Kustomization of flux-system, for `provider`. */
function alert(name: string, provider: string, extra = ''): string {
  return `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: ${name}
  namespace: flux-system
spec:
  providerRef:
    name: ${provider}
${extra}  eventSources:
    - kind: Kustomization
      name: '*'
`
}

describe('manifests-command with the real kubectl kustomize', () => {
  it('delivers what the overlay renders: the patched channel, address and severity', async () => {
    const base = `http://127.0.0.1:1/unpatched`
    const cwd = await fleet({
      'base/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - provider.yaml
  - alert.yaml
`,
      // no metadata.namespace: the overlay sets it, as in a base stamped into namespaces
      'base/provider.yaml': `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
spec:
  type: slack
  channel: general
  address: ${base}
  secretRef:
    name: slack-token
`,
      'base/alert.yaml': `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: on-call
spec:
  providerRef:
    name: slack
  eventSeverity: info
  eventSources:
    - kind: Kustomization
      name: '*'
`,
      'clusters/production/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: flux-system
resources:
  - ../../base
patches:
  - target:
      kind: Provider
      name: slack
    patch: |
      - op: replace
        path: /spec/channel
        value: prod-alerts
      - op: replace
        path: /spec/address
        value: ${receiver.url}/patched
  - target:
      kind: Alert
      name: on-call
    patch: |
      - op: replace
        path: /spec/eventSeverity
        value: error
`,
    })
    const result = await run(cwd, {
      'manifests-command': 'kubectl kustomize clusters/production',
      secrets: SECRETS_INPUT,
    })
    expect(result.stderr).toBe('')
    expect(errors(result)).toEqual([])
    expect(result.code).toBe(0)
    // eventSeverity error (the overlay's): only the failed health check, to the patched address
    expect(receiver.requests.map((r) => r.path)).toEqual(['/patched'])
    const [message] = bodies('/patched')
    expect(message?.channel).toBe('prod-alerts')
    expect(JSON.stringify(message)).toContain('health check failed')
    expect(receiver.requests[0]?.headers.authorization).toBe(`Bearer ${SECRETS.slackToken}`)
    expectNoSecrets(result, ALL_SECRETS)
  })

  it('a failing command is one error naming it, and nothing is sent', async () => {
    const cwd = await fleet({})
    const result = await run(cwd, { 'manifests-command': 'kubectl kustomize clusters/missing' })
    expect(result.code).toBe(1)
    expect(errors(result)).toHaveLength(1)
    expect(errors(result)[0]).toMatch(
      /manifests-command\[1\] \(kubectl kustomize clusters\/missing\) exited with code 1/,
    )
    expect(receiver.requests).toEqual([])
    expectNoSecrets(result, ALL_SECRETS)
  })
})

describe('post-build substitution', () => {
  function substitutionRepo(): Promise<string> {
    return fleet({
      'clusters/production/apps.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      apps_namespace: flux-system
      receiver: ${receiver.url}
    substituteFrom:
      - kind: ConfigMap
        name: cluster-vars
      - kind: Secret
        name: cluster-secret-vars
        optional: true
`,
      'clusters/production/cluster-vars.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-vars
  namespace: flux-system
data:
  default_channel: fleet-alerts
  cluster_name: production
`,
      'apps/notifications.yaml': `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: \${apps_namespace}
spec:
  type: slack
  channel: \${team_channel:=\${default_channel}}
  address: \${receiver}/\${hook_path:-hooks/apps}
---
${alert('apps', 'slack', '  eventSeverity: error\n  summary: ${cluster_name} cluster\n')}---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: regional
  namespace: flux-system
spec:
  type: generic
  address: \${receiver}/\${region_path}
---
${alert('regional', 'regional', '  eventSeverity: error\n')}`,
    })
  }

  it('fills nested and defaulted variables from the substitute-from Kustomization', async () => {
    const cwd = await substitutionRepo()
    const result = await run(cwd, {
      manifests: 'clusters/production\napps',
      'substitute-from': 'Kustomization/flux-system/apps',
    })
    // ${region_path} has no value: that Provider is left out with an error naming the variable
    const [error, ...others] = errors(result)
    expect(others).toEqual([])
    expect(error).toMatch(/file=apps\/notifications.yaml,line=\d+/)
    expect(error).toContain(
      'Provider/flux-system/regional: spec.address: ${region_path} has no value',
    )
    expect(result.code).toBe(1)

    expect(receiver.requests.map((r) => r.path)).toEqual(['/hooks/apps'])
    const [message] = bodies('/hooks/apps')
    expect(message?.channel).toBe('fleet-alerts')
    expect(JSON.stringify(message)).toContain('production cluster')
    // never a request to a literal placeholder
    for (const request of receiver.requests) expect(request.path).not.toMatch(/\$|%7B/i)
    expectNoSecrets(result, ALL_SECRETS)
  })

  it('masks a variable read from a substituteFrom Secret wherever it is substituted', async () => {
    const cwd = await substitutionRepo()
    const token = 'path-token-5f1d2c9e8b7a'
    const result = await run(cwd, {
      manifests: 'clusters/production\napps',
      'substitute-from': 'Kustomization/flux-system/apps',
      // the Secret the Kustomization names, supplied by the secrets input; its value becomes
      // part of the regional Provider's address, which the dry run's reasons show
      secrets: `cluster-secret-vars:\n  region_path: ${token}`,
      'dry-run': 'true',
    })
    expect(errors(result)).toEqual([])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`::add-mask::${token}`)
    expect(result.outputs.results).toContain('would send POST')
    expectNoSecrets(result, [...ALL_SECRETS, token])
  })

  it('the substitute input wins over the Kustomization and fills what it lacks', async () => {
    const cwd = await substitutionRepo()
    const result = await run(cwd, {
      manifests: 'clusters/production\napps',
      'substitute-from': 'Kustomization/flux-system/apps',
      substitute: 'team_channel: override\nregion_path: eu',
    })
    expect(errors(result)).toEqual([])
    expect(result.code).toBe(0)
    expect(receiver.requests.map((r) => r.path).sort()).toEqual(['/eu', '/hooks/apps'])
    expect(bodies('/hooks/apps')[0]?.channel).toBe('override')
    expectNoSecrets(result, ALL_SECRETS)
  })
})

describe('a SOPS-encrypted Secret referenced by a Provider', () => {
  async function sopsRepo(): Promise<string> {
    return fleet({
      'clusters/production/providers.yaml': `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: flux-system
spec:
  type: slack
  channel: general
  secretRef:
    name: slack-url
---
${alert('all', 'slack', '  eventSeverity: error\n')}`,
      'clusters/production/slack-url.enc.yaml': await readFile(
        join(FIXTURES, 'sops/slack-url.enc.yaml'),
        'utf8',
      ),
    })
  }

  it('is one error naming the Provider and the secrets entry; nothing is sent', async () => {
    const cwd = await sopsRepo()
    const result = await run(cwd, { manifests: 'clusters/production' })
    const found = errors(result)
    expect(found).toHaveLength(1)
    expect(found[0]).toContain('Provider/flux-system/slack')
    expect(found[0]).toContain('a SOPS-encrypted Secret')
    expect(found[0]).toContain('`slack-url: {address: …}`')
    expect(result.code).toBe(1)
    expect(receiver.requests).toEqual([])
    expect(result.stdout).not.toContain('ENC[AES256_GCM')
  })

  it('delivers once the secrets input supplies that entry', async () => {
    const cwd = await sopsRepo()
    const address = `${receiver.url}/sops-slack`
    const result = await run(cwd, {
      manifests: 'clusters/production',
      secrets: `slack-url:\n  address: ${address}\n  token: ${SOPS_TOKEN}\n`,
    })
    expect(errors(result)).toEqual([])
    expect(result.code).toBe(0)
    expect(receiver.requests.map((r) => r.path)).toEqual(['/sops-slack'])
    expect(receiver.requests[0]?.headers.authorization).toBe(`Bearer ${SOPS_TOKEN}`)
    expectNoSecrets(result, [SOPS_TOKEN, address])
  })
})

describe('files that are not ours', () => {
  it('ignores CRDs and a Crossplane Provider, skips a Helm template with a notice', async () => {
    const fixture = (path: string) => readFile(join(FIXTURES, path), 'utf8')
    const cwd = await fleet({
      'infrastructure/gotk-components.yaml': await fixture('crds/gotk-components.yaml'),
      'infrastructure/crossplane.yaml': await fixture('crds/crossplane.yaml'),
      'charts/notify/Chart.yaml': await fixture('helm/charts/notify/Chart.yaml'),
      'charts/notify/values.yaml': await fixture('helm/charts/notify/values.yaml'),
      'charts/notify/templates/provider.yaml': await fixture(
        'helm/charts/notify/templates/provider.yaml',
      ),
      'clusters/production/notifications.yaml': `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: hook
  namespace: flux-system
spec:
  type: generic
  address: ${receiver.url}/hook
---
${alert('errors', 'hook', '  eventSeverity: error\n')}`,
    })
    const result = await run(cwd, { manifests: '.' })
    expect(errors(result)).toEqual([])
    expect(result.annotations.filter((a) => a.startsWith('::warning'))).toEqual([])
    const notices = result.annotations.filter((a) => a.startsWith('::notice'))
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatch(/file=charts\/notify\/templates\/provider.yaml,line=4/)
    expect(notices[0]).toContain('skipped: a Helm chart template')
    expect(result.code).toBe(0)
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook'])
    expect(result.summary).toContain('ℹ️')
    expect(result.summary).not.toContain('problem')
    expectNoSecrets(result, ALL_SECRETS)
  })

  it('an orphan Provider is a notice, not a problem', async () => {
    const cwd = await fleet({
      'clusters/production/notifications.yaml': `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: hook
  namespace: flux-system
spec:
  type: generic
  address: ${receiver.url}/hook
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: unused
  namespace: flux-system
spec:
  type: generic
  address: ${receiver.url}/unused
---
${alert('errors', 'hook', '  eventSeverity: error\n')}`,
    })
    const result = await run(cwd, { manifests: 'clusters' })
    expect(result.code).toBe(0)
    const notices = result.annotations.filter((a) => a.startsWith('::notice'))
    expect(notices).toHaveLength(1)
    expect(notices[0]).toContain('Provider/flux-system/unused is not used by any Alert')
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook'])
  })
})

describe('two clusters with the same names', () => {
  function cluster(name: string): string {
    return `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: hook
  namespace: flux-system
spec:
  type: generic
  address: ${receiver.url}/${name}
---
${alert('on-call', 'hook', '  eventSeverity: error\n')}`
  }

  it('the duplicate error lists both files and suggests narrowing; a ! entry fixes it', async () => {
    const cwd = await fleet({
      'clusters/production/notifications.yaml': cluster('production'),
      'clusters/staging/notifications.yaml': cluster('staging'),
    })
    const duplicated = await run(cwd, { manifests: '.' })
    expect(duplicated.code).toBe(1)
    const found = errors(duplicated)
    expect(found.length).toBeGreaterThan(0)
    const alertError = found.find((e) => e.includes('Alert/flux-system/on-call is defined twice'))
    expect(alertError).toContain('clusters/production/notifications.yaml')
    expect(alertError).toContain('clusters/staging/notifications.yaml')
    expect(alertError).toContain('narrow `manifests`')
    expect(alertError).toContain('manifests-command')

    receiver.requests.length = 0
    const narrowed = await run(cwd, { manifests: '!clusters/staging/**' })
    expect(errors(narrowed)).toEqual([])
    expect(narrowed.code).toBe(0)
    expect(receiver.requests.map((r) => r.path)).toEqual(['/production'])
    expectNoSecrets(narrowed, ALL_SECRETS)
  })
})

describe('lint mode', () => {
  const broken = (url: string) => `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: hook
  namespace: flux-system
spec:
  type: generic
  address: ${url}/hook
  secretRef:
    name: webhook-secret
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: errors
  namespace: flux-system
spec:
  providerRef:
    name: hook
  exclusionList:
    - '(unclosed'
  eventSources:
    - kind: Kustomization
      name: '*'
`

  it('annotates each problem on its file and line, reads no events, sends nothing', async () => {
    const cwd = await fleet({ 'clusters/production/notifications.yaml': broken(receiver.url) })
    const result = await run(cwd, {
      mode: 'lint',
      manifests: 'clusters/production',
      // a lint run reads no event: this URL would be a recorded request
      events: `${receiver.url}/events`,
      secrets: SECRETS_INPUT,
    })
    expect(result.code).toBe(1)
    const found = errors(result)
    expect(found).toHaveLength(1)
    expect(found[0]).toMatch(
      /^::error title=flux-notify,file=clusters\/production\/notifications.yaml,line=21(,|::)/,
    )
    expect(found[0]).toContain('failed to compile exclusion regex')
    expect(receiver.requests).toEqual([])
    expect(result.stdout).toContain('lint: 1 error(s)')
    expect(result.summary).toContain('## flux-notify lint')
    expect(result.summary).not.toContain('### Decisions')
    expectNoSecrets(result, ALL_SECRETS)
  })

  it('passes a clean repository (exit 0), with its notices', async () => {
    const cwd = await fleet({
      'clusters/production/notifications.yaml': broken(receiver.url).replace(
        "  exclusionList:\n    - '(unclosed'\n",
        '',
      ),
    })
    const result = await run(cwd, {
      mode: 'lint',
      manifests: 'clusters/production',
      events: `${receiver.url}/events`,
      secrets: SECRETS_INPUT,
    })
    expect(errors(result)).toEqual([])
    expect(result.code).toBe(0)
    expect(receiver.requests).toEqual([])
    expect(result.summary).toContain('passed every check')
    expectNoSecrets(result, ALL_SECRETS)
  })

  it('a missing secret is a lint error', async () => {
    const cwd = await fleet({ 'clusters/production/notifications.yaml': broken(receiver.url) })
    const result = await run(cwd, { mode: 'lint', manifests: 'clusters/production' })
    const found = errors(result)
    expect(
      found.some((e) =>
        e.includes("failed to get secret 'flux-system/webhook-secret': secret not found"),
      ),
    ).toBe(true)
    expect(result.code).toBe(1)
  })

  it('flux-notify lint: problems on standard error, exit 2 on an error, 0 when clean', async () => {
    const cwd = await fleet({
      'bad/notifications.yaml': broken(receiver.url),
      'good/notifications.yaml': broken(receiver.url).replace(
        "  exclusionList:\n    - '(unclosed'\n",
        '',
      ),
    })
    const secretsArgs = ['--secrets', SECRETS_INPUT]
    const bad = await runCli(['lint', '--manifests', 'bad', ...secretsArgs], { cwd })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^bad\/notifications.yaml:21:\d+: .*exclusion regex/m)
    expect(bad.stderr).toContain('lint: 1 error(s)')
    expect(bad.stdout).toBe('')

    const good = await runCli(['lint', '--manifests', 'good', ...secretsArgs], { cwd })
    expect(good.stderr).toContain('lint: 0 error(s)')
    expect(good.code).toBe(0)
    expect(receiver.requests).toEqual([])
    expectNoSecrets(bad, ALL_SECRETS)
    expectNoSecrets(good, ALL_SECRETS)
  })
})
