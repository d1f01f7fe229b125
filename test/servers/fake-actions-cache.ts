/**
 * A loopback fake of the GitHub Actions cache service, as `@actions/cache` v6 talks to it.
 *
 * - v2 (github.com; chosen by `ACTIONS_CACHE_SERVICE_V2`): Twirp JSON at `ACTIONS_RESULTS_URL`,
 *   `POST /twirp/github.actions.results.api.v1.CacheService/<method>` for `CreateCacheEntry`,
 *   `FinalizeCacheEntryUpload` and `GetCacheEntryDownloadURL` (proto field names), with signed
 *   blob URLs: the upload is an Azure Blob `PUT` (`x-ms-blob-type: BlockBlob`, or Put Block +
 *   Put Block List for large files), the download a plain `GET` (or `HEAD`).
 * - v1 (GHES): REST at `ACTIONS_CACHE_URL` + `_apis/artifactcache/`: `GET cache?keys=&version=`
 *   (200 with `archiveLocation`, 204 on a miss), `POST caches` (reserve), `PATCH caches/<id>`
 *   (`Content-Range` chunks), `POST caches/<id>` (commit).
 *
 * As the service does: entries are immutable (a second create of the same key and version is
 * refused with 409), a lookup tries the primary key exactly and then each restore key as a
 * prefix, taking the newest finalized entry of the same version, and every API call needs the
 * runtime token. Every request is recorded, blob bodies as bytes.
 */
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface CacheRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: Buffer
  status?: number
}

export interface CacheEntry {
  id: number
  key: string
  version: string
  /** the archive, once uploaded */
  data: Buffer
  /** committed/finalized: visible to lookups */
  finalized: boolean
  createdAt: number
}

/** A failure answered instead of an API call (`api`) or a blob transfer (`blob`). */
export interface CacheFailure {
  status: number
  body?: string
  on?: 'api' | 'blob'
}

export interface FakeActionsCache {
  /** `http://127.0.0.1:<port>/`: both `ACTIONS_RESULTS_URL` and `ACTIONS_CACHE_URL` */
  url: string
  requests: CacheRequest[]
  entries: CacheEntry[]
  /** the environment a run needs to use this fake with service `version` */
  env(version?: 'v1' | 'v2'): Record<string, string>
  /** answers the next `count` matching requests with `failure` */
  failNext(count: number, failure: CacheFailure): void
  /** stores an entry directly, as if an earlier run had saved it */
  seed(entry: { key: string; version: string; data: Buffer; createdAt?: number }): CacheEntry
  close(): Promise<void>
}

const TWIRP = '/twirp/github.actions.results.api.v1.CacheService/'
const V1 = '/_apis/artifactcache/'

