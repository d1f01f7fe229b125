/**
 * `artifact:<name>[@<run-id>]` event sources against the fake GitHub (every request checked
 * against GitHub's OpenAPI description): the newest live artifact of the run is found by name,
 * downloaded through the API's 302 to a stand-in storage host that must never see the token, and
 * every file in the zip is parsed (nested paths, gzip, directories skipped, path order), each
 * named `artifact:<name>/<path>`. Every failure is one error naming the entry, without the token.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { strToU8, zipSync } from 'fflate'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { readArtifactEvents, readEventZip } from '../../src/sources/artifact.js'
import { startFakeGitHub, type FakeGitHub } from '../servers/fake-github.js'

const fixtures = fileURLToPath(new URL('../fixtures/events/', import.meta.url))
const fixture = (name: string) => readFile(path.join(fixtures, name))

const TOKEN = 'ghs_artifactReaderToken0123456789abcdef'
const REPO = 'acme/fleet'
const THIS_RUN = 100
const OTHER_RUN = 4242

// The reasons of the events in the fixtures, in file order (read off the files).
const CONTROLLER_REASONS = [
  'ReconciliationSucceeded',
  'Progressing',
  'HealthCheckFailed',
  'UpgradeFailed',
  'NewArtifact',
  'GitOperationFailed',
  'Succeeded',
]
const WEBHOOK_REASONS = [
  'Progressing',
  'ReconciliationSucceeded',
  'HealthCheckFailed',
  'UpgradeFailed',
  'NewArtifact',
  'DependencyNotReady',
  'NewArtifact',
]
// kubectl-get-events.json: the Pod event is not Flux's and the trace event is dropped
// (event-data reference §5.2).
const KUBECTL_REASONS = [
  'ReconciliationSucceeded',
  'HealthCheckFailed',
  'UpgradeFailed',
  'NewArtifact',
  'GitOperationFailed',
  'ReconciliationSucceeded',
]

let fake: FakeGitHub
let controllerEvents: Uint8Array
let webhookEvents: Uint8Array
let kubectlEvents: Uint8Array
const messages: string[] = []

beforeAll(async () => {
  fake = await startFakeGitHub({ token: TOKEN })
  controllerEvents = await fixture('controller-events.json')
  webhookEvents = await fixture('generic-webhook.ndjson')
  kubectlEvents = await fixture('kubectl-get-events.json')
})
afterEach(() => {
  expect(fake.violations).toEqual([])
})
afterAll(async () => {
  // whatever went wrong in any test, no message showed the token
  for (const message of messages) expect(message).not.toContain(TOKEN)
  await fake.close()
})

const env = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => ({
  GITHUB_REPOSITORY: REPO,
  GITHUB_RUN_ID: String(THIS_RUN),
  GITHUB_API_URL: fake.apiUrl,
  ...extra,
})

async function read(
  name: string,
  runId?: string,
  options: { token?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const parsed = await readArtifactEvents(name, runId, {
    token: options.token ?? TOKEN,
    env: options.env ?? env(),
  })
  for (const problem of parsed.problems) messages.push(problem.message)
  return parsed
}

/** Errors only: kubectl-get-events.json also earns a warning about an aggregated event. */
const errors = (parsed: { problems: { severity: string }[] }) =>
  parsed.problems.filter((p) => p.severity === 'error')

let uniqueRun = 9000
/** A run of its own for each test, so artifacts added by one test do not meet another's. */
const newRun = () => uniqueRun++

