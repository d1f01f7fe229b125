import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { deliver } from '../../src/delivery/deliver.js'
import type { DeliveryOptions } from '../../src/delivery/deliver.js'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import { githubPullRequestComment } from '../../src/providers/git/change-request-comment.js'
import type {
  ChangeRequestModule,
  CommitStatusModule,
  CurrentStatus,
  DesiredStatus,
  NotifierModule,
  ProviderModule,
  ResolvedProvider,
} from '../../src/providers/types.js'
import type { Decision } from '../../src/results.js'
import type { Plan, PlannedDelivery } from '../../src/routing/plan.js'
import { startFakeGitHub } from '../servers/fake-github.js'
import type { FakeGitHub } from '../servers/fake-github.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import { alert, providerManifest, resolvedProvider, source } from '../support/factories.js'

const SHA = 'a1afe267b54f38b46b487f6e938a6fd508278c07'
const OTHER_SHA = '0c9c2e41d2f94f9b9c41bebc1984d67a0c9c2e41'

// ---- plan building -------------------------------------------------------------------------

/** A resolved provider `flux-system/<name>` of `type` at `address`. */
function providerAt(
  name: string,
  type: string,
  address: string,
  extra: Partial<ResolvedProvider> = {},
): ResolvedProvider {
  const location = { file: 'providers.yaml' }
  return resolvedProvider(type, {
    provider: providerManifest(type, { name, namespace: 'flux-system', address, location }),
    ...extra,
  })
}

/** The Alert `flux-system/all`: every Kustomization to provider `p`. */
const allKustomizations = alert({
  name: 'all',
  namespace: 'flux-system',
  provider: 'p',
  sources: [source('Kustomization', '*')],
  location: { file: 'alerts.yaml' },
})

function event(
  name: string,
  reason: string,
  severity = 'info',
  revision = `main@sha1:${SHA}`,
): FluxEvent {
  return {
    involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name },
    severity,
    timestamp: '2022-09-30T06:40:29Z',
    message: `${name}: ${reason}`,
    reason,
    metadata: { revision },
    reportingController: 'kustomize-controller',
  }
}

function planned(
  provider: ResolvedProvider,
  ev: FluxEvent,
  commitStatusId?: string,
): PlannedDelivery {
  const decision: Decision = {
    event: `Kustomization/flux-system/${ev.involvedObject.name ?? ''}`,
    eventReason: ev.reason,
    severity: ev.severity,
    timestamp: ev.timestamp,
    source: 'events.json#0',
    alert: 'flux-system/all',
    provider: provider.key,
    type: provider.type,
    outcome: 'dry-run',
    reason: 'planned',
  }
  return {
    decision,
    notification: { event: ev, alert: allKustomizations, provider },
    commitStatusId,
  }
}

function planOf(deliveries: PlannedDelivery[]): Plan {
  return { decisions: deliveries.map((d) => d.decision), deliveries, warnings: [] }
}

// ---- tiny provider modules -----------------------------------------------------------------

/** POSTs `{"text": message}` to the provider address; skips events whose reason is `Skip`. */
const echoNotifier: NotifierModule = {
  type: 'echo',
  class: 'notification',
  validate: () => undefined,
  render: ({ event: ev, provider }) => {
    if (ev.reason === 'Skip') return { skip: 'echo skips Skip' }
    return {
      requests: [
        {
          method: 'POST',
          url: provider.address,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ text: ev.message }),
        },
      ],
    }
  },
}

/** Sends two requests per event: to the address and to `<address>/second`. */
const twoStepNotifier: NotifierModule = {
  ...echoNotifier,
  type: 'twostep',
  render: ({ event: ev, provider }) => ({
    requests: [provider.address, `${provider.address}/second`].map((url) => ({
      method: 'POST',
      url,
      headers: {},
      body: ev.message,
    })),
  }),
}

interface GitHubLikeModule extends CommitStatusModule {
  clientsCreated: number
}

/**
 * A GitHub commit-status module reduced to what delivery drives: state from severity, skip on
 * Progressing, reads every context through the combined-status endpoint (all pages).
 */
