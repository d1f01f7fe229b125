#!/usr/bin/env node
/**
 * `npm run demo`: runs the bundled CLI (`dist/cli.js`) on `examples/` against one loopback HTTP
 * receiver that stands in for Slack, the GitHub API and a CI webhook, then prints what each of them
 * received. No network and no tokens: the example Secrets' addresses are overridden with loopback
 * URLs through `--secrets-file` (the controller lets a Secret's `address` replace `spec.address`),
 * and their tokens are the examples' placeholders.
 *
 * Plain Node, no dependencies, so it runs right after `npm ci`. Extra arguments are passed on to
 * the CLI: `npm run demo -- --dry-run`.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, realpathSync } from 'node:fs'
import fs from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/**
 * The example Secrets (`examples/manifests/*.yaml`) with the same placeholder tokens, each with an
 * `address` on the receiver. A `--secrets-file` entry replaces the manifest Secret of that name, so
 * every key the Provider needs is repeated here.
 */
export const DEMO_ENDPOINTS = [
  {
    secret: 'slack-bot-token',
    token: 'xoxb-demo-not-a-real-token',
    path: '/api/chat.postMessage',
    label: 'Slack (Provider flux-system/slack-bot, type slack)',
    matches: (p) => p === '/api/chat.postMessage',
  },
  {
    secret: 'github',
    token: 'ghp-demo-not-a-real-token',
    // A github Provider whose host is not github.com talks to `<host>/api/v3`, like GitHub
    // Enterprise: this address puts the API on the receiver.
    path: '/stefanprodan/podinfo',
    label: 'GitHub API (Provider flux-system/flux-system, type github)',
    matches: (p) => p.startsWith('/api/v3/'),
  },
  {
    secret: 'ci-webhook',
    token: 'demo-hmac-key-not-a-real-secret',
    path: '/hooks/flux',
    label: 'CI webhook (Provider flux-system/ci-webhook, type generic-hmac)',
    matches: (p) => p === '/hooks/flux',
  },
]

/** `{ secretName: { token, address } }` for a receiver at `baseUrl`. */
export function demoSecrets(baseUrl) {
  return Object.fromEntries(
    DEMO_ENDPOINTS.map((e) => [e.secret, { token: e.token, address: `${baseUrl}${e.path}` }]),
  )
}

