/**
 * Loopback servers that misbehave on purpose, for the fault-injection tests: an HTTP server whose
 * answers are functions (so a `Retry-After` date or a `Location` can be computed when the request
 * arrives), a TCP server that accepts connections and never says a word, and a port with nothing
 * listening on it.
 */
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'

export interface FaultRequest {
  method: string
  /** path and query as received */
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** when the whole request had arrived (ms since the epoch) */
  receivedAt: number
}

/** How one request is answered: writes to `response`, or leaves it unanswered. */
export type FaultAnswer = (response: ServerResponse, request: FaultRequest) => void | Promise<void>

export interface FaultServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  requests: FaultRequest[]
  close(): Promise<void>
}

/**
 * An HTTP server on 127.0.0.1 that answers the n-th request with `answers[n]`, and every request
 * after them with `rest` (default: 200 `ok`).
 */
export async function startFaultServer(
  answers: FaultAnswer[],
  rest: FaultAnswer = reply(200, 'ok'),
): Promise<FaultServer> {
  const requests: FaultRequest[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const recorded: FaultRequest = {
        method: request.method ?? '',
        path: request.url ?? '/',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      }
      const answer = answers[requests.length] ?? rest
      requests.push(recorded)
      Promise.resolve(answer(response, recorded)).catch(() => response.socket?.destroy())
    })
  })
  await listen(server)
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Answers `status` with `body` and `headers`. */
export function reply(
  status: number,
  body = '',
  headers: Record<string, string> = {},
): FaultAnswer {
  return (response) => {
    const bytes = Buffer.from(body, 'utf8')
    response.writeHead(status, { 'content-length': String(bytes.byteLength), ...headers })
    response.end(bytes)
  }
}

/** 429 with `Retry-After` as an HTTP date `seconds` after the request arrived. */
export function tooManyRequestsUntil(seconds: number): FaultAnswer {
  return (response, request) => {
    const at = new Date(request.receivedAt + seconds * 1000).toUTCString()
    reply(429, 'slow down', { 'retry-after': at })(response, request)
  }
}

/** A redirect to the very path that was asked for: a loop no client can finish. */
export function redirectToItself(status = 307): FaultAnswer {
  return (response, request) => reply(status, '', { location: request.path })(response, request)
}

/**
 * Sends the status line, the headers and half of a `size`-byte body, then destroys the socket:
 * the connection breaks in the middle of the answer.
 */
export function resetMidBody(status: number, size = 64 * 1024): FaultAnswer {
  return async (response) => {
    response.writeHead(status, { 'content-length': String(size) })
    response.write(Buffer.alloc(size / 2, 'x'))
    // let the headers and the first half leave before the connection drops
    await new Promise((resolve) => setTimeout(resolve, 50))
    response.socket?.destroy()
  }
}

/** Destroys the socket before a byte of the answer was written. */
export const resetBeforeAnswer: FaultAnswer = (response) => {
  response.socket?.destroy()
}

export interface SilentServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** TCP connections accepted so far */
  readonly connections: number
  /**
   * Connections on which a request arrived (any bytes). undici opens a fresh connection to the
   * origin after an aborted request without sending anything on it; that is not a request.
   */
  readonly requestConnections: number
  close(): Promise<void>
}

/** A TCP server on 127.0.0.1 that accepts every connection and never reads or writes a byte. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>()
  let connections = 0
  let requestConnections = 0
  const server = createTcpServer((socket) => {
    connections++
    socket.once('data', () => requestConnections++)
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  })
  await listen(server)
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections
    },
    get requestConnections() {
      return requestConnections
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A loopback port nothing listens on (it was just bound and released). */
export async function closedPort(): Promise<number> {
  const server = createTcpServer()
  await listen(server)
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
}