function githubLike(options: { failCreate?: string } = {}): GitHubLikeModule {
  const module: GitHubLikeModule = {
    type: 'githublike',
    class: 'commit-status',
    clientsCreated: 0,
    validate: () => undefined,
    desiredStatus: ({ event: ev, provider }, context) => {
      if (ev.reason === 'Progressing') return { skip: 'Progressing events carry no status' }
      const revision = ev.metadata?.revision ?? ''
      const sha = revision.slice(revision.lastIndexOf(':') + 1)
      if (sha.length !== 40) return { skip: `no commit SHA in revision ${revision}` }
      const url = new URL(provider.address)
      return {
        repository: url.pathname.slice(1),
        sha,
        context,
        state: ev.severity === 'error' ? 'failure' : 'success',
        description: ev.reason.toLowerCase(),
      }
    },
    isUnchanged: (desired: DesiredStatus, current: CurrentStatus[]) => {
      const same = current.find((s) => s.context === desired.context)
      return (
        same !== undefined &&
        same.state === desired.state &&
        same.description === desired.description
      )
    },
    createClient: async (provider) => {
      module.clientsCreated++
      if (options.failCreate) throw new Error(options.failCreate)
      const api = `${new URL(provider.address).origin}/api/v3`
      const headers = {
        Authorization: `Bearer ${provider.token}`,
        Accept: 'application/vnd.github.v3+json',
        'X-GitHub-Api-Version': '2022-11-28',
      }
      return {
        async readStatuses(repository, sha, signal) {
          const found: CurrentStatus[] = []
          for (let page = 1; ; page++) {
            const url = `${api}/repos/${repository}/commits/${sha}/status?per_page=100&page=${page}`
            const res = await sendRequest({ method: 'GET', url, headers }, { signal })
            const body = JSON.parse(res.body) as { total_count: number; statuses: CurrentStatus[] }
            found.push(
              ...body.statuses.map(({ context, state, description }) => ({
                context,
                state,
                description,
              })),
            )
            if (found.length >= body.total_count || body.statuses.length === 0) return found
          }
        },
        async writeStatus(status, signal) {
          const { repository, sha, state, description, context } = status
          await sendRequest(
            {
              method: 'POST',
              url: `${api}/repos/${repository}/statuses/${sha}`,
              headers: { ...headers, 'Content-Type': 'application/json' },
              body: JSON.stringify({ state, description, context }),
            },
            { signal },
          )
        },
      }
    },
  }
  return module
}

function modules(...list: ProviderModule[]): DeliveryOptions['loadModule'] {
  return async (type) => {
    const found = list.find((m) => m.type === type)
    if (!found) throw new Error(`provider type ${type} is not supported by flux-notify yet`)
    return found
  }
}

const fastSleep = async (_ms: number, signal: AbortSignal) => {
  if (signal.aborted) throw signal.reason
}

// ---- notifications -------------------------------------------------------------------------

