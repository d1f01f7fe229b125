/**
 * `npm run demo` (scripts/demo.mjs): its loopback receiver, what it prints, and its wiring around
 * the CLI. The real CLI is exercised end to end elsewhere; here a stand-in `dist/cli.js` in a copy
 * of the layout checks the arguments, the secrets file, output forwarding and the exit code.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const DEMO = path.join(ROOT, 'scripts/demo.mjs')

interface RecordedRequest {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  body: string
}
interface Receiver {
  url: string
  requests: RecordedRequest[]
  close(): Promise<void>
}
interface DemoModule {
  startReceiver(): Promise<Receiver>
  formatRequests(requests: RecordedRequest[]): string
  maskCredential(value: string): string
  demoSecrets(baseUrl: string): Record<string, { token: string; address: string }>
  secretsYaml(secrets: Record<string, Record<string, string>>): string
}

const demo = (await import(DEMO)) as DemoModule

describe('demo receiver', () => {
  let receiver: Receiver
  beforeAll(async () => {
    receiver = await demo.startReceiver()
  })
  afterAll(async () => {
    await receiver.close()
  })

  it('listens on 127.0.0.1 only', () => {
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('answers the GitHub combined status with nothing yet', async () => {
    const sha = 'b1f18428429814e42a5dc79477342003cd8fc085'
    const res = await fetch(
      `${receiver.url}/api/v3/repos/stefanprodan/podinfo/commits/${sha}/status?per_page=100`,
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ state: 'pending', statuses: [], total_count: 0, sha })
  })

  it('answers a status creation with 201 and a status echoing the request', async () => {
    const sha = 'e8cc4ed6b8cc63c8b94da4f415930f506ba29fba'
    const res = await fetch(`${receiver.url}/api/v3/repos/stefanprodan/podinfo/statuses/${sha}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer ghp-demo-not-a-real-token',
      },
      body: JSON.stringify({
        state: 'failure',
        description: 'health check failed',
        context: 'kustomization/podinfo/1a2b3c4d',
      }),
    })
    expect(res.status).toBe(201)
    expect(await res.json()).toMatchObject({
      state: 'failure',
      description: 'health check failed',
      context: 'kustomization/podinfo/1a2b3c4d',
    })
  })

  it('answers Slack with ok and anything else with 200', async () => {
    const slack = await fetch(`${receiver.url}/api/chat.postMessage`, {
      method: 'POST',
      body: '{}',
    })
    expect(await slack.json()).toEqual({ ok: true })
    const hook = await fetch(`${receiver.url}/hooks/flux`, { method: 'POST', body: 'x' })
    expect(hook.status).toBe(200)
  })

  it('records every request with its method, path, headers and body', () => {
    expect(receiver.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      'GET /api/v3/repos/stefanprodan/podinfo/commits/b1f18428429814e42a5dc79477342003cd8fc085/status',
      'POST /api/v3/repos/stefanprodan/podinfo/statuses/e8cc4ed6b8cc63c8b94da4f415930f506ba29fba',
      'POST /api/chat.postMessage',
      'POST /hooks/flux',
    ])
    expect(receiver.requests[1]!.headers.authorization).toBe('Bearer ghp-demo-not-a-real-token')
    expect(receiver.requests[3]!.body).toBe('x')
  })
})

describe('demo output', () => {
  it('cuts credentials after their prefix', () => {
    expect(demo.maskCredential('Bearer xoxb-demo-not-a-real-token')).toBe('Bearer xoxb-…')
    expect(demo.maskCredential('token ghp_0123456789abcdef')).toBe('token ghp_…')
    expect(demo.maskCredential('Bearer 0123456789abcdef')).toBe('Bearer …')
    expect(demo.maskCredential('Basic dXNlcjpwYXNz')).toBe('Basic …')
  })

  it('groups requests per endpoint, shows the interesting headers and re-indents JSON', () => {
    const text = demo.formatRequests([
      {
        method: 'POST',
        path: '/api/chat.postMessage',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer xoxb-demo-not-a-real-token',
          'user-agent': 'Go-http-client/1.1',
        },
        body: '{"channel":"general","attachments":[{"color":"danger"}]}',
      },
      {
        method: 'POST',
        path: '/hooks/flux',
        headers: {
          'content-type': 'application/json',
          'x-signature': 'sha256=65b0185',
          'gotk-component': 'kustomize-controller',
        },
        body: '{"severity":"error"}',
      },
    ])
    expect(text).toContain(
      [
        'Slack (Provider flux-system/slack-bot, type slack) received 1 request:',
        '  POST /api/chat.postMessage',
        '    content-type: application/json',
        '    authorization: Bearer xoxb-…',
        '    {',
        '      "channel": "general",',
        '      "attachments": [',
        '        {',
        '          "color": "danger"',
        '        }',
        '      ]',
        '    }',
        '',
        'CI webhook (Provider flux-system/ci-webhook, type generic-hmac) received 1 request:',
        '  POST /hooks/flux',
        '    content-type: application/json',
        '    x-signature: sha256=65b0185',
        '    gotk-component: kustomize-controller',
        '    {',
        '      "severity": "error"',
        '    }',
      ].join('\n'),
    )
    expect(text).not.toContain('not-a-real-token')
    expect(text).not.toContain('user-agent')
  })

  it('writes the secrets file as a YAML map of the example secrets with loopback addresses', () => {
    const yaml = demo.secretsYaml(demo.demoSecrets('http://127.0.0.1:4567'))
    expect(yaml).toBe(
      [
        '"slack-bot-token":',
        '  "token": "xoxb-demo-not-a-real-token"',
        '  "address": "http://127.0.0.1:4567/api/chat.postMessage"',
        '"github":',
        '  "token": "ghp-demo-not-a-real-token"',
        '  "address": "http://127.0.0.1:4567/stefanprodan/podinfo"',
        '"ci-webhook":',
        '  "token": "demo-hmac-key-not-a-real-secret"',
        '  "address": "http://127.0.0.1:4567/hooks/flux"',
        '',
      ].join('\n'),
    )
  })
})

/** A stand-in for the bundled CLI: checks its arguments, posts one Slack message, exits 1. */
const FAKE_CLI = `
import fs from 'node:fs'
const args = process.argv.slice(2)
const flag = (name) => args[args.indexOf(name) + 1]
const secretsFile = flag('--secrets-file')
const secrets = fs.readFileSync(secretsFile, 'utf8')
const address = /"address": "(http:[^"]*chat.postMessage)"/.exec(secrets)[1]
const token = /"token": "(xoxb-[^"]*)"/.exec(secrets)[1]
const res = await fetch(address, { method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' }, body: '{"channel":"general"}' })
console.log('FAKE TABLE ' + JSON.stringify({ args, cwd: process.cwd(), slack: await res.json(), proxyBypass: process.env.NO_PROXY, actions: process.env.GITHUB_ACTIONS ?? null }))
console.log('SECRETS FILE ' + secretsFile)
process.exitCode = 1
`

