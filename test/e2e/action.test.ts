/**
 * End to end: the bundle (`node dist/index.js`) run as the Actions runner runs it, against a
 * loopback GitHub that validates every request against GitHub's OpenAPI description and against
 * recording receivers standing in for Slack and a webhook.
 */
import { createHash, createHmac } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeGitHub, type FakeGitHub } from '../servers/fake-github.js'
import { startRecorder, type Recorder } from '../servers/recorder.js'
import { expectNoSecrets, maskedValues, runAction, type ActionResult } from './harness.js'
import {
  manifests,
  SECRETS,
  SECRETS_INPUT,
  SHA_A,
  SHA_B,
  standardEvents,
  writeRepo,
} from './fleet.js'

const REPO = 'stefanprodan/podinfo'
// design.md §3: without metadata.uid, the id is derived from the Provider's namespace and name
const UID = createHash('sha256').update('flux-system/github-status').digest('hex').slice(0, 8)
const CONTEXT = `kustomization/podinfo/${UID}`
const ALL_SECRETS = Object.values(SECRETS)

const HEALTH_MESSAGE =
  "health check failed after 5m0.041378s: timeout waiting for: [Deployment/podinfo/podinfo status: 'InProgress']"

let github: FakeGitHub
let receiver: Recorder
let repo: string

beforeEach(async () => {
  github = await startFakeGitHub({ token: SECRETS.githubToken })
  receiver = await startRecorder()
  repo = await writeRepo({
    'clusters/production/notifications.yaml': manifests(github.url, receiver.url),
    'events.json': standardEvents(),
  })
})

afterEach(async () => {
  await github.close()
  await receiver.close()
  await rm(repo, { recursive: true, force: true })
})

function run(
  extra: Record<string, string> = {},
  env: Record<string, string> = {},
): Promise<ActionResult> {
  return runAction({
    cwd: repo,
    inputs: {
      manifests: 'clusters/production',
      events: 'events.json',
      secrets: SECRETS_INPUT,
      'github-token': '',
      ...extra,
    },
    env,
  })
}

function results(result: ActionResult): Array<Record<string, string>> {
  return JSON.parse(result.outputs.results ?? '[]') as Array<Record<string, string>>
}

function statusWrites(): number {
  return github.requests.filter((r) => r.method === 'POST' && r.path.includes('/statuses/')).length
}

