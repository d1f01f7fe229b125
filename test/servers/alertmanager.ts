/**
 * The real Prometheus Alertmanager (Debian's `prometheus-alertmanager`) on a loopback port, for
 * the `alertmanager` provider's tests: we post to it and read back through its own API.
 *
 * Without the binary, tests skip with a visible message; with `REQUIRE_REAL_SERVERS=1` (as
 * `.ci/run` sets it) a missing binary is a failure instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const CANDIDATES = ['prometheus-alertmanager', 'alertmanager']

/** The Alertmanager binary on PATH, or undefined. */
export function alertmanagerBinary(): string | undefined {
  for (const name of CANDIDATES) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
    if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim()
  }
  return undefined
}

/** Whether real-server tests must run (CI) rather than skip. */
export const REQUIRE_REAL_SERVERS = process.env.REQUIRE_REAL_SERVERS === '1'

export interface Alertmanager {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** the alerts Alertmanager holds, as its `GET /api/v2/alerts` returns them */
  alerts(): Promise<Array<{ labels: Record<string, string>; annotations: Record<string, string> }>>
  close(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export async function startAlertmanager(binary: string): Promise<Alertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'flux-notify-alertmanager-'))
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    'route:\n  receiver: discard\nreceivers:\n  - name: discard\n',
  )
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // a single instance: no gossip port
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)))

  const close = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
    rmSync(dir, { recursive: true, force: true })
  }

  // ready when its API answers; bounded, so a broken binary fails the test instead of hanging it
  const deadline = Date.now() + 15_000
  for (;;) {
    try {
      const response = await fetch(`${url}/-/ready`)
      if (response.ok) break
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await close()
      throw new Error(`alertmanager did not start: ${stderr.split('\n').slice(-3).join(' ')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  return {
    url,
    async alerts() {
      const response = await fetch(`${url}/api/v2/alerts`)
      return (await response.json()) as Awaited<ReturnType<Alertmanager['alerts']>>
    },
    close,
  }
}