describe('finding the artifact', () => {
  it("reads this run's artifact: listed by name, downloaded from storage without the token", async () => {
    fake.addArtifact(REPO, THIS_RUN, {
      name: 'flux-events',
      zip: zipSync({ 'events.json': controllerEvents }),
    })
    const before = fake.storageRequests.length
    const parsed = await read('flux-events')

    expect(errors(parsed)).toEqual([])
    expect(parsed.events.map((e) => e.event.reason)).toEqual(CONTROLLER_REASONS)
    expect(new Set(parsed.events.map((e) => e.origin.source))).toEqual(
      new Set(['artifact:flux-events/events.json']),
    )

    const apiCalls = fake.requests.filter((r) => r.operationId?.startsWith('actions/'))
    const list = apiCalls.find((r) => r.operationId === 'actions/list-workflow-run-artifacts')
    expect(list?.path).toContain(`/repos/${REPO}/actions/runs/${THIS_RUN}/artifacts?`)
    expect(list?.path).toContain('name=flux-events')
    expect(apiCalls.map((r) => r.headers.authorization)).toContain(`token ${TOKEN}`)
    const download = apiCalls.find((r) => r.operationId === 'actions/download-artifact')
    expect(download?.status).toBe(302)

    const storage = fake.storageRequests.slice(before)
    expect(storage).toHaveLength(1)
    expect(storage[0]!.status).toBe(200)
    expect(storage[0]!.headers.authorization).toBeUndefined()
  })

  it('reads the artifact of another run with @<run-id>, without needing GITHUB_RUN_ID', async () => {
    fake.addArtifact(REPO, OTHER_RUN, {
      name: 'exported',
      zip: zipSync({ 'watch.ndjson': webhookEvents }),
    })
    const parsed = await read('exported', String(OTHER_RUN), {
      env: env({ GITHUB_RUN_ID: undefined }),
    })
    expect(errors(parsed)).toEqual([])
    expect(parsed.events.map((e) => e.event.reason)).toEqual(WEBHOOK_REASONS)
    expect(parsed.events[0]!.origin.source).toBe(`artifact:exported@${OTHER_RUN}/watch.ndjson`)
  })

  it('takes the newest of two artifacts with the name (a re-run attempt uploads it again)', async () => {
    const run = newRun()
    fake.addArtifact(REPO, run, {
      name: 'flux-events',
      zip: zipSync({ 'old.json': controllerEvents }),
      createdAt: new Date(Date.now() - 3600_000),
    })
    fake.addArtifact(REPO, run, {
      name: 'flux-events',
      zip: zipSync({ 'new.json': kubectlEvents }),
      createdAt: new Date(Date.now() - 60_000),
    })
    fake.addArtifact(REPO, run, {
      name: 'flux-events-2',
      zip: zipSync({ 'x.json': webhookEvents }),
    })
    const parsed = await read('flux-events', String(run))
    expect(errors(parsed)).toEqual([])
    expect(parsed.events.map((e) => e.event.reason)).toEqual(KUBECTL_REASONS)
    expect(parsed.events[0]!.origin.source).toBe(`artifact:flux-events@${run}/new.json`)
  })

  it('takes an older artifact when the newest has expired', async () => {
    const run = newRun()
    fake.addArtifact(REPO, run, {
      name: 'flux-events',
      zip: zipSync({ 'live.json': controllerEvents }),
      createdAt: new Date(Date.now() - 3600_000),
    })
    fake.addArtifact(REPO, run, {
      name: 'flux-events',
      zip: zipSync({ 'gone.json': kubectlEvents }),
      expired: true,
    })
    const parsed = await read('flux-events', String(run))
    expect(errors(parsed)).toEqual([])
    expect(parsed.events[0]!.origin.source).toBe(`artifact:flux-events@${run}/live.json`)
  })

  it('follows the pages of the listing', async () => {
    const run = newRun()
    const old = Date.now() - 24 * 3600_000
    for (let i = 0; i < 100; i++) {
      fake.addArtifact(REPO, run, {
        name: 'flux-events',
        zip: zipSync({ 'old.json': controllerEvents }),
        expired: true,
        createdAt: new Date(old + i * 1000),
      })
    }
    // the oldest, and the only live one: GitHub lists newest first, so it is on page 2
    fake.addArtifact(REPO, run, {
      name: 'flux-events',
      zip: zipSync({ 'kept.json': kubectlEvents }),
      createdAt: new Date(old - 1000),
    })
    const parsed = await read('flux-events', String(run))
    expect(errors(parsed)).toEqual([])
    expect(parsed.events[0]!.origin.source).toBe(`artifact:flux-events@${run}/kept.json`)
  })
})

