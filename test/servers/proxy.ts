/**
 * A recording forward proxy on 127.0.0.1 for tests. It handles both forms an HTTP client uses:
 *
 * - `CONNECT host:port` (https targets): answers `200 Connection Established` and relays bytes;
 * - an absolute-URI request (`GET http://host:port/path`, http targets): forwards it.
 *
 * Whatever host a request names, the proxy connects to 127.0.0.1 at that port: a test can use a
 * name such as `flux-notify.test` (never resolved) and still reach its loopback server, and the
 * proxy never talks to any other address. With `credentials`, requests without the matching
 * `Proxy-Authorization: Basic …` get `407`.
 */
import { createServer, request as httpRequest } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'

export interface ProxiedRequest {
  /** `CONNECT`, or the method of a forwarded request */
  method: string
  /** as received: `host:port` for CONNECT, the absolute URI otherwise */
  target: string
  headers: IncomingHttpHeaders
}

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>` */
  url: string
  requests: ProxiedRequest[]
  close(): Promise<void>
}

export interface RecordingProxyOptions {
  /** `user:password` the proxy requires */
  credentials?: string
}

export async function startRecordingProxy(
  options: RecordingProxyOptions = {},
): Promise<RecordingProxy> {
  const requests: ProxiedRequest[] = []
  const sockets = new Set<Socket>()
  const expected =
    options.credentials === undefined
      ? undefined
      : `Basic ${Buffer.from(options.credentials).toString('base64')}`
  const authorised = (headers: IncomingHttpHeaders) =>
    expected === undefined || headers['proxy-authorization'] === expected

  const server = createServer((request, response) => {
    const target = request.url ?? ''
    requests.push({ method: request.method ?? '', target, headers: request.headers })
    if (!authorised(request.headers)) {
      response.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"', 'content-length': '0' })
      response.end()
      return
    }
    let url: URL
    try {
      url = new URL(target)
    } catch {
      response.writeHead(400, { 'content-length': '0' })
      response.end()
      return
    }
    const headers = { ...request.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: Number(url.port || 80),
        method: request.method,
        path: `${url.pathname}${url.search}`,
        headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      },
    )
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502, { 'content-length': '0' })
      response.end()
    })
    request.pipe(upstream)
  })

  server.on('connect', (request, client: Socket, head: Buffer) => {
    const target = request.url ?? ''
    requests.push({ method: 'CONNECT', target, headers: request.headers })
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => client.destroy())
    if (!authorised(request.headers)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n')
      return
    }
    const port = Number(target.slice(target.lastIndexOf(':') + 1))
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.byteLength > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => {
      client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n')
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
