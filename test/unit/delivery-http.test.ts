import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseRetryAfterMs, sendRequest } from '../../src/delivery/http.js'
import type { HttpRequestSpec } from '../../src/providers/types.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'

let recorder: Recorder
beforeEach(async () => {
  recorder = await startRecorder()
})
afterEach(async () => {
  await recorder.close()
})

/** A sleep that returns at once and remembers what it was asked to wait. */
function fastSleep() {
  const waits: number[] = []
  const sleep = async (ms: number, signal: AbortSignal) => {
    waits.push(ms)
    if (signal.aborted) throw signal.reason
  }
  return { waits, sleep }
}

function post(path: string, extra: Partial<HttpRequestSpec> = {}): HttpRequestSpec {
  return {
    method: 'POST',
    url: `${recorder.url}${path}`,
    headers: { 'Content-Type': 'application/json' },
    body: '{"text":"hello <world> & co"}',
    ...extra,
  }
}

const longSignal = () => AbortSignal.timeout(30_000)

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('sendRequest: what goes on the wire', () => {
  it('sends the method, body bytes and headers, with Go’s User-Agent by default', async () => {
    recorder.respond('/hook', [{ status: 200, body: 'ok' }])
    const res = await sendRequest(post('/hook'), { signal: longSignal() })
    expect(res).toMatchObject({ status: 200, body: 'ok' })
    expect(res.headers.get('content-length')).toBe('2')
    const [request] = recorder.requests
    expect(request?.method).toBe('POST')
    expect(request?.body).toBe('{"text":"hello <world> & co"}')
    expect(request?.headers['content-type']).toBe('application/json')
    expect(request?.headers['user-agent']).toBe('Go-http-client/1.1')
  })

  it('keeps a User-Agent the request sets, and adds no Content-Type of its own', async () => {
    await sendRequest(post('/hook', { headers: { 'User-Agent': 'go-github/v64.0.0' } }), {
      signal: longSignal(),
    })
    expect(recorder.requests[0]?.headers['user-agent']).toBe('go-github/v64.0.0')
    expect(recorder.requests[0]?.headers['content-type']).toBeUndefined()
  })

  it('turns URL user-info into Basic auth, as Go’s client does', async () => {
    const url = recorder.url.replace('http://', 'http://user:p%40ss@')
    await sendRequest(post('', { url: `${url}/hook` }), { signal: longSignal() })
    const expected = `Basic ${Buffer.from('user:p@ss').toString('base64')}`
    expect(recorder.requests[0]?.headers.authorization).toBe(expected)
    expect(recorder.requests[0]?.path).toBe('/hook')
  })
})