describe('failures are one error naming the entry', () => {
  it('no artifact with the name in the run', async () => {
    const run = newRun()
    fake.addArtifact(REPO, run, { name: 'other', zip: zipSync({ 'e.json': controllerEvents }) })
    const parsed = await read('flux-events', String(run))
    expect(parsed.events).toEqual([])
    expect(parsed.problems).toEqual([
      {
        severity: 'error',
        message: `artifact:flux-events@${run}: no artifact named "flux-events" in run (${run}) of ${REPO}`,
      },
    ])
  })

  it('every artifact with the name has expired', async () => {
    const run = newRun()
    const created = new Date('2026-01-10T08:00:00Z')
    fake.addArtifact(REPO, run, {
      name: 'flux-events',
      zip: zipSync({ 'e.json': controllerEvents }),
      expired: true,
      createdAt: created,
    })
    const parsed = await read('flux-events', String(run))
    expect(parsed.events).toEqual([])
    // the fake keeps artifacts 90 days, like GitHub by default
    expect(parsed.problems).toEqual([
      {
        severity: 'error',
        message: `artifact:flux-events@${run}: the artifact "flux-events" of run (${run}) of ${REPO} expired on 2026-04-10T08:00:00Z`,
      },
    ])
  })

  it('the storage refuses the download: the HTTP status, the host, never the signed URL', async () => {
    const run = newRun()
    const artifact = fake.addArtifact(REPO, run, {
      name: 'flux-events',
      zip: zipSync({ 'e.json': controllerEvents }),
    })
    fake.failStorageNext(1, 503)
    const parsed = await read('flux-events', String(run))
    expect(parsed.events).toEqual([])
    const host = new URL(fake.storageUrl).host
    expect(parsed.problems).toEqual([
      {
        severity: 'error',
        message: `artifact:flux-events@${run}: cannot download the artifact "flux-events" (id ${artifact.id}) of run (${run}) of ${REPO} from ${host}: HTTP 503 Service Unavailable`,
      },
    ])
  })

  it('the API refuses the listing: its status and message, with a hint about the permission', async () => {
    fake.failNext(1, {
      status: 403,
      body: JSON.stringify({ message: 'Resource not accessible by integration', status: '403' }),
    })
    const parsed = await read('flux-events', String(OTHER_RUN))
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]!.message).toBe(
      `artifact:flux-events@${OTHER_RUN}: cannot list the artifacts of run (${OTHER_RUN}) of ${REPO}: HTTP 403 Resource not accessible by integration (does the run exist, and does the token have the permission actions: read?)`,
    )
  })

  it('a wrong token: 401, and the token is not in the message', async () => {
    const wrong = 'ghp_notTheRightToken000000000000000000'
    const parsed = await readArtifactEvents('flux-events', undefined, { token: wrong, env: env() })
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]!.message).toMatch(
      /^artifact:flux-events: cannot list the artifacts of this run \(100\) of acme\/fleet: HTTP 401 Bad credentials/u,
    )
    expect(parsed.problems[0]!.message).not.toContain(wrong)
  })

  it('a server echoing the token in its error: the token is replaced', async () => {
    fake.failNext(1, {
      status: 422,
      body: JSON.stringify({ message: `token ${TOKEN} is not allowed here`, status: '422' }),
    })
    const parsed = await read('flux-events', String(OTHER_RUN))
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]!.message).not.toContain(TOKEN)
    expect(parsed.problems[0]!.message).toContain('HTTP 422 token *** is not allowed here')
  })

  it('not in Actions, or no token: says what is missing', async () => {
    const noRepository = await read('flux-events', undefined, {
      env: env({ GITHUB_REPOSITORY: undefined }),
    })
    const noRun = await read('flux-events', undefined, { env: env({ GITHUB_RUN_ID: undefined }) })
    const noToken = await read('flux-events', String(OTHER_RUN), { token: '' })
    expect([...noRepository.problems, ...noRun.problems, ...noToken.problems]).toEqual([
      {
        severity: 'error',
        message:
          'artifact:flux-events: GITHUB_REPOSITORY is not set: artifacts can only be read inside GitHub Actions',
      },
      {
        severity: 'error',
        message:
          'artifact:flux-events: GITHUB_RUN_ID is not set: artifacts of this run can only be read inside GitHub Actions',
      },
      {
        severity: 'error',
        message: `artifact:flux-events@${OTHER_RUN}: no github-token to read artifacts with (it needs the permission actions: read)`,
      },
    ])
  })
})

