/**
 * End to end: `events: artifact:<name>` through the bundle. The artifact (a zip holding a gzipped
 * `kubectl get events -o json` export under a nested path) is listed and downloaded from the fake
 * GitHub named by GITHUB_API_URL with the `github-token` input, the storage host never sees that
 * token, and its events are delivered like those of a file.
 */
import { gzipSync } from 'node:zlib'
import { rm } from 'node:fs/promises'
import { strToU8, zipSync } from 'fflate'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeGitHub, type FakeGitHub } from '../servers/fake-github.js'
import { startRecorder, type Recorder } from '../servers/recorder.js'
import { expectNoSecrets, runAction, type ActionResult } from './harness.js'
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
const RUN_ID = '7001'
/** the workflow's `GITHUB_TOKEN`, given as `github-token` */
const WORKFLOW_TOKEN = 'ghs_e2eWorkflowToken0123456789abcdefABCD'
const ALL_SECRETS = [...Object.values(SECRETS), WORKFLOW_TOKEN]

let github: FakeGitHub
let receiver: Recorder
let repo: string

beforeEach(async () => {
  // any token: the provider's secret token writes statuses, the workflow token reads artifacts
  github = await startFakeGitHub()
  receiver = await startRecorder()
  repo = await writeRepo({
    'clusters/production/notifications.yaml': manifests(github.url, receiver.url),
  })
})

afterEach(async () => {
  await github.close()
  await receiver.close()
  await rm(repo, { recursive: true, force: true })
})

function run(events: string): Promise<ActionResult> {
  return runAction({
    cwd: repo,
    inputs: {
      manifests: 'clusters/production',
      events,
      secrets: SECRETS_INPUT,
      'github-token': WORKFLOW_TOKEN,
    },
    env: { GITHUB_API_URL: github.apiUrl, GITHUB_RUN_ID: RUN_ID, GITHUB_REPOSITORY: REPO },
  })
}

describe('events from an artifact', () => {
  it("delivers the events of this run's artifact, the token going to GitHub only", async () => {
    github.addArtifact(REPO, Number(RUN_ID), {
      name: 'flux-events',
      zip: zipSync({
        'clusters/production/events.json.gz': gzipSync(standardEvents()),
        'exported-by.txt': strToU8('nightly export\n'),
      }),
    })
    const result = await run('artifact:flux-events')

    expect(result.stderr).toBe('')
    expect(github.violations).toEqual([])

    // the same deliveries as the file (action.test.ts): statuses on both commits, two Slack
    // messages, one signed webhook
    expect(github.statuses(REPO, SHA_A).map((s) => s.state)).toEqual(['success'])
    expect(github.statuses(REPO, SHA_B).map((s) => s.state)).toEqual(['failure'])
    expect(receiver.requests.filter((r) => r.path === '/slack')).toHaveLength(2)
    expect(receiver.requests.filter((r) => r.path === '/hook')).toHaveLength(1)
    expect(result.outputs.sent).toBe('5')
    const rows = JSON.parse(result.outputs.results ?? '[]') as Array<Record<string, string>>
    // `<source>:<line>`: named by its path inside the artifact
    expect(rows).not.toHaveLength(0)
    for (const row of rows) {
      expect(row.source).toMatch(
        /^artifact:flux-events\/clusters\/production\/events\.json\.gz:\d+$/u,
      )
    }

    // the text file is an error naming it inside the artifact: no repository file, so the place
    // is in the message rather than a `file=` GitHub could not show; the step fails
    expect(result.annotations).toContain(
      '::error title=flux-notify::artifact:flux-events/exported-by.txt:1: not JSON or YAML events (expected Flux events, a Kubernetes Event list or a repository_dispatch payload)',
    )
    expect(result.code).toBe(1)

    // the artifact was read with the workflow token, and the storage got no Authorization
    const list = github.requests.find(
      (r) => r.operationId === 'actions/list-workflow-run-artifacts',
    )
    expect(list?.path).toContain(`/repos/${REPO}/actions/runs/${RUN_ID}/artifacts?`)
    expect(list?.headers.authorization).toBe(`token ${WORKFLOW_TOKEN}`)
    expect(github.storageRequests).toHaveLength(1)
    expect(github.storageRequests[0]!.headers.authorization).toBeUndefined()

    expectNoSecrets(result, ALL_SECRETS)
  })

  it('an artifact missing from the named run fails the step with one line naming the entry', async () => {
    const result = await run('artifact:flux-events@8080')
    expect(result.code).toBe(1)
    expect(github.violations).toEqual([])
    expect(result.stdout).toContain(
      `artifact:flux-events@8080: no artifact named "flux-events" in run (8080) of ${REPO}`,
    )
    expect(receiver.requests).toEqual([])
    expectNoSecrets(result, ALL_SECRETS)
  })
})