describe('sendRequest: retries (retryablehttp DefaultRetryPolicy / DefaultBackoff)', () => {
  it('500 → 500 → 200 succeeds on the 3rd attempt after waiting 2s then 4s', async () => {
    recorder.respond('/hook', [{ status: 500 }, { status: 500 }, { status: 200, body: 'done' }])
    const { waits, sleep } = fastSleep()
    const res = await sendRequest(post('/hook'), { signal: longSignal(), sleep })
    expect(res.body).toBe('done')
    expect(recorder.requests).toHaveLength(3)
    expect(waits).toEqual([2000, 4000])
    // every attempt carries the whole body again
    expect(recorder.requests.map((r) => r.body)).toEqual(Array(3).fill(post('').body))
  })

  it('gives up after 5 attempts, waiting 2s, 4s, 8s, 16s, naming the last status', async () => {
    recorder.setDefault({ status: 503, body: 'busy' })
    const { waits, sleep } = fastSleep()
    const url = `${recorder.url}/hook`
    await expect(sendRequest(post('/hook'), { signal: longSignal(), sleep })).rejects.toThrow(
      `POST ${url} giving up after 5 attempt(s): unexpected HTTP status 503 Service Unavailable`,
    )
    expect(recorder.requests).toHaveLength(5)
    expect(waits).toEqual([2000, 4000, 8000, 16000])
  })

  it('gives up after 5 attempts of 429 with no cause appended', async () => {
    recorder.setDefault({ status: 429 })
    const { sleep } = fastSleep()
    const error = await sendRequest(post('/hook'), { signal: longSignal(), sleep }).catch(
      (e: Error) => e,
    )
    expect((error as Error).message).toBe(`POST ${recorder.url}/hook giving up after 5 attempt(s)`)
  })

  it('waits Retry-After seconds on 429, in real time', async () => {
    recorder.respond('/hook', [
      { status: 429, headers: { 'Retry-After': '1' } },
      { status: 200, body: 'ok' },
    ])
    const started = Date.now()
    await sendRequest(post('/hook'), { signal: longSignal() })
    const elapsed = Date.now() - started
    expect(recorder.requests).toHaveLength(2)
    // one second, not the 2s back-off
    expect(elapsed).toBeGreaterThanOrEqual(950)
    expect(elapsed).toBeLessThan(1900)
    const gap = recorder.requests[1]!.receivedAt - recorder.requests[0]!.receivedAt
    expect(gap).toBeGreaterThanOrEqual(950)
  })

  it('waits until a Retry-After HTTP date on 429 and 503', async () => {
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString()
    recorder.respond('/hook', [
      { status: 429, headers: { 'Retry-After': inTenSeconds } },
      { status: 503, headers: { 'Retry-After': '3' } },
      { status: 200 },
    ])
    const { waits, sleep } = fastSleep()
    await sendRequest(post('/hook'), { signal: longSignal(), sleep })
    expect(waits).toHaveLength(2)
    // the date has whole seconds: somewhere in (9s, 10s]
    expect(waits[0]).toBeGreaterThan(8_000)
    expect(waits[0]).toBeLessThanOrEqual(10_000)
    expect(waits[1]).toBe(3000)
  })

  it('ignores Retry-After on other statuses', async () => {
    recorder.respond('/hook', [{ status: 500, headers: { 'Retry-After': '7' } }, { status: 200 }])
    const { waits, sleep } = fastSleep()
    await sendRequest(post('/hook'), { signal: longSignal(), sleep })
    expect(waits).toEqual([2000])
  })

  it('does not retry 501', async () => {
    recorder.setDefault({ status: 501, body: 'not here' })
    const { sleep } = fastSleep()
    await expect(sendRequest(post('/hook'), { signal: longSignal(), sleep })).rejects.toThrow(
      'request failed with status code 501: not here',
    )
    expect(recorder.requests).toHaveLength(1)
  })

  it('fails a 400 at once with the body in the error', async () => {
    recorder.setDefault({ status: 400, body: 'invalid_payload' })
    const { sleep, waits } = fastSleep()
    const error = await sendRequest(post('/hook'), { signal: longSignal(), sleep }).catch(
      (e: Error) => e,
    )
    expect((error as Error).message).toBe('request failed with status code 400: invalid_payload')
    expect(recorder.requests).toHaveLength(1)
    expect(waits).toEqual([])
  })

  it('keeps at most 64 KiB of a huge error body', async () => {
    recorder.setDefault({ status: 400, body: 'x'.repeat(1_000_000) })
    const error = await sendRequest(post('/hook'), { signal: longSignal() }).catch((e: Error) => e)
    const prefix = 'request failed with status code 400: '
    expect((error as Error).message.startsWith(prefix)).toBe(true)
    expect((error as Error).message.length).toBe(prefix.length + 64 * 1024)
  })

  it('fails when checkResponse rejects a 2xx, without retrying', async () => {
    recorder.setDefault({ status: 200, body: '{"ok":false,"error":"channel_not_found"}' })
    const spec = post('/hook', {
      checkResponse: (_status, body) =>
        (JSON.parse(body) as { ok: boolean }).ok ? undefined : 'slack error: channel_not_found',
    })
    await expect(sendRequest(spec, { signal: longSignal() })).rejects.toThrow(
      'slack error: channel_not_found',
    )
    expect(recorder.requests).toHaveLength(1)
  })

  it('retries a refused connection and then names it', async () => {
    const port = await closedPort()
    const { waits, sleep } = fastSleep()
    const url = `http://127.0.0.1:${port}/hook`
    const error = await sendRequest(post('', { url }), { signal: longSignal(), sleep }).catch(
      (e: Error) => e,
    )
    expect((error as Error).message).toMatch(
      new RegExp(
        `^POST ${url} giving up after 5 attempt\\(s\\): Post "${url}": .*ECONNREFUSED`,
        'u',
      ),
    )
    expect(waits).toEqual([2000, 4000, 8000, 16000])
  })

  it('retries when the connection drops before the answer', async () => {
    recorder.respond('/hook', [{ destroy: 'before-headers' }, { status: 200, body: 'ok' }])
    const { sleep } = fastSleep()
    const res = await sendRequest(post('/hook'), { signal: longSignal(), sleep })
    expect(res.body).toBe('ok')
    expect(recorder.requests).toHaveLength(2)
  })

  it('accepts a 2xx whose body breaks off, unless a check needs that body', async () => {
    // Go's default check never reads a 2xx body; a custom check does, and then the read fails
    recorder.respond('/hook', [
      { status: 200, body: 'x'.repeat(100_000), destroy: 'mid-body' },
      { status: 200, body: 'x'.repeat(100_000), destroy: 'mid-body' },
    ])
    await expect(sendRequest(post('/hook'), { signal: longSignal() })).resolves.toMatchObject({
      status: 200,
    })
    const spec = post('/hook', { checkResponse: () => undefined })
    await expect(sendRequest(spec, { signal: longSignal() })).rejects.toThrow(
      /^failed to read response body: /u,
    )
    expect(recorder.requests).toHaveLength(2)
  })

  it('does not send to an unsupported scheme or an invalid URL', async () => {
    const options = { signal: longSignal() }
    await expect(sendRequest(post('', { url: 'ftp://127.0.0.1/x' }), options)).rejects.toThrow(
      'unsupported protocol scheme "ftp"',
    )
    await expect(sendRequest(post('', { url: 'not a url' }), options)).rejects.toThrow(
      'invalid URL',
    )
  })
})