export async function startFakeActionsCache(options: { token: string }): Promise<FakeActionsCache> {
  const requests: CacheRequest[] = []
  const entries: CacheEntry[] = []
  const failures: CacheFailure[] = []
  /** blocks staged by Put Block, per blob name */
  const staged = new Map<string, Map<string, Buffer>>()
  let origin = ''
  let nextId = 1
  let clock = 0

  /** strictly increasing, so "newest" is well defined even within one millisecond */
  function now(): number {
    clock = Math.max(clock + 1, Date.now())
    return clock
  }

  function find(key: string, version: string, finalized: boolean): CacheEntry | undefined {
    return entries.find((e) => e.key === key && e.version === version && e.finalized === finalized)
  }

  /** the exact key first, then the newest finalized entry under each restore key in turn */
  function lookup(key: string, restoreKeys: string[], version: string): CacheEntry | undefined {
    const exact = find(key, version, true)
    if (exact) return exact
    for (const prefix of restoreKeys) {
      const newest = entries
        .filter((e) => e.finalized && e.version === version && e.key.startsWith(prefix))
        .sort((a, b) => b.createdAt - a.createdAt)[0]
      if (newest) return newest
    }
    return undefined
  }

  function create(key: string, version: string): CacheEntry | undefined {
    if (entries.some((e) => e.key === key && e.version === version)) return undefined
    const entry: CacheEntry = {
      id: nextId++,
      key,
      version,
      data: Buffer.alloc(0),
      finalized: false,
      createdAt: now(),
    }
    entries.push(entry)
    return entry
  }

  function blobUrl(entry: CacheEntry, access: 'upload' | 'download'): string {
    // path-style (account in the path), as the Azure SDK expects for an IP address host
    return `${origin}/blob/fakeaccount/actions-cache/${entry.id}?sv=2025-01-05&sig=${access}-${entry.id}-c2lnbmF0dXJl`
  }

  function json(response: ServerResponse, status: number, body: unknown): number {
    const text = JSON.stringify(body)
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
    })
    response.end(text)
    return status
  }

  function empty(response: ServerResponse, status: number, headers: Record<string, string> = {}) {
    response.writeHead(status, { 'content-length': '0', ...headers })
    response.end()
    return status
  }

  function authorized(headers: IncomingHttpHeaders): boolean {
    return headers.authorization === `Bearer ${options.token}`
  }

  function twirpError(response: ServerResponse, status: number, code: string, msg: string) {
    return json(response, status, { code, msg })
  }

  function handleTwirp(method: string, body: Buffer, response: ServerResponse): number {
    const request = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>
    const key = String(request.key ?? '')
    const version = String(request.version ?? '')
    switch (method) {
      case 'CreateCacheEntry': {
        const entry = create(key, version)
        if (!entry) {
          return twirpError(
            response,
            409,
            'already_exists',
            'cache entry with the same key, version, and scope already exists',
          )
        }
        return json(response, 200, { ok: true, signed_upload_url: blobUrl(entry, 'upload') })
      }
      case 'FinalizeCacheEntryUpload': {
        const entry = find(key, version, false)
        if (!entry) return json(response, 200, { ok: false, message: 'cache entry not found' })
        entry.finalized = true
        return json(response, 200, { ok: true, entry_id: String(entry.id) })
      }
      case 'GetCacheEntryDownloadURL': {
        const restoreKeys = Array.isArray(request.restore_keys)
          ? request.restore_keys.map(String)
          : []
        const entry = lookup(key, restoreKeys, version)
        if (!entry) return json(response, 200, { ok: false })
        return json(response, 200, {
          ok: true,
          signed_download_url: blobUrl(entry, 'download'),
          matched_key: entry.key,
        })
      }
      default:
        return twirpError(response, 404, 'bad_route', `no handler for ${method}`)
    }
  }

  function handleBlob(
    method: string,
    url: URL,
    headers: IncomingHttpHeaders,
    body: Buffer,
    response: ServerResponse,
  ): number {
    const id = Number(url.pathname.split('/').at(-1))
    const entry = entries.find((e) => e.id === id)
    const access = url.searchParams.get('sig')?.split('-')[0]
    if (!entry || access === undefined) return empty(response, 404)
    const blobHeaders = {
      etag: `"0x${entry.id.toString(16)}"`,
      'last-modified': new Date(entry.createdAt).toUTCString(),
      'x-ms-request-id': `request-${requests.length}`,
      'x-ms-version': '2025-01-05',
    }
    if (method === 'PUT' && access === 'upload') {
      if (entry.finalized) return empty(response, 409, blobHeaders)
      const comp = url.searchParams.get('comp')
      if (comp === 'block') {
        const blocks = staged.get(String(id)) ?? new Map<string, Buffer>()
        blocks.set(url.searchParams.get('blockid') ?? '', body)
        staged.set(String(id), blocks)
        return empty(response, 201, blobHeaders)
      }
      if (comp === 'blocklist') {
        const blocks = staged.get(String(id)) ?? new Map<string, Buffer>()
        const ids = [...body.toString('utf8').matchAll(/<(?:Latest|Uncommitted)>([^<]*)</g)].map(
          (match) => match[1] ?? '',
        )
        entry.data = Buffer.concat(ids.map((blockId) => blocks.get(blockId) ?? Buffer.alloc(0)))
        return empty(response, 201, blobHeaders)
      }
      if (headers['x-ms-blob-type'] !== 'BlockBlob') return empty(response, 400, blobHeaders)
      entry.data = body
      return empty(response, 201, blobHeaders)
    }
    if ((method === 'GET' || method === 'HEAD') && access === 'download' && entry.finalized) {
      const range = /^bytes=(\d+)-(\d+)$/.exec(String(headers.range ?? headers['x-ms-range'] ?? ''))
      const data = range ? entry.data.subarray(Number(range[1]), Number(range[2]) + 1) : entry.data
      response.writeHead(range ? 206 : 200, {
        ...blobHeaders,
        'content-type': 'application/octet-stream',
        'content-length': String(data.length),
        'x-ms-blob-type': 'BlockBlob',
        ...(range
          ? {
              'content-range': `bytes ${range[1]}-${Number(range[1]) + data.length - 1}/${entry.data.length}`,
            }
          : {}),
      })
      response.end(method === 'HEAD' ? undefined : data)
      return range ? 206 : 200
    }
    return empty(response, 403, blobHeaders)
  }

  function handleV1(
    method: string,
    url: URL,
    headers: IncomingHttpHeaders,
    body: Buffer,
    response: ServerResponse,
  ): number {
    const resource = url.pathname.slice(V1.length)
    if (method === 'GET' && resource === 'cache') {
      const keys = (url.searchParams.get('keys') ?? '').split(',')
      const version = url.searchParams.get('version') ?? ''
      const entry = lookup(keys[0] ?? '', keys.slice(1), version)
      if (!entry) return empty(response, 204)
      return json(response, 200, {
        cacheKey: entry.key,
        scope: 'refs/heads/main',
        creationTime: new Date(entry.createdAt).toISOString(),
        archiveLocation: blobUrl(entry, 'download'),
      })
    }
    if (method === 'POST' && resource === 'caches') {
      const request = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>
      const entry = create(String(request.key ?? ''), String(request.version ?? ''))
      if (!entry) {
        return json(response, 409, {
          message: `Cache already exists. Scope: refs/heads/main, Key: ${String(request.key)}`,
        })
      }
      return json(response, 201, { cacheId: entry.id })
    }
    const match = /^caches\/(\d+)$/.exec(resource)
    const entry = match ? entries.find((e) => e.id === Number(match[1])) : undefined
    if (!entry || entry.finalized) return json(response, 404, { message: 'cache not found' })
    if (method === 'PATCH') {
      const range = /^bytes (\d+)-(\d+)\/\*$/.exec(String(headers['content-range'] ?? ''))
      if (!range) return json(response, 400, { message: 'Content-Range missing' })
      const start = Number(range[1])
      const end = start + body.length
      const data = Buffer.alloc(Math.max(entry.data.length, end))
      entry.data.copy(data)
      body.copy(data, start)
      entry.data = data
      return empty(response, 204)
    }
    if (method === 'POST') {
      const request = JSON.parse(body.toString('utf8') || '{}') as { size?: number }
      if (request.size !== entry.data.length) {
        return json(response, 400, { message: 'size does not match the uploaded data' })
      }
      entry.finalized = true
      return empty(response, 204)
    }
    return json(response, 405, { message: 'method not allowed' })
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const record: CacheRequest = {
        method: request.method ?? '',
        path: request.url ?? '/',
        headers: request.headers,
        body: Buffer.concat(chunks),
      }
      requests.push(record)
      const url = new URL(record.path, origin)
      const isBlob = url.pathname.startsWith('/blob/')
      const failureIndex = failures.findIndex((f) => (f.on ?? 'api') === (isBlob ? 'blob' : 'api'))
      if (failureIndex >= 0) {
        const [failure] = failures.splice(failureIndex, 1)
        const text = failure!.body ?? ''
        response.writeHead(failure!.status, {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(text)),
        })
        response.end(text)
        record.status = failure!.status
        return
      }
      if (isBlob) {
        record.status = handleBlob(record.method, url, record.headers, record.body, response)
      } else if (!authorized(record.headers)) {
        record.status = json(response, 401, { code: 'unauthenticated', msg: 'bad token' })
      } else if (url.pathname.startsWith(TWIRP) && record.method === 'POST') {
        record.status = handleTwirp(url.pathname.slice(TWIRP.length), record.body, response)
      } else if (url.pathname.startsWith(V1)) {
        record.status = handleV1(record.method, url, record.headers, record.body, response)
      } else {
        record.status = json(response, 404, { message: 'not found' })
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: `${origin}/`,
    requests,
    entries,
    env(version = 'v2') {
      return {
        GITHUB_ACTIONS: 'true',
        GITHUB_SERVER_URL: 'https://github.com',
        ACTIONS_RUNTIME_TOKEN: options.token,
        ...(version === 'v2'
          ? { ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_RESULTS_URL: `${origin}/` }
          : { ACTIONS_CACHE_URL: `${origin}/` }),
      }
    },
    failNext(count, failure) {
      for (let i = 0; i < count; i++) failures.push(failure)
    },
    seed({ key, version, data, createdAt }) {
      const entry: CacheEntry = {
        id: nextId++,
        key,
        version,
        data,
        finalized: true,
        createdAt: createdAt ?? now(),
      }
      entries.push(entry)
      return entry
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
