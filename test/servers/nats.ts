/**
 * The real NATS server (Debian's `nats-server`) on a loopback port, for the `nats` provider's
 * tests: the module publishes to it and a subscriber made with the official client checks what
 * arrived.
 *
 * Without the binary, tests skip with a visible message; with `REQUIRE_REAL_SERVERS=1` (as
 * `.ci/run` sets it) a missing binary is a failure instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createConnection, createServer } from 'node:net'

export { REQUIRE_REAL_SERVERS } from './alertmanager.js'

/** The nats-server binary on PATH (or Debian's /usr/sbin, which is not on every PATH). */
export function natsServerBinary(): string | undefined {
  const found = spawnSync(
    'sh',
    [
      '-c',
      'command -v nats-server || { test -x /usr/sbin/nats-server && echo /usr/sbin/nats-server; }',
    ],
    { encoding: 'utf8' },
  )
  if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim()
  return undefined
}

export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  url: string
  port: number
  /** the client names of closed connections, from the monitoring endpoint (`monitor: true`) */
  closedConnectionNames(): Promise<string[]>
  close(): Promise<void>
}

export interface NatsServerOptions {
  /** require this user and password of every client (`--user`/`--pass`) */
  user?: string
  pass?: string
  /** a configuration file (`-c`), e.g. NKey users with permissions */
  config?: string
  /** serve the HTTP monitoring endpoint on another loopback port (`-m`) */
  monitor?: boolean
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

/** Whether something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

export async function startNatsServer(
  binary: string,
  options: NatsServerOptions = {},
): Promise<NatsServer> {
  const port = await freePort()
  const args = ['-a', '127.0.0.1', '-p', String(port)]
  if (options.user !== undefined) args.push('--user', options.user)
  if (options.pass !== undefined) args.push('--pass', options.pass)
  if (options.config !== undefined) args.push('-c', options.config)
  const monitorPort = options.monitor ? await freePort() : undefined
  if (monitorPort !== undefined) args.push('-m', String(monitorPort))
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)))

  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
  }

  // ready when it accepts connections; bounded, so a broken binary fails the test, not hangs it
  const deadline = Date.now() + 15_000
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await close()
      throw new Error(`nats-server did not start: ${stderr.split('\n').slice(-3).join(' ')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async closedConnectionNames() {
      if (monitorPort === undefined) throw new Error('nats-server was started without monitor')
      const response = await fetch(`http://127.0.0.1:${monitorPort}/connz?state=closed`)
      const connz = (await response.json()) as { connections?: Array<{ name?: string }> }
      return (connz.connections ?? []).map((c) => c.name ?? '')
    },
    close,
  }
}
