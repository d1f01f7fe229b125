import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Problem } from '../../src/manifests/model.js'
import { loadStateFile, saveStateFile, StateJournal } from '../../src/state/file.js'
import { emptyState } from '../../src/state/store.js'

let dir: string
let path: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flux-notify-state-'))
  path = join(dir, 'state', 'flux-notify.json')
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('loadStateFile', () => {
  it('starts empty, without a warning, when there is no file yet', () => {
    expect(loadStateFile(path)).toEqual({ state: emptyState(), problems: [] })
  })

  it('merges a journal a killed run left (no state file), ignoring its truncated last line', async () => {
    await writeFile(
      join(dir, 'journal-only.json.journal'),
      '{"key":"aaa","time":1000}\n{"key":"bbb","time":2000}\n{"key":"cc',
    )
    const loaded = loadStateFile(join(dir, 'journal-only.json'))
    expect(loaded.problems).toEqual([])
    expect(loaded.state.deliveries).toEqual({ aaa: 1000, bbb: 2000 })
  })

  it('warns about a corrupt state file and starts with empty state', async () => {
    const corrupt = join(dir, 'corrupt.json')
    await writeFile(corrupt, '{"version":1,"deliveries":{"a":')
    const loaded = loadStateFile(corrupt)
    expect(loaded.state).toEqual(emptyState())
    expect(loaded.problems).toEqual([
      {
        severity: 'warning',
        message: `state file ${corrupt}: not valid JSON: starting with empty state`,
      },
    ])
  })

  it('warns about a state file it cannot read', () => {
    // a directory where the file should be: EISDIR
    const loaded = loadStateFile(dir)
    expect(loaded.problems).toHaveLength(1)
    expect(loaded.problems[0]?.message).toMatch(
      /^state file .*: EISDIR: starting with empty state$/,
    )
  })
})

describe('saving', () => {
  it('journals as it goes, then writes the state atomically and removes the journal', async () => {
    const problems: Problem[] = []
    const journal = new StateJournal(path, (p) => problems.push(p))
    journal.append({ key: 'k1', time: 5 })
    journal.append({ key: 'k2', time: 6 })
    journal.close()
    expect(await readFile(`${path}.journal`, 'utf8')).toBe(
      '{"key":"k1","time":5}\n{"key":"k2","time":6}\n',
    )
    // what a run killed now would leave: the next run sees both
    expect(loadStateFile(path).state.deliveries).toEqual({ k1: 5, k2: 6 })

    const state = { ...emptyState(), deliveries: { k1: 5, k2: 6 } }
    const saved = saveStateFile(path, state)
    expect(saved).toEqual({ bytes: (await readFile(path)).length })
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      version: 1,
      deliveries: { k1: 5, k2: 6 },
      events: {},
      rateLimit: null,
    })
    // no journal and no temporary file left behind
    expect(await readdir(join(dir, 'state'))).toEqual(['flux-notify.json'])
    expect(problems).toEqual([])
  })

  it('reports a state file it cannot write as a warning, keeping the journal', async () => {
    const journalled = join(dir, 'blocked.json')
    await writeFile(`${journalled}.journal`, '{"key":"k","time":1}\n')
    // a directory in the way of the rename
    await mkdir(join(journalled, 'inside'), { recursive: true })
    const saved = saveStateFile(journalled, emptyState())
    expect(saved).toMatchObject({ severity: 'warning' })
    expect('message' in saved && saved.message).toMatch(/: state not saved$/)
    expect(await readFile(`${journalled}.journal`, 'utf8')).toBe('{"key":"k","time":1}\n')
  })
})