describe('deliver: notifications', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder()
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('keeps plan order per involved object while other objects and providers go at the same time', async () => {
    const a = providerAt('a', 'echo', `${recorder.url}/a`)
    const b = providerAt('b', 'echo', `${recorder.url}/b`)
    // the first request to `a` is answered slowly: the next one about the same object must not
    // go out before that answer; other objects of `a` and provider `b` need not wait
    recorder.respond('/a', [{ status: 200, delayMs: 400 }])
    const plan = planOf([
      planned(a, event('apps', 'First')),
      planned(a, event('apps', 'Second')),
      planned(b, event('b1', 'ReconciliationSucceeded')),
      planned(a, event('apps', 'Third')),
      planned(a, event('infra', 'ReconciliationSucceeded')),
      planned(b, event('b2', 'ReconciliationSucceeded')),
    ])
    await deliver(plan, { dryRun: false, loadModule: modules(echoNotifier) })

    expect(plan.decisions.map((d) => d.outcome)).toEqual(Array(6).fill('sent'))
    const toA = recorder.requests.filter((r) => r.path === '/a')
    const toB = recorder.requests.filter((r) => r.path === '/b')
    const apps = toA.filter((r) => r.body.includes('apps: '))
    expect(apps.map((r) => JSON.parse(r.body) as unknown)).toEqual([
      { text: 'apps: First' },
      { text: 'apps: Second' },
      { text: 'apps: Third' },
    ])
    // Second left only after First was answered
    expect(apps[1]!.receivedAt - apps[0]!.receivedAt).toBeGreaterThanOrEqual(380)
    // another object of the same provider did not wait for that slow answer
    const infra = toA.find((r) => r.body.includes('infra: '))!
    expect(infra.receivedAt).toBeLessThan(apps[0]!.receivedAt + 380)
    // nor did another provider
    expect(toB).toHaveLength(2)
    expect(toB[1]!.receivedAt).toBeLessThan(apps[0]!.receivedAt + 380)
  })

  it('runs one delivery at a time with concurrency 1', async () => {
    const a = providerAt('a', 'echo', `${recorder.url}/a`)
    const b = providerAt('b', 'echo', `${recorder.url}/b`)
    recorder.respond('/a', [{ status: 200, delayMs: 300 }])
    const plan = planOf([planned(a, event('a1', 'X')), planned(b, event('b1', 'X'))])
    await deliver(plan, { dryRun: false, concurrency: 1, loadModule: modules(echoNotifier) })
    expect(recorder.requests.map((r) => r.path)).toEqual(['/a', '/b'])
    expect(
      recorder.requests[1]!.receivedAt - recorder.requests[0]!.receivedAt,
    ).toBeGreaterThanOrEqual(280)
  })

  it('does not let a failing provider stop another; failures carry the masked error', async () => {
    const token = 'xoxb-s3cr3t-t0ken'
    const bad = providerAt('bad', 'echo', `${recorder.url}/bad`, { secretValues: [token] })
    const good = providerAt('good', 'echo', `${recorder.url}/good`)
    const unknown = providerAt('unknown', 'nope', `${recorder.url}/never`)
    recorder.respond('/bad', [{ status: 403, body: `invalid token ${token}` }])
    const plan = planOf([
      planned(bad, event('k1', 'X')),
      planned(unknown, event('k2', 'X')),
      planned(good, event('k3', 'X')),
      // the same object as the first: sent after it, so it is the one that gets the 403
      planned(bad, event('k1', 'Y')),
    ])
    await deliver(plan, { dryRun: false, loadModule: modules(echoNotifier), sleep: fastSleep })

    const [bad1, unknown1, good1, bad2] = plan.decisions
    expect(bad1).toMatchObject({
      outcome: 'failed',
      reason: 'request failed with status code 403: invalid token *****',
    })
    expect(unknown1).toMatchObject({
      outcome: 'failed',
      reason: 'provider type nope is not supported by flux-notify yet',
    })
    expect(good1).toMatchObject({ outcome: 'sent', reason: 'sent' })
    // the provider's next delivery still goes: failures are per delivery
    expect(bad2).toMatchObject({ outcome: 'sent' })
    expect(recorder.requests.some((r) => r.path === '/never')).toBe(false)
  })

  it('skips what the module skips, counts multi-request sends and times out per delivery', async () => {
    const two = providerAt('two', 'twostep', `${recorder.url}/two`)
    const slow = providerAt('slow', 'echo', `${recorder.url}/slow`, { timeoutMs: 300 })
    const echo = providerAt('echo', 'echo', `${recorder.url}/echo`)
    recorder.respond('/slow', [{ hang: true }])
    const plan = planOf([
      planned(echo, event('k1', 'Skip')),
      planned(two, event('k2', 'X')),
      planned(slow, event('k3', 'X')),
      // the same object: queued behind the one that hangs
      planned(slow, event('k3', 'Y')),
    ])
    const started = Date.now()
    await deliver(plan, { dryRun: false, loadModule: modules(echoNotifier, twoStepNotifier) })
    expect(plan.decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['skipped', 'echo skips Skip'],
      ['sent', 'sent (2 requests)'],
      [
        'failed',
        `POST ${recorder.url}/slow giving up after 1 attempt(s): context deadline exceeded`,
      ],
      // a fresh timeout for the next delivery, even after waiting behind the one that hung
      ['sent', 'sent'],
    ])
    expect(Date.now() - started).toBeLessThan(3000)
    expect(recorder.requests.filter((r) => r.path.startsWith('/two')).map((r) => r.path)).toEqual([
      '/two',
      '/two/second',
    ])
  })

  it('sends nothing in a dry run and says what it would send, secrets masked', async () => {
    const hook = `${recorder.url}/services/T000/B000/XXXXSECRET`
    const slack = providerAt('slack', 'echo', hook, { secretValues: [hook] })
    const creds = providerAt('creds', 'echo', recorder.url.replace('//', '//u:pw@') + '/x')
    const plan = planOf([
      planned(slack, event('k1', 'X')),
      planned(slack, event('k2', 'Skip')),
      planned(creds, event('k3', 'X')),
    ])
    await deliver(plan, { dryRun: true, loadModule: modules(echoNotifier) })
    expect(recorder.requests).toEqual([])
    expect(plan.decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['dry-run', 'would send POST *****'],
      ['skipped', 'echo skips Skip'],
      ['dry-run', `would send POST ${recorder.url.replace('//', '//***@')}/x`],
    ])
  })
})