function run(
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, '--dry-run'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('demo wiring', () => {
  let dir: string
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'demo-wiring-'))
    await fs.mkdir(path.join(dir, 'scripts'))
    await fs.copyFile(DEMO, path.join(dir, 'scripts/demo.mjs'))
  })
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('asks for the bundle when dist/cli.js is missing', async () => {
    const result = await run(path.join(dir, 'scripts/demo.mjs'), process.env)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('dist/cli.js not found')
  })

  it('runs the CLI on the examples, forwards its output and exit code, then shows what was received', async () => {
    await fs.mkdir(path.join(dir, 'dist'), { recursive: true })
    await fs.writeFile(path.join(dir, 'dist/cli.js'), FAKE_CLI)
    const result = await run(path.join(dir, 'scripts/demo.mjs'), {
      ...process.env,
      GITHUB_ACTIONS: 'true',
    })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(1)

    const report = JSON.parse(/FAKE TABLE (.*)/.exec(result.stdout)![1]!) as {
      args: string[]
      cwd: string
      slack: unknown
      proxyBypass: string
      actions: string | null
    }
    expect(report.args).toEqual([
      '--manifests',
      'examples/manifests',
      '--events',
      'examples/events/kubectl-events.json',
      '--secrets-file',
      expect.stringMatching(/secrets\.yaml$/),
      '--dry-run',
    ])
    expect(await fs.realpath(report.cwd)).toBe(await fs.realpath(dir))
    expect(report.slack).toEqual({ ok: true })
    expect(report.proxyBypass.split(',')).toContain('127.0.0.1')
    expect(report.actions).toBeNull()

    // The received requests come after the CLI's own output, tokens cut.
    expect(result.stdout.indexOf('FAKE TABLE')).toBeLessThan(
      result.stdout.indexOf('received 1 request'),
    )
    expect(result.stdout).toContain(
      'Slack (Provider flux-system/slack-bot, type slack) received 1 request:',
    )
    expect(result.stdout).toContain('    authorization: Bearer xoxb-…')
    expect(result.stdout).not.toContain('xoxb-demo-not-a-real-token')

    // The temporary secrets file is gone.
    const secretsFile = /SECRETS FILE (.*)/.exec(result.stdout)![1]!
    expect(existsSync(secretsFile)).toBe(false)
    expect(existsSync(path.dirname(secretsFile))).toBe(false)
  })
})
