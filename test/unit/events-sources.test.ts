/**
 * The IO edges: event files and globs, standard input, and the repository_dispatch payload.
 */
import { copyFile, mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readDispatchPayload } from '../../src/sources/dispatch.js'
import { readEventFiles } from '../../src/sources/event-files.js'

const fixtures = fileURLToPath(new URL('../fixtures/events/', import.meta.url))
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flux-notify-events-'))
  await mkdir(path.join(dir, 'captures'))
  await copyFile(path.join(fixtures, 'kubectl-get-events.json'), path.join(dir, 'kubectl.json'))
  await copyFile(path.join(fixtures, 'generic-webhook.ndjson'), path.join(dir, 'captures/b.ndjson'))
  await copyFile(path.join(fixtures, 'kubectl-watch.json'), path.join(dir, 'captures/a.json'))
  await copyFile(path.join(fixtures, 'repository-dispatch.json'), path.join(dir, 'dispatch.json'))
  await writeFile(path.join(dir, 'no-client-payload.json'), '{"action": "Kustomization/apps"}')
  // A sparse file of 100 MiB of NUL bytes and no line break: nothing is written, only the size is
  // set. Files are streamed with no size limit; its first "value" is what passes the limit.
  await writeFile(path.join(dir, 'huge.json'), '')
  await truncate(path.join(dir, 'huge.json'), 100 * 1024 * 1024 + 1)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('readEventFiles', () => {
  it('reads files and globs in the order given, glob matches sorted, with relative sources', async () => {
    const result = await readEventFiles(['kubectl.json', 'captures/*'], dir)
    expect(result.problems.filter((p) => p.severity === 'error')).toEqual([])
    const sources = [...new Set(result.events.map((e) => e.origin.source))]
    expect(sources).toEqual(['kubectl.json', 'captures/a.json', 'captures/b.ndjson'])
    // 6 from the list, 2 from the watch stream, 7 captures
    expect(result.events).toHaveLength(15)
    expect(result.ignored).toEqual({ nonFlux: 1, trace: 1 })
    // the list's aggregation warning names its file
    expect(result.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        location: { file: 'kubectl.json', line: 208 },
      }),
    ])
  })

  it('reads a file named twice (directly and by a glob) once', async () => {
    const result = await readEventFiles(['captures/a.json', 'captures/*.json', ' '], dir)
    expect(result.events).toHaveLength(2)
  })

  it('"-" reads standard input once, labelled stdin', async () => {
    let reads = 0
    const stdin = async () => {
      reads++
      return '{"involvedObject":{"kind":"Kustomization","namespace":"flux-system","name":"apps"},"severity":"error","timestamp":null,"message":"m","reason":"r","reportingController":"c"}\n'
    }
    const result = await readEventFiles(['-', '-'], dir, stdin)
    expect(reads).toBe(1)
    expect(result.problems).toEqual([])
    expect(result.events.map((e) => e.origin)).toEqual([{ source: 'stdin', index: 0, line: 1 }])
  })

  it('one Problem per unusable entry, naming it; the rest still loads', async () => {
    const result = await readEventFiles(
      [
        'missing.json',
        // fetch refuses port 1 outright (a "bad port"): the entry fails without any connection
        'http://127.0.0.1:1/events.json',
        'captures',
        'nothing/*.json',
        'huge.json',
        'captures/a.json',
      ],
      dir,
    )
    expect(result.events).toHaveLength(2)
    expect(result.problems).toEqual([
      { severity: 'error', message: 'missing.json: event file not found' },
      {
        severity: 'error',
        message: expect.stringMatching(/^http:\/\/127\.0\.0\.1:1\/events\.json: cannot fetch: /),
      },
      {
        severity: 'error',
        message: 'captures: is a directory; name the event files or a glob such as captures/*.json',
      },
      { severity: 'warning', message: 'nothing/*.json: no event files match this pattern' },
      {
        severity: 'error',
        message: 'a single value larger than 16 MiB; refusing it',
        location: { file: 'huge.json', line: 1 },
      },
    ])
  })

  it('a failing standard input is a Problem, not an exception', async () => {
    const result = await readEventFiles(['-'], dir, async () => {
      throw new Error('EPIPE: broken pipe\n    at somewhere')
    })
    expect(result.problems).toEqual([
      { severity: 'error', message: 'stdin: cannot read: EPIPE: broken pipe' },
    ])
  })
})

describe('readDispatchPayload', () => {
  it('is undefined outside a repository_dispatch run', async () => {
    expect(await readDispatchPayload({})).toBeUndefined()
    expect(
      await readDispatchPayload({
        GITHUB_EVENT_NAME: 'push',
        GITHUB_EVENT_PATH: path.join(dir, 'dispatch.json'),
      }),
    ).toBeUndefined()
    expect(
      await readDispatchPayload({
        GITHUB_EVENT_NAME: 'repository_dispatch',
        GITHUB_EVENT_PATH: path.join(dir, 'not-there.json'),
      }),
    ).toBeUndefined()
  })

  it('reads client_payload as the Flux event, with its bare metadata keys prefixed', async () => {
    const result = await readDispatchPayload({
      GITHUB_EVENT_NAME: 'repository_dispatch',
      GITHUB_EVENT_PATH: path.join(dir, 'dispatch.json'),
    })
    expect(result?.problems).toEqual([])
    expect(result?.events).toHaveLength(1)
    const [sourced] = result!.events
    expect(sourced!.origin).toEqual({ source: 'repository_dispatch payload', index: 0 })
    expect(sourced!.event.reason).toBe('Progressing')
    expect(sourced!.event.metadata).toStrictEqual({
      'kustomize.toolkit.fluxcd.io/cluster': 'staging-1',
      'kustomize.toolkit.fluxcd.io/env': 'staging',
      'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:450796ddb2ab6724ee1cc32a4be56da032d1cca0',
    })
  })

  it('an unreadable payload is one Problem with its line', async () => {
    await writeFile(path.join(dir, 'broken.json'), '{\n  "action": "x",\n  "client_payload": {\n')
    const result = await readDispatchPayload({
      GITHUB_EVENT_NAME: 'repository_dispatch',
      GITHUB_EVENT_PATH: path.join(dir, 'broken.json'),
    })
    expect(result?.events).toEqual([])
    expect(result?.problems).toEqual([
      {
        severity: 'error',
        message: 'invalid JSON: unexpected end of input, expected a double-quoted property name',
        location: { file: 'repository_dispatch payload', line: 4, column: 1 },
      },
    ])
  })

  it('a payload without client_payload is one Problem', async () => {
    const result = await readDispatchPayload({
      GITHUB_EVENT_NAME: 'repository_dispatch',
      GITHUB_EVENT_PATH: path.join(dir, 'no-client-payload.json'),
    })
    expect(result).toEqual({
      events: [],
      problems: [
        {
          severity: 'error',
          message:
            'repository_dispatch payload: no client_payload object; expected the Flux event there',
        },
      ],
      ignored: { nonFlux: 0, trace: 0 },
    })
  })
})