describe('a push run', () => {
  it('posts commit statuses, Slack messages and signed webhooks as the controller would', async () => {
    const result = await run()
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(github.violations).toEqual([])

    // GitHub: the success on the first commit, the failure on the second; nothing for Progressing.
    expect(github.statuses(REPO, SHA_A).map((s) => [s.context, s.state, s.description])).toEqual([
      [CONTEXT, 'success', 'reconciliation succeeded'],
    ])
    expect(github.statuses(REPO, SHA_B).map((s) => [s.context, s.state, s.description])).toEqual([
      [CONTEXT, 'failure', 'health check failed'],
    ])

    // Slack: the Progressing event and the failure (the commit_status update is not for chat;
    // the duplicate Progressing was rate-limited). Body per reference §5.3, fields sorted.
    const slack = receiver.requests.filter((r) => r.path === '/slack')
    expect(slack).toHaveLength(2)
    expect(slack[0]!.headers.authorization).toBe(`Bearer ${SECRETS.slackToken}`)
    expect(slack[1]!.body).toBe(
      '{"channel":"general","username":"kustomize-controller","icon_url":"","icon_emoji":"",' +
        `"attachments":[{"fallback":"kustomization/podinfo.flux-system: ${HEALTH_MESSAGE}",` +
        `"color":"danger","author_name":"kustomization/podinfo.flux-system","text":"${HEALTH_MESSAGE}",` +
        '"mrkdwn_in":["text"],"fields":[{"title":"env","value":"production","short":false},' +
        `{"title":"revision","value":"main@sha1:${SHA_B}","short":false}]}]}`,
    )

    // generic-hmac: only the error event (eventSeverity: error), the processed event as body,
    // signed with the secret token.
    const hooks = receiver.requests.filter((r) => r.path === '/hook')
    expect(hooks).toHaveLength(1)
    const hook = hooks[0]!
    expect(hook.body).toBe(
      '{"involvedObject":{"kind":"Kustomization","namespace":"flux-system","name":"podinfo",' +
        '"uid":"5c0e2f0a-8d0f-4b7e-9c39-6f4f6d1f3b21","apiVersion":"kustomize.toolkit.fluxcd.io/v1",' +
        '"resourceVersion":"184004"},"severity":"error","timestamp":"2026-07-20T10:21:07Z",' +
        `"message":"${HEALTH_MESSAGE}","reason":"HealthCheckFailed",` +
        `"metadata":{"revision":"main@sha1:${SHA_B}"},"reportingController":"kustomize-controller"}`,
    )
    const signature = createHmac('sha256', SECRETS.hmacKey).update(hook.body).digest('hex')
    expect(hook.headers['x-signature']).toBe(`sha256=${signature}`)
    expect(hook.headers['gotk-component']).toBe('kustomize-controller')

    // Outputs and the decision table.
    expect(result.outputs.sent).toBe('5')
    expect(result.outputs.failed).toBe('0')
    const rows = results(result)
    expect(rows.find((r) => r.reason?.startsWith('rate limited'))).toMatchObject({
      event: 'Kustomization/flux-system/podinfo',
      outcome: 'skipped',
      timestamp: '2026-07-20T10:01:00Z',
    })
    expect(rows.find((r) => r.sha === SHA_B)).toMatchObject({
      provider: 'flux-system/github-status',
      outcome: 'sent',
      repository: REPO,
      context: CONTEXT,
      state: 'failure',
    })
    expect(result.summary).toContain('podinfo-status')
    expect(result.summary).toContain(CONTEXT)

    // Secrets: every one registered with the runner, and none printed anywhere.
    expect(maskedValues(result.stdout)).toEqual(expect.arrayContaining(ALL_SECRETS))
    expectNoSecrets(result, ALL_SECRETS)
  })

  it('writes every decision to the file named by results-file, in the runner temp dir', async () => {
    const temp = await mkdtemp(join(tmpdir(), 'flux-notify-runner-temp-'))
    try {
      const result = await run({}, { RUNNER_TEMP: temp, GITHUB_ACTION: 'notify' })
      expect(result.code).toBe(0)
      const file = join(temp, 'flux-notify-results-notify.json')
      expect(result.outputs['results-file']).toBe(file)
      // everything fits the output here, so the file holds the same array
      expect(result.outputs['results-truncated']).toBe('false')
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(results(result))
      expectNoSecrets(result, ALL_SECRETS)
    } finally {
      await rm(temp, { recursive: true, force: true })
    }
  })

  it('writes a commit status only when it changed, across runs', async () => {
    const first = await run()
    expect(first.code).toBe(0)
    expect(statusWrites()).toBe(2)

    const second = await run()
    expect(second.code).toBe(0)
    expect(statusWrites()).toBe(2)
    expect(second.outputs.unchanged).toBe('2')
    // one read per (repository, commit), however many events concern the commit
    const reads = github.requests.filter((r) => r.method === 'GET')
    expect(reads.filter((r) => r.path.includes(`/commits/${SHA_A}/`))).toHaveLength(2)
    expect(github.violations).toEqual([])
    expectNoSecrets(second, ALL_SECRETS)
  })

  it('sees every context on a commit, not only the newest 50 statuses', async () => {
    github.seedStatus(REPO, SHA_A, {
      context: CONTEXT,
      state: 'success',
      description: 'reconciliation succeeded',
    })
    for (let i = 0; i < 120; i++) {
      github.seedStatus(REPO, SHA_A, {
        context: `ci/job-${i}`,
        state: 'success',
        description: 'ok',
      })
    }
    const result = await run()
    expect(result.code).toBe(0)
    // only the failure on the second commit is written; the first commit already shows success
    expect(github.statuses(REPO, SHA_A)).toHaveLength(121)
    expect(statusWrites()).toBe(1)
    expect(results(result).find((r) => r.sha === SHA_A)?.outcome).toBe('unchanged')
    expect(github.violations).toEqual([])
  })

  it('reports what it would send in a dry run, and sends nothing', async () => {
    const result = await run({ 'dry-run': 'true' })
    expect(result.code).toBe(0)
    expect(github.requests).toEqual([])
    expect(receiver.requests).toEqual([])
    expect(result.outputs.sent).toBe('0')
    const dry = results(result).filter((r) => r.outcome === 'dry-run')
    expect(dry).toHaveLength(5)
    expect(dry.find((r) => r.sha === SHA_B)).toMatchObject({ state: 'failure', context: CONTEXT })
    expectNoSecrets(result, ALL_SECRETS)
  })
})

