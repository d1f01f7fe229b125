import { describe, expect, it } from 'vitest'
import { parseStateOption } from '../../src/options.js'

describe('the state option', () => {
  it('names none, auto (the default, also for an empty input) and cache as kinds', () => {
    expect(parseStateOption('none', '/repo')).toEqual({ kind: 'none' })
    expect(parseStateOption('auto', '/repo')).toEqual({ kind: 'auto' })
    expect(parseStateOption('  ', '/repo')).toEqual({ kind: 'auto' })
    expect(parseStateOption('cache', '/repo')).toEqual({ kind: 'cache' })
  })

  it('resolves a file path against the working directory', () => {
    expect(parseStateOption('.state/flux.json', '/repo')).toEqual({
      kind: 'file',
      path: '/repo/.state/flux.json',
    })
    expect(parseStateOption('/tmp/flux.json', '/repo')).toEqual({
      kind: 'file',
      path: '/tmp/flux.json',
    })
  })
})