/** A YAML map of maps; values are double-quoted (JSON strings are valid YAML scalars). */
export function secretsYaml(secrets) {
  const lines = []
  for (const [name, data] of Object.entries(secrets)) {
    lines.push(`${JSON.stringify(name)}:`)
    for (const [key, value] of Object.entries(data)) {
      lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)}`)
    }
  }
  return lines.join('\n') + '\n'
}

/**
 * The receiver: records every request and answers just enough like the real endpoints for the
 * CLI to be satisfied. Listens on 127.0.0.1 only, on a free port.
 */
export async function startReceiver() {
  const requests = []
  let nextStatusId = 1
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      requests.push({ method: req.method ?? '', path: req.url ?? '/', headers: req.headers, body })
      const answer = respond(req.method ?? '', url.pathname, body, () => nextStatusId++)
      const text = answer.json === undefined ? '' : JSON.stringify(answer.json)
      res.writeHead(answer.status, {
        'content-type':
          answer.json === undefined ? 'text/plain' : 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      })
      res.end(text)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

const COMBINED_STATUS = /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/status$/
const LIST_STATUSES = /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/statuses$/
const CREATE_STATUS = /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/

function respond(method, pathname, body, newId) {
  let m
  if (method === 'GET' && (m = COMBINED_STATUS.exec(pathname))) {
    // GitHub's combined status of a commit that has none yet.
    return { status: 200, json: { state: 'pending', statuses: [], total_count: 0, sha: m[3] } }
  }
  if (method === 'GET' && LIST_STATUSES.test(pathname)) return { status: 200, json: [] }
  if (method === 'POST' && (m = CREATE_STATUS.exec(pathname))) {
    const sent = parseJson(body) ?? {}
    const id = newId()
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    return {
      status: 201,
      json: {
        url: `/repos/${m[1]}/${m[2]}/statuses/${m[3]}`,
        id,
        node_id: `SC_demo${id}`,
        state: sent.state,
        description: sent.description ?? null,
        target_url: sent.target_url ?? null,
        context: sent.context ?? 'default',
        created_at: now,
        updated_at: now,
      },
    }
  }
  if (pathname === '/api/chat.postMessage') return { status: 200, json: { ok: true } }
  return { status: 200 }
}

/** Headers worth showing, in this order. */
const SHOWN_HEADERS = [
  'content-type',
  'authorization',
  'private-token',
  'x-signature',
  'gotk-component',
  'x-github-api-version',
]

/** `Bearer xoxb-demo-not-a-real-token` → `Bearer xoxb-…`: the token's kind, never its value. */
export function maskCredential(value) {
  const space = value.indexOf(' ')
  const scheme = space >= 0 ? value.slice(0, space + 1) : ''
  const secret = space >= 0 ? value.slice(space + 1) : value
  if (/^basic $/i.test(scheme)) return `${scheme}…`
  const prefix = /^[A-Za-z0-9]{2,6}[-_]/.exec(secret)
  return `${scheme}${prefix ? prefix[0] : ''}…`
}

/** What each endpoint received, grouped per endpoint in the order they were first called. */
export function formatRequests(requests) {
  if (requests.length === 0) return 'No endpoint received anything.\n'
  const groups = new Map()
  for (const r of requests) {
    const pathname = new URL(r.path, 'http://127.0.0.1').pathname
    const endpoint = DEMO_ENDPOINTS.find((e) => e.matches(pathname))
    const label = endpoint ? endpoint.label : 'Another endpoint'
    if (!groups.has(label)) groups.set(label, [])
    groups.get(label).push(r)
  }
  const out = [
    `What each endpoint received (${plural(requests.length, 'request')}; JSON bodies re-indented for reading, signatures cover the bytes as sent):`,
    '',
  ]
  for (const [label, list] of groups) {
    out.push(`${label} received ${plural(list.length, 'request')}:`)
    for (const r of list) {
      out.push(`  ${r.method} ${r.path}`)
      for (const name of SHOWN_HEADERS) {
        const value = r.headers[name]
        if (value === undefined) continue
        const text = Array.isArray(value) ? value.join(', ') : value
        const shown =
          name === 'authorization' || name === 'private-token' ? maskCredential(text) : text
        out.push(`    ${name}: ${shown}`)
      }
      if (r.body !== '') {
        const json = parseJson(r.body)
        const pretty = json === undefined ? r.body : JSON.stringify(json, null, 2)
        for (const line of pretty.split('\n')) out.push(`    ${line}`)
      }
      out.push('')
    }
  }
  return out.join('\n')
}

function parseJson(text) {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** Runs the CLI with the terminal as its output; resolves to its exit code. */
function runCli(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'inherit' })
    // Ctrl-C reaches the CLI too; the demo waits for it to stop and then cleans up.
    const ignore = () => {}
    process.on('SIGINT', ignore)
    child.on('error', (err) => {
      process.off('SIGINT', ignore)
      console.error(`demo: cannot start the CLI: ${err.message}`)
      resolve(1)
    })
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore)
      resolve(code ?? (signal ? 1 : 0))
    })
  })
}

async function main(extraArgs) {
  const cli = path.join(ROOT, 'dist', 'cli.js')
  if (!existsSync(cli)) {
    console.error('demo: dist/cli.js not found; build it with `npm run bundle`')
    return 2
  }
  const receiver = await startReceiver()
  let tmp
  try {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'flux-notify-demo-'))
    const secretsFile = path.join(tmp, 'secrets.yaml')
    await fs.writeFile(secretsFile, secretsYaml(demoSecrets(receiver.url)), { mode: 0o600 })

    console.log(
      `demo: a receiver on ${receiver.url} stands in for Slack, GitHub and the CI webhook.`,
    )
    console.log(
      'demo: node dist/cli.js --manifests examples/manifests --events examples/events/kubectl-events.json\n',
    )

    // The demo shows the terminal behaviour everywhere: even when it runs inside a workflow it
    // must not write that job's summary or outputs, and loopback must never go through a proxy.
    const env = { ...process.env }
    for (const name of [
      'GITHUB_ACTIONS',
      'GITHUB_STEP_SUMMARY',
      'GITHUB_OUTPUT',
      'GITHUB_STATE',
      'GITHUB_ENV',
    ]) {
      delete env[name]
    }
    env.NO_PROXY = env.no_proxy = ['127.0.0.1', 'localhost', env.NO_PROXY ?? env.no_proxy]
      .filter(Boolean)
      .join(',')

    const code = await runCli(
      [
        cli,
        '--manifests',
        'examples/manifests',
        '--events',
        'examples/events/kubectl-events.json',
        '--secrets-file',
        secretsFile,
        ...extraArgs,
      ],
      env,
    )
    console.log('')
    console.log(formatRequests(receiver.requests))
    return code
  } finally {
    await receiver.close()
    if (tmp) await fs.rm(tmp, { recursive: true, force: true })
  }
}

function invokedDirectly() {
  const script = process.argv[1]
  if (!script) return false
  try {
    return (
      pathToFileURL(realpathSync(script)).href ===
      pathToFileURL(realpathSync(fileURLToPath(import.meta.url))).href
    )
  } catch {
    return false
  }
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err) => {
      console.error(`demo: ${err instanceof Error ? err.message : String(err)}`)
      process.exitCode = 1
    },
  )
}