// ---- commit statuses -----------------------------------------------------------------------

describe('deliver: commit statuses against the fake GitHub', () => {
  let github: FakeGitHub
  beforeEach(async () => {
    github = await startFakeGitHub()
  })
  afterEach(async () => {
    expect(github.violations).toEqual([])
    await github.close()
  })

  const reads = () =>
    github.requests.filter((r) => r.operationId === 'repos/get-combined-status-for-ref')
  const writes = () => github.requests.filter((r) => r.operationId === 'repos/create-commit-status')

  it('reads once per (repository, commit), writes only what changed, and remembers its writes', async () => {
    const module = githubLike()
    const gh = providerAt('gh', 'githublike', `${github.url}/foo/bar`, { token: 't0ken' })
    github.seedStatus('foo/bar', SHA, {
      context: 'kustomization/apps/0c9c2e41',
      state: 'success',
      description: 'reconciliationsucceeded',
    })
    const plan = planOf([
      // same as the host shows: unchanged
      planned(gh, event('apps', 'ReconciliationSucceeded'), 'kustomization/apps/0c9c2e41'),
      // differs: written
      planned(gh, event('infra', 'HealthCheckFailed', 'error'), 'kustomization/infra/0c9c2e41'),
      // same as what we just wrote: unchanged without asking the host again
      planned(gh, event('infra', 'HealthCheckFailed', 'error'), 'kustomization/infra/0c9c2e41'),
      // Progressing: skipped by the module
      planned(gh, event('apps', 'Progressing'), 'kustomization/apps/0c9c2e41'),
      // another commit: one more read
      planned(
        gh,
        event('apps', 'ReconciliationSucceeded', 'info', `sha1:${OTHER_SHA}`),
        'kustomization/apps/0c9c2e41',
      ),
    ])
    await deliver(plan, { dryRun: false, loadModule: modules(module) })

    expect(plan.decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['unchanged', 'already success: reconciliationsucceeded'],
      ['sent', 'sent'],
      ['unchanged', 'already failure: healthcheckfailed'],
      ['skipped', 'Progressing events carry no status'],
      ['sent', 'sent'],
    ])
    expect(plan.decisions[1]).toMatchObject({
      repository: 'foo/bar',
      sha: SHA,
      context: 'kustomization/infra/0c9c2e41',
      state: 'failure',
      description: 'healthcheckfailed',
    })
    expect(reads().map((r) => r.path)).toEqual([
      `/api/v3/repos/foo/bar/commits/${SHA}/status?per_page=100&page=1`,
      `/api/v3/repos/foo/bar/commits/${OTHER_SHA}/status?per_page=100&page=1`,
    ])
    expect(writes()).toHaveLength(2)
    expect(github.statuses('foo/bar', SHA).map((s) => [s.context, s.state])).toEqual([
      ['kustomization/apps/0c9c2e41', 'success'],
      ['kustomization/infra/0c9c2e41', 'failure'],
    ])
    expect(module.clientsCreated).toBe(1)
  })

  it('writes again when the state flips back within the run', async () => {
    const gh = providerAt('gh', 'githublike', `${github.url}/foo/bar`, { token: 't' })
    const ctx = 'kustomization/apps/0c9c2e41'
    const plan = planOf([
      planned(gh, event('apps', 'Failed', 'error'), ctx),
      planned(gh, event('apps', 'Succeeded'), ctx),
      planned(gh, event('apps', 'Failed', 'error'), ctx),
    ])
    await deliver(plan, { dryRun: false, loadModule: modules(githubLike()) })
    expect(plan.decisions.map((d) => d.outcome)).toEqual(['sent', 'sent', 'sent'])
    expect(reads()).toHaveLength(1)
    expect(github.statuses('foo/bar', SHA).map((s) => s.state)).toEqual([
      'failure',
      'success',
      'failure',
    ])
  })

  it('fails a delivery whose read or write fails, masked, and reads again for the next one', async () => {
    const token = 'ghp_abcdefghijklmnop'
    const gh = providerAt('gh', 'githublike', `${github.url}/foo/bar`, {
      token,
      secretValues: [token],
    })
    const ctx = 'kustomization/apps/0c9c2e41'
    github.failNext(1, { status: 404, body: `{"message":"no access for ${token}"}` })
    const plan = planOf([
      planned(gh, event('apps', 'Succeeded'), ctx),
      planned(gh, event('apps', 'Succeeded'), ctx),
    ])
    await deliver(plan, { dryRun: false, loadModule: modules(githubLike()) })
    expect(plan.decisions[0]).toMatchObject({
      outcome: 'failed',
      reason: 'request failed with status code 404: {"message":"no access for *****"}',
    })
    expect(plan.decisions[1]).toMatchObject({ outcome: 'sent' })
    expect(reads()).toHaveLength(2)
  })

  it('fails every delivery of a provider whose client cannot be made', async () => {
    const secret = 'app-private-key-material'
    const gh = providerAt('gh', 'githublike', `${github.url}/foo/bar`, {
      secretValues: [secret],
    })
    const module = githubLike({ failCreate: `bad key ${secret}` })
    const plan = planOf([
      planned(gh, event('apps', 'Succeeded'), 'c1'),
      planned(gh, event('apps', 'Progressing'), 'c1'),
      planned(gh, event('infra', 'Succeeded'), 'c2'),
    ])
    await deliver(plan, { dryRun: false, loadModule: modules(module) })
    expect(plan.decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['failed', 'bad key *****'],
      ['skipped', 'Progressing events carry no status'],
      ['failed', 'bad key *****'],
    ])
    expect(module.clientsCreated).toBe(1)
    expect(github.requests).toEqual([])
  })

  it('makes no client and no request in a dry run, and fills in the desired status', async () => {
    const module = githubLike()
    const gh = providerAt('gh', 'githublike', `${github.url}/foo/bar`, { token: 't' })
    const plan = planOf([
      planned(gh, event('apps', 'ReconciliationSucceeded'), 'kustomization/apps/0c9c2e41'),
      planned(gh, event('apps', 'Progressing'), 'kustomization/apps/0c9c2e41'),
    ])
    await deliver(plan, { dryRun: true, loadModule: modules(module) })
    expect(github.requests).toEqual([])
    expect(module.clientsCreated).toBe(0)
    expect(plan.decisions[0]).toEqual(
      expect.objectContaining({
        outcome: 'dry-run',
        reason: 'would set success (not compared with the host in a dry run)',
        repository: 'foo/bar',
        sha: SHA,
        context: 'kustomization/apps/0c9c2e41',
        state: 'success',
        description: 'reconciliationsucceeded',
      }),
    )
    expect(plan.decisions[1]).toMatchObject({ outcome: 'skipped' })
  })

  it('retries a 502 from the host within the provider timeout', async () => {
    const gh = providerAt('gh', 'githublike', `${github.url}/foo/bar`, { token: 't' })
    github.failNext(1, { status: 502 })
    const plan = planOf([planned(gh, event('apps', 'Succeeded'), 'c')])
    // the module's client uses the real back-off (2s): this is a real-time retry through deliver
    await deliver(plan, { dryRun: false, loadModule: modules(githubLike()) })
    expect(plan.decisions[0]).toMatchObject({ outcome: 'sent' })
    expect(reads()).toHaveLength(2)
  })
})

