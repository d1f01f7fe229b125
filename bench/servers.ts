/**
 * Loopback servers for the request figures, each answering every request `latencyMs` late:
 *
 * - a GitHub API: the test suite's fake (`test/servers/fake-github.ts`: GitHub's OpenAPI
 *   description enforced, statuses kept in memory, combined status paginated) behind a small
 *   proxy that holds each request for the latency before passing it on;
 * - a chat receiver: answers every POST `200 {"ok":true}` (what Slack's Web API and a generic
 *   webhook endpoint answer).
 *
 * Both record each request with the time it arrived and the time its answer was finished, so the
 * benchmark can count requests and measure the span of the delivery stage from the server side.
 *
 * The latency is the whole time to answer, as a remote host's would be: the proxy passes a
 * request on as soon as it arrives and answers `latencyMs` after its arrival (or when the fake has
 * answered, if that is later). Sleeping first and then waiting for the fake would add the fake's
 * own time (and its queue, when it is busy) to every answer, on top of the latency the bound
 * counts.
 */
import { Agent, createServer, request as httpRequest } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { startFakeGitHub } from '../test/servers/fake-github.js'
import type { FakeGitHub, StatusInput } from '../test/servers/fake-github.js'

export interface TimedRequest {
  method: string
  path: string
  status: number
  /** performance-clock milliseconds */
  start: number
  end: number
}

export interface LatencyServer {
  url: string
  requests: TimedRequest[]
  close(): Promise<void>
}

export interface LatencyGitHub extends LatencyServer {
  seedStatus(repo: string, sha: string, status: StatusInput): void
  /** statuses of a commit in creation order (as the fake keeps them) */
  statuses(
    repo: string,
    sha: string,
  ): { context: string; state: string; description: string | null }[]
  /** requests GitHub's description does not allow */
  violations: string[]
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

async function listen(
  handle: (request: IncomingMessage, response: ServerResponse, body: Buffer) => Promise<void>,
  requests: TimedRequest[],
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const start = performance.now()
    void readBody(request)
      .then((body) => handle(request, response, body))
      .catch(() => {
        if (!response.headersSent) response.writeHead(500)
        response.end()
      })
      .finally(() => {
        requests.push({
          method: request.method ?? '',
          path: request.url ?? '/',
          status: response.statusCode,
          start,
          end: performance.now(),
        })
      })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A chat endpoint: every request answered `200 {"ok":true}` after `latencyMs`. */
export async function startLatencyReceiver(latencyMs: number): Promise<LatencyServer> {
  const requests: TimedRequest[] = []
  const server = await listen(async (_request, response) => {
    await sleep(latencyMs)
    const body = '{"ok":true}'
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(body.length),
    })
    response.end(body)
  }, requests)
  return { ...server, requests }
}

/** The fake GitHub behind a proxy that answers every request `latencyMs` after it arrived. */
export async function startLatencyGitHub(latencyMs: number): Promise<LatencyGitHub> {
  const fake: FakeGitHub = await startFakeGitHub()
  const upstream = new URL(fake.url)
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const requests: TimedRequest[] = []
  let origin = ''
  interface Answer {
    status: number
    headers: IncomingMessage['headers']
    body: Buffer
  }
  const forward = (request: IncomingMessage, body: Buffer, attempt = 1): Promise<Answer> =>
    new Promise<Answer>((resolve, reject) => {
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, host: upstream.host },
          agent,
        },
        (res) => {
          void readBody(res).then(
            (data) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: data }),
            reject,
          )
        },
      )
      out.on('error', (error: NodeJS.ErrnoException) => {
        // The fake closed an idle kept-alive connection just as it was reused: the request never
        // reached it, so sending it again is safe (Node's documented `reusedSocket` check).
        // Answering 500 instead would make the client retry, counting one request twice.
        if (out.reusedSocket && error.code === 'ECONNRESET' && attempt === 1) {
          forward(request, body, 2).then(resolve, reject)
        } else reject(error)
      })
      out.end(body)
    })
  const server = await listen(async (request, response, body) => {
    const [answer] = await Promise.all([forward(request, body), sleep(latencyMs)])
    const out: Record<string, string> = {}
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined || name === 'connection' || name === 'keep-alive') continue
      const text = Array.isArray(value) ? value.join(', ') : value
      // pagination links name the fake's port: point them back at this proxy
      out[name] = name === 'link' ? text.replaceAll(fake.url, origin) : text
    }
    out['content-length'] = String(answer.body.length)
    response.writeHead(answer.status, out)
    response.end(answer.body)
  }, requests)
  origin = server.url
  return {
    url: server.url,
    requests,
    violations: fake.violations,
    seedStatus: (repo, sha, status) => void fake.seedStatus(repo, sha, status),
    statuses: (repo, sha) => fake.statuses(repo, sha),
    close: async () => {
      await server.close()
      agent.destroy()
      await fake.close()
    },
  }
}
