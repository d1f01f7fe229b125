/**
 * Loopback HTTPS for tests: a throwaway CA made at test time with the `openssl` command (Node can
 * verify certificates but not issue them), server and client certificates signed by it, and an
 * HTTPS server on 127.0.0.1 that records requests, optionally asking for a client certificate.
 *
 * Nothing is kept: the keys live in a temporary directory removed right after issuing.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:https'
import type { IncomingHttpHeaders } from 'node:http'
import { connect as netConnect } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer as createTlsServer } from 'node:tls'
import type { TLSSocket } from 'node:tls'

export interface Pem {
  cert: string
  key: string
}

export interface TestPki {
  ca: Pem
  /** for 127.0.0.1, localhost and flux-notify.test (a name only the test proxy resolves) */
  server: Pem
  /** a client certificate (extendedKeyUsage clientAuth) */
  client: Pem
}

/** Whether the `openssl` command can be run here. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

/** A CA plus a server and a client certificate signed by it, all EC P-256, valid for two days. */
export function createTestPki(name = 'flux-notify throwaway CA'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'flux-notify-pki-'))
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    // prettier-ignore
    openssl(dir, [
      'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2',
      '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ])
    const issue = (leaf: string, subject: string, extensions: string) => {
      writeFileSync(join(dir, `${leaf}.ext`), extensions)
      openssl(dir, [
        'req',
        ...ec,
        '-keyout',
        `${leaf}.key`,
        '-out',
        `${leaf}.csr`,
        '-subj',
        subject,
      ])
      // prettier-ignore
      openssl(dir, [
        'x509', '-req', '-in', `${leaf}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key',
        '-CAcreateserial', '-out', `${leaf}.crt`, '-days', '2', '-extfile', `${leaf}.ext`,
      ])
    }
    issue(
      'server',
      '/CN=127.0.0.1',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:flux-notify.test\nextendedKeyUsage=serverAuth\n',
    )
    issue('client', '/CN=flux-notify client', 'extendedKeyUsage=clientAuth\n')
    const read = (file: string) => readFileSync(join(dir, file), 'utf8')
    return {
      ca: { cert: read('ca.crt'), key: read('ca.key') },
      server: { cert: read('server.crt'), key: read('server.key') },
      client: { cert: read('client.crt'), key: read('client.key') },
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface TlsRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** the subject CN of the client certificate, when one was presented and verified */
  clientCertificate?: string
}

export interface TlsServer {
  /** `https://127.0.0.1:<port>` */
  url: string
  port: number
  requests: TlsRequest[]
  /** TLS handshakes that failed on the server side (e.g. the client refused our certificate) */
  handshakeFailures: number
  close(): Promise<void>
}

export interface TlsServerOptions {
  pki: TestPki
  /** require a client certificate signed by the CA */
  requireClientCertificate?: boolean
  /** the answer; default 200 `ok` */
  respond?: (request: TlsRequest) => { status: number; body?: string }
}

/** An HTTPS server on 127.0.0.1 presenting the PKI's server certificate. */
export async function startTlsServer(options: TlsServerOptions): Promise<TlsServer> {
  const requests: TlsRequest[] = []
  const state = { handshakeFailures: 0 }
  const server = createServer(
    {
      cert: options.pki.server.cert,
      key: options.pki.server.key,
      ca: options.pki.ca.cert,
      requestCert: options.requireClientCertificate ?? false,
      rejectUnauthorized: options.requireClientCertificate ?? false,
    },
    (request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const socket = request.socket as TLSSocket
        const peer = socket.authorized ? socket.getPeerCertificate() : undefined
        const record: TlsRequest = {
          method: request.method ?? '',
          path: request.url ?? '/',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }
        const cn = peer?.subject?.CN
        if (typeof cn === 'string') record.clientCertificate = cn
        requests.push(record)
        const answer = options.respond?.(record) ?? { status: 200, body: 'ok' }
        const body = Buffer.from(answer.body ?? '', 'utf8')
        response.writeHead(answer.status, { 'content-length': String(body.byteLength) })
        response.end(body)
      })
    },
  )
  server.on('tlsClientError', () => {
    state.handshakeFailures += 1
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests,
    get handshakeFailures() {
      return state.handshakeFailures
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export interface TlsFront {
  /** `https://127.0.0.1:<port>` */
  url: string
  /** TLS connections accepted (handshake done) */
  connections: number
  /** TLS handshakes that failed (the client refused our certificate, or sent none) */
  handshakeFailures: number
  close(): Promise<void>
}

/**
 * HTTPS in front of a plain HTTP test server on 127.0.0.1 (such as the fake GitHub): terminates
 * TLS with the PKI's server certificate and relays the bytes to `upstreamPort`.
 */
export async function startTlsFront(pki: TestPki, upstreamPort: number): Promise<TlsFront> {
  const state = { connections: 0, handshakeFailures: 0 }
  const sockets = new Set<Socket>()
  const server = createTlsServer({ cert: pki.server.cert, key: pki.server.key }, (client) => {
    state.connections += 1
    const upstream = netConnect(upstreamPort, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream)
    upstream.pipe(client)
  })
  server.on('tlsClientError', () => {
    state.handshakeFailures += 1
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `https://127.0.0.1:${port}`,
    get connections() {
      return state.connections
    },
    get handshakeFailures() {
      return state.handshakeFailures
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
