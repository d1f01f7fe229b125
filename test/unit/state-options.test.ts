import { describe, expect, it } from 'vitest'
import { OptionError, parseStateOption } from '../../src/options.js'

describe('the state option', () => {
  it('keeps no state for none, auto (until the cache store exists) and an empty input', () => {
    expect(parseStateOption('none', '/repo')).toEqual({ kind: 'none' })
    expect(parseStateOption('auto', '/repo')).toEqual({ kind: 'none' })
    expect(parseStateOption('  ', '/repo')).toEqual({ kind: 'none' })
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

  it('refuses cache for now, in one line', () => {
    expect(() => parseStateOption('cache', '/repo')).toThrow(OptionError)
    expect(() => parseStateOption('cache', '/repo')).toThrow(
      'state: cache is not supported yet; use a file path and an actions/cache step',
    )
  })
})