describe('deliver: commit statuses at the same time against a slow GitHub', () => {
  let github: FakeGitHub
  beforeEach(async () => {
    github = await startFakeGitHub({ latencyMs: 30 })
  })
  afterEach(async () => {
    expect(github.violations).toEqual([])
    await github.close()
  })

  const reads = () =>
    github.requests.filter((r) => r.operationId === 'repos/get-combined-status-for-ref')
  const writes = () => github.requests.filter((r) => r.operationId === 'repos/create-commit-status')
  /** a distinct 40-hex SHA for commit `n` */
  const shaOf = (n: number) => n.toString(16).padStart(40, 'c')

  it('shares one read per commit between contexts that start together, within the limit', async () => {
    const gh = providerAt('gh', 'githublike', `${github.url}/foo/bar`, { token: 't' })
    const plan = planOf(
      [0, 1, 2, 3, 4].flatMap((n) =>
        ['apps', 'infra', 'tenants'].map((name) =>
          planned(
            gh,
            event(name, 'Succeeded', 'info', `main@sha1:${shaOf(n)}`),
            `kustomization/${name}/0c9c2e41`,
          ),
        ),
      ),
    )
    const delivered: string[] = []
    await deliver(plan, {
      dryRun: false,
      concurrency: 4,
      loadModule: modules(githubLike()),
      onDelivered: (d) => delivered.push(`${d.decision.sha}/${d.decision.context}`),
    })
    expect(plan.decisions.map((d) => d.outcome)).toEqual(Array(15).fill('sent'))
    expect(reads()).toHaveLength(5)
    expect(writes()).toHaveLength(15)
    expect(github.maxInFlight).toBeGreaterThan(1)
    expect(github.maxInFlight).toBeLessThanOrEqual(4)
    // each delivery reported once, whatever order they ended in
    expect(delivered.sort()).toEqual(plan.decisions.map((d) => `${d.sha}/${d.context}`).sort())
  })

  it('lets a delivery that waited for a failed read read again itself', async () => {
    const gh = providerAt('gh', 'githublike', `${github.url}/foo/bar`, { token: 't' })
    github.failNext(1, { status: 404 })
    const plan = planOf([
      planned(gh, event('apps', 'Succeeded'), 'kustomization/apps/0c9c2e41'),
      planned(gh, event('infra', 'Succeeded'), 'kustomization/infra/0c9c2e41'),
    ])
    await deliver(plan, { dryRun: false, loadModule: modules(githubLike()) })
    expect(plan.decisions.map((d) => d.outcome)).toEqual(['failed', 'sent'])
    expect(reads()).toHaveLength(2)
    expect(writes()).toHaveLength(1)
  })

  it('keeps statuses of one context in plan order, even behind a slow write, while other contexts overlap', async () => {
    const gh = providerAt('gh', 'githublike', `${github.url}/foo/bar`, { token: 't' })
    // writing `failure` takes 200 ms longer: a later status must still land after it
    const base = githubLike()
    const slowFailures: CommitStatusModule = {
      ...base,
      createClient: async (provider) => {
        const client = await base.createClient(provider)
        return {
          readStatuses: (repository, sha, signal) => client.readStatuses(repository, sha, signal),
          writeStatus: async (status, signal) => {
            if (status.state === 'failure') await new Promise((r) => setTimeout(r, 200))
            await client.writeStatus(status, signal)
          },
        }
      },
    }
    const plan = planOf([
      planned(gh, event('apps', 'Failed', 'error'), 'kustomization/apps/0c9c2e41'),
      planned(gh, event('infra', 'Succeeded'), 'kustomization/infra/0c9c2e41'),
      planned(gh, event('apps', 'Succeeded'), 'kustomization/apps/0c9c2e41'),
      planned(gh, event('apps', 'Failed', 'error'), 'kustomization/apps/0c9c2e41'),
    ])
    await deliver(plan, { dryRun: false, loadModule: modules(slowFailures) })
    expect(plan.decisions.map((d) => d.outcome)).toEqual(['sent', 'sent', 'sent', 'sent'])
    expect(reads()).toHaveLength(1)
    const stored = github.statuses('foo/bar', SHA)
    const apps = stored.filter((s) => s.context === 'kustomization/apps/0c9c2e41')
    expect(apps.map((s) => s.state)).toEqual(['failure', 'success', 'failure'])
    // the other context did not wait behind the slow one
    expect(stored[0]).toMatchObject({ context: 'kustomization/infra/0c9c2e41', state: 'success' })
  })
})

