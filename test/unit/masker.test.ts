/**
 * `createMasker`, the masker a run applies to every decision row: the controller's rule for each
 * secret (reference §7: `QuoteMeta(token) + "*"` replaced by `*****`, so the token without its
 * last character and the token followed by more of its last character are masked too), whatever
 * the text, however often the same text comes back, and whatever characters the secrets hold.
 */
import { describe, expect, it } from 'vitest'
import { createMasker } from '../../src/delivery/mask.js'

describe('createMasker', () => {
  it('the same text masked again gives the same result, and each masker keeps its own', () => {
    const withToken = createMasker(['abc123'])
    const withNothing = createMasker([])
    for (let round = 0; round < 3; round++) {
      expect(withToken('token abc123 rejected')).toBe('token ***** rejected')
      expect(withNothing('token abc123 rejected')).toBe('token abc123 rejected')
      expect(withToken('no secret here')).toBe('no secret here')
    }
  })

  it('texts with no secret are left as they are, those with one masked, in any order', () => {
    const mask = createMasker(['hunter22', 'xoxb-bench-7'])
    const texts = Array.from({ length: 5000 }, (_, i) =>
      i % 7 === 0
        ? `row ${i}: hunter22 leaked`
        : i % 11 === 0
          ? `row ${i}: xoxb-bench-77`
          : `row ${i}`,
    )
    // twice: the second time every text has been seen (or forgotten) before
    for (let round = 0; round < 2; round++) {
      texts.forEach((text, i) => {
        const expected =
          i % 7 === 0 ? `row ${i}: ***** leaked` : i % 11 === 0 ? `row ${i}: *****` : `row ${i}`
        expect(mask(text)).toBe(expected)
      })
    }
  })

  it('a long text is masked like a short one', () => {
    const mask = createMasker(['s3cr3t'])
    const long = `${'x'.repeat(5000)} s3cr3 ${'y'.repeat(5000)} s3cr3ttt`
    const expected = `${'x'.repeat(5000)} ***** ${'y'.repeat(5000)} *****`
    expect(mask(long)).toBe(expected)
    expect(mask(long)).toBe(expected)
  })

  it('every character RE2 gives a meaning to is taken literally', () => {
    const secrets = ['a|b', 'x.y', '(z)', '[q]', 'c+d', 'e?f', 'g*h', '{1}', '^k$', 'm\\n']
    const mask = createMasker(secrets)
    for (const secret of secrets) expect(mask(`<${secret}>`)).toBe('<*****>')
    // what those characters would match as a pattern is not masked
    expect(mask('axy xzy b ccd ef gh k qq')).toBe('axy xzy b ccd ef gh k qq')
  })

  it('a secret inside a longer one: the longer is masked whole', () => {
    expect(createMasker(['abc', 'abcdef'])('value abcdef!')).toBe('value *****!')
    expect(createMasker(['abcdef', 'abc'])('value abcdef! and abc')).toBe('value *****! and *****')
  })

  it('credentials in URLs are redacted whether or not a secret was found', () => {
    const mask = createMasker(['tok'])
    expect(mask('Post "https://user:pass@host.example/x": EOF')).toBe(
      'Post "https://***@host.example/x": EOF',
    )
    expect(mask('Post "https://tok@host.example/x": EOF')).toBe(
      'Post "https://***@host.example/x": EOF',
    )
  })

  it('a lone surrogate in a secret is masked where it stands alone, not inside a pair', () => {
    const mask = createMasker(['\ud800x'])
    expect(mask('a\ud800xb')).toBe('a*****b')
    // here U+D800 is the first half of U+10000, a code point of its own
    expect(mask('a\ud800\udc00xb')).toBe('a\ud800\udc00xb')
  })
})