describe('sendRequest: the provider timeout bounds the whole send', () => {
  it('ends a request that never gets an answer with context deadline exceeded', async () => {
    recorder.setDefault({ hang: true })
    const started = Date.now()
    const error = await sendRequest(post('/hook'), { signal: AbortSignal.timeout(300) }).catch(
      (e: Error) => e,
    )
    expect((error as Error).message).toBe(
      `POST ${recorder.url}/hook giving up after 1 attempt(s): context deadline exceeded`,
    )
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('ends the wait between retries with the bare context error', async () => {
    recorder.setDefault({ status: 500 })
    const started = Date.now()
    // real back-off of 2s, deadline after 400ms
    const error = await sendRequest(post('/hook'), { signal: AbortSignal.timeout(400) }).catch(
      (e: Error) => e,
    )
    expect((error as Error).message).toBe('context deadline exceeded')
    expect(recorder.requests).toHaveLength(1)
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('says context canceled when the signal is aborted rather than timed out', async () => {
    recorder.setDefault({ hang: true })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    await expect(sendRequest(post('/hook'), { signal: controller.signal })).rejects.toThrow(
      /context canceled$/u,
    )
  })
})

describe('parseRetryAfterMs', () => {
  const now = Date.UTC(1999, 11, 31, 23, 59, 0)
  it('reads seconds and RFC 1123 dates; a past date is 0; junk is ignored', () => {
    expect(parseRetryAfterMs('120', now)).toBe(120_000)
    expect(parseRetryAfterMs('Fri, 31 Dec 1999 23:59:59 GMT', now)).toBe(59_000)
    expect(parseRetryAfterMs('Fri, 31 Dec 1999 23:58:00 GMT', now)).toBe(0)
    expect(parseRetryAfterMs('-5', now)).toBeUndefined()
    expect(parseRetryAfterMs('soon', now)).toBeUndefined()
    expect(parseRetryAfterMs('1999-12-31T23:59:59Z', now)).toBeUndefined()
  })
})