// ---- change-request comments ----------------------------------------------------------------

/** A Kustomization event for PR `changeRequest` (combined metadata, as routing hands it over). */
function prEvent(name: string, message: string, changeRequest: string | null = '7'): FluxEvent {
  const ev = event(name, 'ReconciliationSucceeded')
  ev.message = message
  if (changeRequest !== null) ev.metadata = { ...ev.metadata, change_request: changeRequest }
  return ev
}

describe('deliver: change-request comments against the fake GitHub', () => {
  let github: FakeGitHub
  beforeEach(async () => {
    github = await startFakeGitHub({ logins: { 'tok-pr': 'flux-bot' } })
  })
  afterEach(async () => {
    expect(github.violations).toEqual([])
    await github.close()
  })
  const count = (operationId: string) =>
    github.requests.filter((r) => r.operationId === operationId).length

  it('creates, leaves alone and updates one comment per object, in plan order, with one client', async () => {
    const pr = providerAt('pr', 'githubpullrequestcomment', `${github.url}/foo/bar`, {
      token: 'tok-pr',
    })
    const plan = planOf([
      planned(pr, prEvent('apps', 'first')),
      planned(pr, prEvent('apps', 'first')),
      planned(pr, prEvent('apps', 'second')),
      planned(pr, prEvent('infra', 'first')),
      planned(pr, prEvent('apps', 'elsewhere', '8')),
    ])
    await deliver(plan, { dryRun: false, loadModule: modules(githubPullRequestComment) })
    expect(plan.decisions.map((d) => [d.outcome, d.reason, d.repository])).toEqual([
      ['sent', 'comment created', 'foo/bar'],
      ['unchanged', 'comment already up to date', 'foo/bar'],
      ['sent', 'comment updated', 'foo/bar'],
      ['sent', 'comment created', 'foo/bar'],
      ['sent', 'comment created', 'foo/bar'],
    ])
    expect(github.comments('foo/bar', 7).map((c) => c.body.split('\n')[0])).toEqual([
      `<!-- flux-pr-comment-key:${pr.uid}/Kustomization/flux-system/apps -->`,
      `<!-- flux-pr-comment-key:${pr.uid}/Kustomization/flux-system/infra -->`,
    ])
    expect(github.comments('foo/bar', 7)[0]!.body).toContain('\n\nsecond\n\n')
    expect(github.comments('foo/bar', 8)).toHaveLength(1)
    // one client: the login is asked once for the whole run
    expect(count('users/get-authenticated')).toBe(1)
    expect(count('issues/create-comment')).toBe(3)
    expect(count('issues/update-comment')).toBe(1)
  })

  it('fails an event with a bad change_request, masked failures for the rest, and does no IO in a dry run', async () => {
    const pr = providerAt('pr', 'githubpullrequestcomment', `${github.url}/foo/bar`, {
      token: 'tok-pr',
    })
    const dry = planOf([
      planned(pr, prEvent('apps', 'first')),
      planned(pr, prEvent('apps', 'first', 'seven')),
    ])
    await deliver(dry, { dryRun: true, loadModule: modules(githubPullRequestComment) })
    expect(dry.decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['dry-run', 'would create or update the comment on foo/bar#7'],
      [
        'failed',
        'invalid "change_request" metadata value "seven": strconv.Atoi: parsing "seven": invalid syntax',
      ],
    ])
    expect(github.requests).toEqual([])

    const plan = planOf([
      planned(pr, prEvent('apps', 'first', null)),
      planned(pr, prEvent('apps', 'first')),
    ])
    await deliver(plan, { dryRun: false, loadModule: modules(githubPullRequestComment) })
    expect(plan.decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['failed', 'missing "change_request" metadata key'],
      ['sent', 'comment created'],
    ])

    const secret = 'sekrit-token-value'
    let clients = 0
    const broken: ChangeRequestModule = {
      type: 'brokenpr',
      class: 'change-request',
      validate: () => undefined,
      createClient: async () => {
        clients++
        throw new Error(`cannot log in with ${secret}`)
      },
    }
    const bad = providerAt('bad', 'brokenpr', `${github.url}/foo/bar`, { secretValues: [secret] })
    const failing = planOf([
      planned(bad, prEvent('apps', 'first')),
      planned(bad, prEvent('infra', 'first')),
    ])
    await deliver(failing, { dryRun: false, loadModule: modules(broken) })
    expect(failing.decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['failed', 'cannot log in with *****'],
      ['failed', 'cannot log in with *****'],
    ])
    expect(clients).toBe(1)
  })
})