describe('failures', () => {
  it('retries 500 and 429 with Retry-After, then delivers', async () => {
    receiver.respond('/slack', [{ status: 500 }])
    receiver.respond('/hook', [{ status: 429, headers: { 'retry-after': '1' } }])
    github.failNext(1, { status: 500 })
    const result = await run()
    expect(result.code).toBe(0)
    expect(result.outputs.failed).toBe('0')
    expect(result.outputs.sent).toBe('5')
    // 2 Slack deliveries + 1 retry; 1 webhook + 1 retry
    expect(receiver.requests.filter((r) => r.path === '/slack')).toHaveLength(3)
    expect(receiver.requests.filter((r) => r.path === '/hook')).toHaveLength(2)
    expect(github.statuses(REPO, SHA_B)).toHaveLength(1)
    expect(github.violations).toEqual([])
  })

  it('fails one provider without stopping the others, and masks a token echoed back', async () => {
    receiver.respond('/slack', [
      { status: 400, body: `invalid_auth: token ${SECRETS.slackToken} is revoked` },
      { status: 400, body: `invalid_auth: token ${SECRETS.slackToken} is revoked` },
    ])
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.outputs.failed).toBe('2')
    expect(result.outputs.sent).toBe('3')
    const failed = results(result).filter((r) => r.outcome === 'failed')
    expect(failed.map((r) => r.provider)).toEqual(['flux-system/slack', 'flux-system/slack'])
    expect(failed[0]!.reason).toContain(
      'request failed with status code 400: invalid_auth: token *****',
    )
    // GitHub and the webhook were delivered all the same
    expect(github.statuses(REPO, SHA_B)).toHaveLength(1)
    expect(receiver.requests.filter((r) => r.path === '/hook')).toHaveLength(1)
    expect(result.stdout).toContain('::error::')
    expectNoSecrets(result, ALL_SECRETS)
  })

  it('does not fail the step for a failed delivery when fail-on-error is false', async () => {
    receiver.respond('/hook', [{ status: 400, body: 'bad request' }])
    const result = await run({ 'fail-on-error': 'false' })
    expect(result.code).toBe(0)
    expect(result.outputs.failed).toBe('1')
  })

  it('reports a bad manifest on its file and line, and still delivers the good ones', async () => {
    await writeFile(
      join(repo, 'clusters/production/broken.yaml'),
      [
        'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
        'kind: Provider',
        'metadata:',
        '  name: teams',
        '  namespace: flux-system',
        'spec:',
        '  type: msteam',
        '  address: https://example.invalid/hook',
        '',
      ].join('\n'),
    )
    const result = await run()
    expect(result.code).toBe(1)
    const annotation = result.annotations.find(
      (a) => a.startsWith('::error') && a.includes('broken.yaml'),
    )
    expect(annotation).toBeDefined()
    expect(annotation).toMatch(/file=clusters\/production\/broken\.yaml,line=7/)
    expect(annotation).toContain('msteam')
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/)
    // the rest of the run went on
    expect(github.statuses(REPO, SHA_B)).toHaveLength(1)
    expect(receiver.requests.filter((r) => r.path === '/slack')).toHaveLength(2)
  })
})

describe('a repository_dispatch run', () => {
  it('reads the Flux event from the dispatch payload when events is empty', async () => {
    const payload = {
      action: 'Kustomization/podinfo.flux-system',
      branch: 'main',
      client_payload: {
        involvedObject: {
          kind: 'Kustomization',
          namespace: 'flux-system',
          name: 'podinfo',
          uid: '5c0e2f0a-8d0f-4b7e-9c39-6f4f6d1f3b21',
          apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          resourceVersion: '186102',
        },
        severity: 'error',
        timestamp: '2026-07-20T10:21:07Z',
        message: HEALTH_MESSAGE,
        reason: 'HealthCheckFailed',
        metadata: { cluster: 'staging-1', revision: `main@sha1:${SHA_B}` },
        reportingController: 'kustomize-controller',
        reportingInstance: 'kustomize-controller-5f7c8d9b6c-x2x9l',
      },
      repository: { full_name: REPO },
      sender: { login: 'flux-bot' },
    }
    const eventPath = join(repo, 'dispatch.json')
    await writeFile(eventPath, JSON.stringify(payload))
    const result = await run(
      { events: '' },
      { GITHUB_EVENT_NAME: 'repository_dispatch', GITHUB_EVENT_PATH: eventPath },
    )
    expect(result.code).toBe(0)
    expect(github.statuses(REPO, SHA_B).map((s) => [s.context, s.state])).toEqual([
      [CONTEXT, 'failure'],
    ])
    const hook = receiver.requests.find((r) => r.path === '/hook')
    expect(JSON.parse(hook!.body).metadata).toEqual({
      cluster: 'staging-1',
      revision: `main@sha1:${SHA_B}`,
    })
    expect(github.violations).toEqual([])
    expectNoSecrets(result, ALL_SECRETS)
  })
})
