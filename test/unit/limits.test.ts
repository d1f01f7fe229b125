/** The shared cutting helpers of `src/providers/limits.ts`. */
import { describe, expect, it } from 'vitest'
import {
  codePointLength,
  CUT_MARKER,
  cutToBytes,
  cutToFit,
  cutToLength,
  utf8Length,
} from '../../src/providers/limits.js'

describe('codePointLength / utf8Length', () => {
  it('counts a surrogate pair as one code point, a lone surrogate as one', () => {
    expect(codePointLength('')).toBe(0)
    expect(codePointLength('abc')).toBe(3)
    expect(codePointLength('😀a')).toBe(2)
    expect(codePointLength('\ud83d')).toBe(1)
    expect(codePointLength('ℹ️')).toBe(2) // U+2139 and the variation selector U+FE0F
  })

  it('counts UTF-8 bytes', () => {
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4)
  })
})

describe('cutToLength', () => {
  it('leaves a text that fits alone, up to and including the limit', () => {
    expect(cutToLength('hello', 5)).toBe('hello')
    expect(cutToLength('hello', 100)).toBe('hello')
    expect(cutToLength('', 0)).toBe('')
  })

  it('cuts to exactly the limit, the marker included', () => {
    expect(cutToLength('hello world', 6)).toBe('hello…')
    expect(CUT_MARKER).toBe('…')
  })

  it('never splits a surrogate pair', () => {
    expect(cutToLength('😀😀😀', 2)).toBe('😀…')
    expect(cutToLength('a😀b', 2)).toBe('a…')
  })

  it('takes another marker, counted in code points', () => {
    expect(cutToLength('abcdefghij', 8, ' [cut]')).toBe('ab [cut]')
  })

  it('gives as much of the marker as fits when the limit is smaller than it', () => {
    expect(cutToLength('abcdef', 2, '...')).toBe('..')
    expect(cutToLength('abcdef', 0)).toBe('')
  })
})

describe('cutToBytes', () => {
  it('leaves a text that fits alone', () => {
    expect(cutToBytes('ééé', 6)).toBe('ééé')
  })

  it('cuts on a code point boundary so that text and marker fit the bytes', () => {
    // é is 2 bytes, … is 3
    expect(cutToBytes('ééé', 5)).toBe('é…')
    expect(cutToBytes('ééé', 4)).toBe('…')
    expect(cutToBytes('😀😀', 7)).toBe('😀…')
    expect(cutToBytes('😀😀', 6)).toBe('…') // a 4-byte character does not fit beside the marker
    expect(cutToBytes('😀😀', 6, '.')).toBe('😀.')
  })

  it('gives nothing when even the marker does not fit', () => {
    expect(cutToBytes('ééé', 2)).toBe('')
  })
})

describe('cutToFit', () => {
  const total = (limit: number) => (texts: string[]) =>
    texts.reduce((n, t) => n + codePointLength(t), 0) <= limit

  it('returns the texts untouched when they fit', () => {
    expect(cutToFit(['abc', 'de'], total(5))).toEqual(['abc', 'de'])
  })

  it('cuts only the long text when the short ones leave room', () => {
    expect(cutToFit(['a'.repeat(20), 'bb'], total(10))).toEqual(['aaaaaaa…', 'bb'])
  })

  it('cuts long texts to a common maximum', () => {
    expect(cutToFit(['a'.repeat(20), 'b'.repeat(20), 'c'], total(11))).toEqual([
      'aaaa…',
      'bbbb…',
      'c',
    ])
  })

  it('empties the texts when nothing else can fit', () => {
    expect(cutToFit(['abc', 'def'], () => false)).toEqual(['', ''])
  })

  it('works on byte budgets too', () => {
    const bytes = (texts: string[]) => utf8Length(texts.join('')) <= 9
    // 'é' × 10 is 20 bytes: 3 × é (6 bytes) + … (3 bytes) = 9
    expect(cutToFit(['é'.repeat(10)], bytes)).toEqual(['ééé…'])
  })
})
