/**
 * A recording HTTP receiver on 127.0.0.1 for tests and the demo: it keeps every request and
 * answers from a per-path script (then with a default), so a test can play a chat service, a
 * webhook or a Git host that fails, throttles, stalls or drops the connection.
 */
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  /** path and query as received, e.g. `/hooks/x?a=1` */
  path: string
  /** as node:http gives them: names lower-cased */
  headers: IncomingHttpHeaders
  /** the raw body as UTF-8 text */
  body: string
  /** when the whole request had arrived (ms since the epoch) */
  receivedAt: number
}

export interface ScriptedResponse {
  /** default 200 */
  status?: number
  headers?: Record<string, string>
  /** default '' */
  body?: string
  /** wait this long before answering */
  delayMs?: number
  /** never answer (the client's timeout must end it) */
  hang?: boolean
  /** destroy the socket: before any byte of the answer, or after the headers and half the body */
  destroy?: 'before-headers' | 'mid-body'
}

export interface Recorder {
  /** `http://127.0.0.1:<port>` */
  url: string
  requests: RecordedRequest[]
  /**
   * Queues answers for requests to `path` (matched on the path without the query; `*` matches
   * any path). Each request takes the next one; when they run out, the default answers.
   */
  respond(path: string, responses: ScriptedResponse[]): void
  /** the answer when no script applies; initially `{ status: 200 }` */
  setDefault(response: ScriptedResponse): void
  /** resolves once at least `count` requests were recorded */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>
  close(): Promise<void>
}

export interface RecorderOptions {
  defaultResponse?: ScriptedResponse
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function answer(response: ServerResponse, script: ScriptedResponse): Promise<void> {
  if (script.delayMs) await delay(script.delayMs)
  if (script.hang) return
  if (script.destroy === 'before-headers') {
    response.socket?.destroy()
    return
  }
  const body = Buffer.from(script.body ?? '', 'utf8')
  response.writeHead(script.status ?? 200, {
    'content-length': String(body.byteLength),
    ...script.headers,
  })
  if (script.destroy === 'mid-body') {
    response.write(body.subarray(0, Math.floor(body.byteLength / 2)))
    // give the headers and the first half time to leave before the connection drops
    await delay(20)
    response.socket?.destroy()
    return
  }
  response.end(body)
}

export async function startRecorder(options: RecorderOptions = {}): Promise<Recorder> {
  const requests: RecordedRequest[] = []
  const scripts = new Map<string, ScriptedResponse[]>()
  let defaultResponse: ScriptedResponse = options.defaultResponse ?? { status: 200 }
  const waiters: Array<{ count: number; resolve: () => void }> = []

  const nextScript = (path: string): ScriptedResponse => {
    const pathname = path.split('?')[0] ?? path
    for (const key of [pathname, '*']) {
      const queue = scripts.get(key)
      const next = queue?.shift()
      if (next) return next
    }
    return defaultResponse
  }

  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request)
      const path = request.url ?? '/'
      requests.push({
        method: request.method ?? '',
        path,
        headers: request.headers,
        body,
        receivedAt: Date.now(),
      })
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
      await answer(response, nextScript(path))
    })().catch(() => response.socket?.destroy())
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond(path, responses) {
      scripts.set(path, [...(scripts.get(path) ?? []), ...responses])
    },
    setDefault(response) {
      defaultResponse = response
    },
    waitForRequests(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve(requests)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`recorder: ${requests.length} of ${count} requests arrived`)),
          timeoutMs,
        )
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer)
            resolve(requests)
          },
        })
      })
    },
    close() {
      return new Promise((resolve) => {
        // hanging and keep-alive connections would otherwise hold close() open
        server.closeAllConnections()
        server.close(() => resolve())
      })
    },
  }
}