describe('deliver: a notifier that prepares', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder()
  })
  afterEach(async () => {
    await recorder.close()
  })

  /** `echo` whose token comes from `prepare`, like a GitHub App installation token. */
  function preparing(fail?: string) {
    const calls: string[] = []
    const module: NotifierModule = {
      ...echoNotifier,
      type: 'preparing',
      prepare: async (provider) => {
        calls.push(provider.key)
        if (fail) throw new Error(fail)
        return { ...provider, token: 'minted-token', secretValues: ['minted-token'] }
      },
      render: ({ event: ev, provider }) => {
        const rendered = echoNotifier.render({ event: ev, provider, alert: allKustomizations })
        if ('skip' in rendered) return rendered
        const request = rendered.requests[0]!
        const auth: Record<string, string> =
          provider.token === '' ? {} : { Authorization: `Bearer ${provider.token}` }
        return { requests: [{ ...request, headers: { ...request.headers, ...auth } }] }
      },
    }
    return { module, calls }
  }

  it('prepares once per provider before the first send, and never in a dry run', async () => {
    const { module, calls } = preparing()
    const p = providerAt('p', 'preparing', `${recorder.url}/hook`)
    const dry = planOf([planned(p, event('a', 'Succeeded'))])
    await deliver(dry, { dryRun: true, loadModule: modules(module) })
    expect(dry.decisions[0]).toMatchObject({ outcome: 'dry-run' })
    expect(calls).toEqual([])

    const plan = planOf([planned(p, event('a', 'Succeeded')), planned(p, event('b', 'Succeeded'))])
    await deliver(plan, { dryRun: false, loadModule: modules(module) })
    expect(plan.decisions.map((d) => d.outcome)).toEqual(['sent', 'sent'])
    expect(calls).toEqual(['flux-system/p'])
    expect(recorder.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer minted-token',
      'Bearer minted-token',
    ])
  })

  it('fails every delivery when preparing fails, masked', async () => {
    const { module, calls } = preparing('no token for app key PRIVATE-KEY')
    const p = providerAt('p', 'preparing', `${recorder.url}/hook`, {
      secretValues: ['PRIVATE-KEY'],
    })
    const plan = planOf([planned(p, event('a', 'Succeeded')), planned(p, event('b', 'Succeeded'))])
    await deliver(plan, { dryRun: false, loadModule: modules(module) })
    expect(plan.decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['failed', 'no token for app key *****'],
      ['failed', 'no token for app key *****'],
    ])
    expect(calls).toHaveLength(1)
    expect(recorder.requests).toEqual([])
  })
})

