/**
 * The Go-compatible JSON encoder, byte for byte, against Go's `encoding/json` rules (reference
 * §1.1 "Go JSON details"; Go 1.22+ `appendString`): what is written as it is (the fast path for
 * strings with nothing to escape), what is escaped and how, in both escaping modes, and the order
 * of struct fields and map keys.
 */
import { describe, expect, it } from 'vitest'
import { goJson, goMap, RawJson } from '../../src/util/go-json.js'

const html = (value: unknown) => goJson(value)
const noHtml = (value: unknown) => goJson(value, { escapeHTML: false })

describe('strings Go writes as they are', () => {
  it.each([
    ['', '""'],
    ['stored artifact for commit', '"stored artifact for commit"'],
    [
      'main@sha1:a129bba1f57240c952aa188a2714fbd568b94b2c',
      '"main@sha1:a129bba1f57240c952aa188a2714fbd568b94b2c"',
    ],
    // space is the first byte Go does not escape, `~` and DEL the last ASCII ones
    [" !#$%'()*+,-./09:;=?@AZ[]^_`az{|}~\u007f", '" !#$%\'()*+,-./09:;=?@AZ[]^_`az{|}~\u007f"'],
    // valid multi-byte UTF-8 is copied, not escaped
    ['déploiement réussi ✓ 日本語', '"déploiement réussi ✓ 日本語"'],
    ['\u00a0\u0085\u2027\u202a\ufeff\uffff', '"\u00a0\u0085\u2027\u202a\ufeff\uffff"'],
    ['rocket 🚀 and 😀', '"rocket 🚀 and 😀"'],
  ])('%j', (text, encoded) => {
    expect(html(text)).toBe(encoded)
    expect(noHtml(text)).toBe(encoded)
  })
})

describe('strings Go escapes', () => {
  it('quote and backslash', () => {
    expect(html('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"')
    expect(noHtml('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"')
  })

  it('\\b \\f \\n \\r \\t short, as Go 1.22+ writes them', () => {
    expect(html('a\bb\fc\nd\re\tf')).toBe('"a\\bb\\fc\\nd\\re\\tf"')
    expect(noHtml('a\bb\fc\nd\re\tf')).toBe('"a\\bb\\fc\\nd\\re\\tf"')
  })

  it('every other control character as \\u00xx in lower-case hex', () => {
    const expected: Record<number, string> = {
      0x08: '\\b',
      0x09: '\\t',
      0x0a: '\\n',
      0x0c: '\\f',
      0x0d: '\\r',
    }
    const hex = '0123456789abcdef'
    for (let c = 0; c < 0x20; c++) {
      const escape = expected[c] ?? `\\u00${hex[c >> 4]}${hex[c & 0xf]}`
      expect(html(`x${String.fromCharCode(c)}y`)).toBe(`"x${escape}y"`)
      expect(noHtml(`x${String.fromCharCode(c)}y`)).toBe(`"x${escape}y"`)
    }
  })

  it('<, > and & as \\u003c, \\u003e, \\u0026, unless HTML escaping is off', () => {
    expect(html('<b>&amp;</b>')).toBe('"\\u003cb\\u003e\\u0026amp;\\u003c/b\\u003e"')
    expect(noHtml('<b>&amp;</b>')).toBe('"<b>&amp;</b>"')
  })

  it('U+2028 and U+2029 in both modes', () => {
    expect(html('a\u2028b\u2029c')).toBe('"a\\u2028b\\u2029c"')
    expect(noHtml('a\u2028b\u2029c')).toBe('"a\\u2028b\\u2029c"')
  })

  it('the error variant of the reference (§8.2), as the generic body carries it', () => {
    expect(html('apply failed: <b>&"x"</b>\nsecond line')).toBe(
      '"apply failed: \\u003cb\\u003e\\u0026\\"x\\"\\u003c/b\\u003e\\nsecond line"',
    )
  })

  it('a lone surrogate as the U+FFFD that Go decoding gives for it', () => {
    // JavaScript strings hold no bytes: a lone surrogate stands for the invalid UTF-8 that Go's
    // decoder turned into U+FFFD, a valid rune its encoder then writes as it is
    expect(html('a\ud800b')).toBe(html('a\ufffdb'))
    expect(html('a\ufffdb')).toBe('"a\ufffdb"')
    expect(html('\udc00\ud83d😀\ud83d')).toBe('"\ufffd\ufffd😀\ufffd"')
    expect(noHtml('<\udfff>')).toBe('"<\ufffd>"')
  })

  it('everything at once', () => {
    expect(html('😀 "<\u2028\u0001\ud800>" é')).toBe(
      '"😀 \\"\\u003c\\u2028\\u0001\ufffd\\u003e\\" é"',
    )
    expect(noHtml('😀 "<\u2028\u0001\ud800>" é')).toBe('"😀 \\"<\\u2028\\u0001\ufffd>\\" é"')
  })
})

describe('structs, maps and slices', () => {
  it('struct fields in declaration order, undefined (omitempty) left out, null kept', () => {
    expect(html({ z: 1, a: 'x', skip: undefined, n: null, t: true, f: false })).toBe(
      '{"z":1,"a":"x","n":null,"t":true,"f":false}',
    )
    expect(html({ only: undefined })).toBe('{}')
  })

  it('map keys sorted by their UTF-8 bytes, escaped like strings', () => {
    // UTF-16 order would put 😀 (D83D) before U+FFFF; its UTF-8 (F0…) sorts after (EF BF BF)
    const map = new Map<string, number>([
      ['😀', 1],
      ['\uffff', 2],
      ['é', 3],
      ['z', 4],
      ['<a>', 5],
      ['B', 6],
    ])
    expect(html(map)).toBe('{"\\u003ca\\u003e":5,"B":6,"z":4,"é":3,"\uffff":2,"😀":1}')
    expect(noHtml(map)).toBe('{"<a>":5,"B":6,"z":4,"é":3,"\uffff":2,"😀":1}')
  })

  it('a map from a record (goMap), its undefined values left out', () => {
    expect(html(goMap({ revision: 'main@sha1:abc', app: '<1>', none: undefined }))).toBe(
      '{"app":"\\u003c1\\u003e","revision":"main@sha1:abc"}',
    )
  })

  it('keys with characters to escape, in structs too', () => {
    expect(html({ 'a"b': 1, '<k>': 2, 'line\nbreak': 3 })).toBe(
      '{"a\\"b":1,"\\u003ck\\u003e":2,"line\\nbreak":3}',
    )
    expect(noHtml({ '<k>': 2 })).toBe('{"<k>":2}')
  })

  it('the same key in both modes is not mixed up between them', () => {
    expect(html({ '&': 1 })).toBe('{"\\u0026":1}')
    expect(noHtml({ '&': 1 })).toBe('{"&":1}')
    expect(html({ '&': 1 })).toBe('{"\\u0026":1}')
  })

  it('slices, empty and nested; raw JSON embedded as is', () => {
    expect(html([])).toBe('[]')
    expect(html([1, 'a', [null, []], {}])).toBe('[1,"a",[null,[]],{}]')
    expect(html({ raw: new RawJson('{"x": [1, 2]}') })).toBe('{"raw":{"x": [1, 2]}}')
  })

  it('undefined and null as null where they are values, not fields', () => {
    expect(html(undefined)).toBe('null')
    expect(html([undefined, null])).toBe('[null,null]')
  })

  it('numbers that JSON cannot hold are refused', () => {
    expect(() => html(Number.NaN)).toThrow('cannot encode NaN as JSON')
    expect(() => html({ a: Infinity })).toThrow('cannot encode Infinity as JSON')
  })
})