describe('the files inside', () => {
  it('reads every file in path order, nested paths and gzip included, directories skipped', async () => {
    const run = newRun()
    fake.addArtifact(REPO, run, {
      name: 'flux-events',
      zip: zipSync({
        'z-last.json': controllerEvents,
        clusters: { staging: { 'watch.ndjson.gz': gzipSync(webhookEvents) } },
        'a-first.json': kubectlEvents,
      }),
    })
    const parsed = await read('flux-events', String(run))
    expect(errors(parsed)).toEqual([])
    const prefix = `artifact:flux-events@${run}/`
    expect(parsed.events.map((e) => [e.origin.source, e.event.reason])).toEqual([
      ...KUBECTL_REASONS.map((r) => [`${prefix}a-first.json`, r]),
      ...WEBHOOK_REASONS.map((r) => [`${prefix}clusters/staging/watch.ndjson.gz`, r]),
      ...CONTROLLER_REASONS.map((r) => [`${prefix}z-last.json`, r]),
    ])
    expect(parsed.ignored).toEqual({ nonFlux: 1, trace: 1 })
  })

  it('a file that holds no events is a problem naming artifact:<name>/<path>; the others are read', async () => {
    const run = newRun()
    fake.addArtifact(REPO, run, {
      name: 'flux-events',
      zip: zipSync({
        'README.txt': strToU8('exported by the nightly job\n'),
        'e.json': controllerEvents,
      }),
    })
    const parsed = await read('flux-events', String(run))
    expect(parsed.events.map((e) => e.event.reason)).toEqual(CONTROLLER_REASONS)
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]!.severity).toBe('error')
    expect(parsed.problems[0]!.location?.file).toBe(`artifact:flux-events@${run}/README.txt`)
  })

  it('not a zip archive', async () => {
    const run = newRun()
    fake.addArtifact(REPO, run, { name: 'flux-events', zip: strToU8('{"this": "is json"}') })
    const parsed = await read('flux-events', String(run))
    expect(parsed.events).toEqual([])
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]!.message).toMatch(
      new RegExp(`^artifact:flux-events@${run}: not a valid zip archive \\(`, 'u'),
    )
  })

  it('an archive with nothing but directories', async () => {
    const run = newRun()
    fake.addArtifact(REPO, run, { name: 'flux-events', zip: zipSync({ empty: {} }) })
    const parsed = await read('flux-events', String(run))
    expect(parsed.problems).toEqual([
      { severity: 'error', message: `artifact:flux-events@${run}: the artifact holds no files` },
    ])
  })

  it('a zip bomb: an entry declaring more than 512 MiB is refused before inflating', async () => {
    const run = newRun()
    const zip = declareSizes(zipSync({ 'events.json': controllerEvents }), [600 * 1024 * 1024])
    fake.addArtifact(REPO, run, { name: 'flux-events', zip })
    const parsed = await read('flux-events', String(run))
    expect(parsed.events).toEqual([])
    expect(parsed.problems).toEqual([
      {
        severity: 'error',
        message: `artifact:flux-events@${run}: events.json: inflates to 629145600 bytes, more than 512 MiB; refusing to unzip it`,
      },
    ])
  })
})

describe('readEventZip (no server)', () => {
  it('refuses entries that together declare more than 512 MiB', () => {
    const zip = declareSizes(zipSync({ 'a.json': controllerEvents, 'b.json': controllerEvents }), [
      300 * 1024 * 1024,
      300 * 1024 * 1024,
    ])
    expect(readEventZip(zip, 'artifact:x').problems).toEqual([
      {
        severity: 'error',
        message:
          'artifact:x: its files inflate to 629145600 bytes, more than 512 MiB in total; refusing to unzip it',
      },
    ])
  })

  it('an entry that inflates past the size it declares is cut there, not grown', () => {
    const zip = declareSizes(zipSync({ 'a.json': controllerEvents }), [64])
    const parsed = readEventZip(zip, 'artifact:x')
    expect(parsed.events).toEqual([])
    expect(parsed.problems.length).toBeGreaterThan(0)
    expect(parsed.problems[0]!.location?.file).toBe('artifact:x/a.json')
  })
})

/**
 * The zip with the uncompressed sizes of its entries (in order) rewritten in both the local
 * headers and the central directory: what a zip bomb declares, without building one.
 */
function declareSizes(zip: Uint8Array, sizes: number[]): Uint8Array {
  const out = new Uint8Array(zip)
  const view = new DataView(out.buffer)
  let local = 0
  let central = 0
  for (let offset = 0; offset + 4 <= out.length; offset++) {
    const signature = view.getUint32(offset, true)
    if (signature === 0x04034b50 && local < sizes.length) {
      view.setUint32(offset + 22, sizes[local++]!, true)
    } else if (signature === 0x02014b50 && central < sizes.length) {
      view.setUint32(offset + 24, sizes[central++]!, true)
    }
  }
  expect([local, central]).toEqual([sizes.length, sizes.length])
  return out
}
