import { describe, expect, it } from 'vitest'
import * as z from 'zod/mini'
import { lazy, lazyObject, lazyRecord } from '../../src/util/lazy.js'
import { useEnglishMessages } from '../../src/util/zod-messages.js'

describe('lazy', () => {
  it('builds on the first call only', () => {
    let builds = 0
    const get = lazy(() => ({ n: ++builds }))
    expect(builds).toBe(0)
    const first = get()
    expect(get()).toBe(first)
    expect(builds).toBe(1)
  })
})

describe('lazyRecord', () => {
  it('builds each entry on its first read, and lists every key from the start', () => {
    const built: string[] = []
    const record = lazyRecord(['a', 'b', 'c'] as const, (key) => {
      built.push(key)
      return { key }
    })
    expect(Object.keys(record)).toEqual(['a', 'b', 'c'])
    expect('b' in record).toBe(true)
    expect(built).toEqual([])
    const b = record.b
    expect(b).toEqual({ key: 'b' })
    expect(record.b).toBe(b)
    expect(built).toEqual(['b'])
  })
})

describe('lazyObject', () => {
  it('stands for a zod schema: methods, `in` and keys reach the schema built on first use', () => {
    let builds = 0
    const schema = lazyObject(() => {
      builds += 1
      return z.object({ name: z.string() })
    })
    expect(builds).toBe(0)
    expect(schema.safeParse({ name: 'a' })).toEqual({ success: true, data: { name: 'a' } })
    expect(schema.parse({ name: 'b', extra: 1 })).toEqual({ name: 'b' })
    expect(() => schema.parse({ name: 1 })).toThrow()
    expect('shape' in schema).toBe(true)
    expect(Object.keys(schema.shape)).toEqual(['name'])
    expect(builds).toBe(1)
  })
})

describe('useEnglishMessages', () => {
  // zod's English messages (zod.dev, "Customizing errors"): `Invalid input: expected string,
  // received number`; zod/mini alone only says "Invalid input".
  it("gives zod/mini the full build's English messages", () => {
    useEnglishMessages()
    const result = z.string().safeParse(5)
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.message).toBe('Invalid input: expected string, received number')
    const short = z.string().check(z.minLength(3)).safeParse('ab')
    expect(short.error?.issues[0]?.message).toBe(
      'Too small: expected string to have >=3 characters',
    )
  })
})