// ---- the controller's error wording --------------------------------------------------------

describe('notifier error wording (reference §5.1)', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder()
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('a rejected Slack post reads `postMessage failed: request failed: …`, as §5.1 shows', async () => {
    recorder.respond('/slack', [{ status: 400, body: 'nope' }])
    const plan = planOf([
      planned(providerAt('p', 'slack', `${recorder.url}/slack`), event('k', 'X')),
    ])
    await deliver(plan, { dryRun: false, sleep: async () => {} })
    expect(plan.decisions[0]).toMatchObject({
      outcome: 'failed',
      reason: 'postMessage failed: request failed: request failed with status code 400: nope',
    })
  })

  it('retries given up: the client layer is `failed to execute request: `', async () => {
    const unavailable = { status: 503, body: 'busy' }
    recorder.respond(
      '/hook',
      Array.from({ length: 5 }, () => unavailable),
    )
    const plan = planOf([
      planned(providerAt('p', 'generic', `${recorder.url}/hook`), event('k', 'X')),
    ])
    await deliver(plan, { dryRun: false, sleep: async () => {} })
    expect(recorder.requests).toHaveLength(5)
    expect(plan.decisions[0]).toMatchObject({
      outcome: 'failed',
      reason:
        'postMessage failed: failed to execute request: ' +
        `POST ${recorder.url}/hook giving up after 5 attempt(s): unexpected HTTP status 503 Service Unavailable`,
    })
  })

  it('a type on a vendor client gets its prefix and no postMessage layer (§5.18)', async () => {
    recorder.respond('/v2/enqueue', [{ status: 400, body: '{"status":"invalid event"}' }])
    const provider = providerAt('p', 'pagerduty', `${recorder.url}/ignored`, { channel: 'key' })
    const plan = planOf([planned(provider, event('k', 'Failed', 'error'))])
    await deliver(plan, { dryRun: false, sleep: async () => {} })
    expect(plan.decisions[0]).toMatchObject({
      outcome: 'failed',
      reason:
        'failed sending event: request failed with status code 400: {"status":"invalid event"}',
    })
  })

  it('the prefix comes before masking: a token echoed back is still masked', async () => {
    recorder.respond('/slack', [{ status: 403, body: 'bad token xoxb-secret-1' }])
    const provider = providerAt('p', 'slack', `${recorder.url}/slack`, {
      token: 'xoxb-secret-1',
      secretValues: ['xoxb-secret-1'],
    })
    const plan = planOf([planned(provider, event('k', 'X'))])
    await deliver(plan, { dryRun: false, sleep: async () => {} })
    expect(plan.decisions[0]?.reason).toBe(
      'postMessage failed: request failed: request failed with status code 403: bad token *****',
    )
  })
})
