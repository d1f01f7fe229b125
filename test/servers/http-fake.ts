/**
 * Shared plumbing of the loopback fakes in this folder: a node:http server on 127.0.0.1:0 that
 * reads each request body as UTF-8, JSON replies with `content-length`, a `failNext` queue of
 * injected failures, and a `close()` that drops keep-alive connections. Host-specific routes,
 * pagination and error bodies stay in each fake.
 */
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  close(): Promise<void>
}

/**
 * Listens on 127.0.0.1 with an ephemeral port and calls `onRequest` once the whole body of a
 * request has arrived.
 */
export async function listenLoopback(
  onRequest: (request: IncomingMessage, response: ServerResponse, body: string) => void,
): Promise<LoopbackServer> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => onRequest(request, response, Buffer.concat(chunks).toString('utf8')))
  })
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

/** Writes `text` with `content-type` (omitted when undefined), `content-length` and `headers`. */
export function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  contentType: string | undefined,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...(contentType === undefined ? {} : { 'content-type': contentType }),
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  })
  response.end(text)
}

/** A request as a JSON fake records it */
export interface FakeRequest {
  method: string
  /** path and query as received */
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** what the fake answered */
  status?: number
}

/** What a route handler answers; `body` is serialised as JSON (`undefined`: empty body). */
export interface JsonReply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

/** A failure queued with `failNext`, answered instead of the next request's route */
export interface InjectedFailure {
  status: number
  headers?: Record<string, string>
  body?: string
}

export interface JsonServerOptions {
  /** answers a recorded request; `origin` is the server's `http://127.0.0.1:<port>` */
  handle(request: FakeRequest, origin: string): JsonReply
  /** the `content-type` of every answer */
  contentType: string
  /** leave `content-type` out when the body is empty */
  omitContentTypeWhenEmpty?: boolean
  /** the body of an injected failure that has none (default: empty) */
  failureBody?(status: number): string
}

export interface JsonServer extends LoopbackServer {
  /** every request, in arrival order, with the status answered */
  requests: FakeRequest[]
  /** answers the next `count` requests with `failure` instead of routing them */
  failNext(count: number, failure: InjectedFailure): void
}

/** A JSON fake: records every request, answers queued failures first, then `handle`'s reply. */
export async function startJsonServer(options: JsonServerOptions): Promise<JsonServer> {
  const requests: FakeRequest[] = []
  const failures: InjectedFailure[] = []
  let origin = ''
  const server = await listenLoopback((request, response, body) => {
    const record: FakeRequest = {
      method: request.method ?? '',
      path: request.url ?? '/',
      headers: request.headers,
      body,
    }
    requests.push(record)
    const failure = failures.shift()
    let status: number
    let text: string
    let headers: Record<string, string> | undefined
    if (failure) {
      status = failure.status
      headers = failure.headers
      text = failure.body ?? options.failureBody?.(status) ?? ''
    } else {
      const reply = options.handle(record, origin)
      status = reply.status
      headers = reply.headers
      text = reply.body === undefined ? '' : JSON.stringify(reply.body)
    }
    record.status = status
    const omit = options.omitContentTypeWhenEmpty === true && text === ''
    sendText(response, status, text, omit ? undefined : options.contentType, headers)
  })
  origin = server.url
  return {
    ...server,
    requests,
    failNext(count, failure) {
      for (let i = 0; i < count; i++) failures.push(failure)
    },
  }
}
