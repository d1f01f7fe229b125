import { describe, expect, it } from 'vitest'
import {
  isValidLabelSelector,
  labelKeyErrors,
  labelSelectorErrors,
  labelValueErrors,
} from '../../src/manifests/label-selector.js'
import { eventMatchesAlert } from '../../src/routing/match.js'
import { alert, event, fluxObject, source } from '../support/factories.js'

// Kubernetes' messages (k8s.io/apimachinery/pkg/util/validation), as kubectl prints them.
const NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
const QUALIFIED_NAME =
  "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

describe('labelKeyErrors (Kubernetes IsQualifiedName)', () => {
  it.each([
    'a',
    'app',
    'app.kubernetes.io/name',
    'example.com/x',
    'example.com/MyName',
    'my.name',
    '123-abc',
    'a_b',
    'A-Z',
    'x'.repeat(63),
    `${'a'.repeat(253)}/b`,
  ])('accepts %s', (key) => {
    expect(labelKeyErrors(key)).toEqual([])
  })

  it('refuses a name of 64 characters', () => {
    expect(labelKeyErrors('x'.repeat(64))).toEqual(['name part must be no more than 63 characters'])
  })

  it.each(['-a', 'a_', 'a-', '.a', 'a b', 'a=b', 'é'])('refuses the name %j', (key) => {
    expect(labelKeyErrors(key)).toEqual([NAME_PART])
  })

  it('refuses an empty key, with both of Kubernetes messages', () => {
    expect(labelKeyErrors('')).toEqual(['name part must be non-empty', NAME_PART])
  })

  it('refuses more than one "/"', () => {
    expect(labelKeyErrors('a/b/c')).toEqual([QUALIFIED_NAME])
  })

  it('refuses a prefix that is not a lowercase DNS subdomain', () => {
    expect(labelKeyErrors('Example.com/x')).toEqual([`prefix part ${SUBDOMAIN}`])
    expect(labelKeyErrors('example_com/x')).toEqual([`prefix part ${SUBDOMAIN}`])
    expect(labelKeyErrors('example..com/x')).toEqual([`prefix part ${SUBDOMAIN}`])
  })

  it('refuses a prefix longer than 253 characters', () => {
    expect(labelKeyErrors(`${'a'.repeat(254)}/b`)).toEqual([
      'prefix part must be no more than 253 characters',
    ])
  })

  it('refuses an empty prefix or an empty name beside a "/"', () => {
    expect(labelKeyErrors('/a')).toEqual(['prefix part must be non-empty'])
    expect(labelKeyErrors('example.com/')).toEqual(['name part must be non-empty', NAME_PART])
  })

  it('reports the prefix and the name together when both are wrong', () => {
    expect(labelKeyErrors('EXAMPLE/-x')).toEqual([`prefix part ${SUBDOMAIN}`, NAME_PART])
  })
})

describe('labelValueErrors (Kubernetes IsValidLabelValue)', () => {
  it.each(['', 'podinfo', 'MyValue', 'my_value', '12345', 'v1.2.3', 'x'.repeat(63)])(
    'accepts %j',
    (value) => {
      expect(labelValueErrors(value)).toEqual([])
    },
  )

  it.each(['a b', '-a', 'a_', 'a/b', 'prod\n'])('refuses %j', (value) => {
    expect(labelValueErrors(value)).toEqual([LABEL_VALUE])
  })

  it('refuses a value of 64 characters', () => {
    expect(labelValueErrors('x'.repeat(64))).toEqual(['must be no more than 63 characters'])
  })

  it('reports both the length and the characters of a long bad value', () => {
    expect(labelValueErrors(`${'x'.repeat(63)}-`)).toEqual([
      'must be no more than 63 characters',
      LABEL_VALUE,
    ])
  })
})

describe('labelSelectorErrors', () => {
  it('is empty for a valid or empty selector', () => {
    expect(labelSelectorErrors({})).toEqual([])
    expect(labelSelectorErrors({ 'app.kubernetes.io/name': 'podinfo', tier: '' })).toEqual([])
  })

  it("lists each invalid key and value as Kubernetes' field error", () => {
    expect(labelSelectorErrors({ ok: 'yes', '-a': 'x', env: 'a b' })).toEqual([
      { key: '-a', part: 'key', message: `key: Invalid value: "-a": ${NAME_PART}` },
      {
        key: 'env',
        part: 'value',
        message: `values[0][env]: Invalid value: "a b": ${LABEL_VALUE}`,
      },
    ])
  })

  it('joins several problems of one key with "; "', () => {
    expect(labelSelectorErrors({ '': 'x' })).toEqual([
      {
        key: '',
        part: 'key',
        message: `key: Invalid value: "": name part must be non-empty; ${NAME_PART}`,
      },
    ])
  })

  it('isValidLabelSelector agrees', () => {
    expect(isValidLabelSelector({ 'example.com/x': '' })).toBe(true)
    expect(isValidLabelSelector({ 'a/b/c': 'x' })).toBe(false)
    expect(isValidLabelSelector({ a: 'x'.repeat(64) })).toBe(false)
  })
})

describe('eventMatchesAlert with an invalid matchLabels (reference §2.4, InvalidConfig)', () => {
  const labelled = new Map([
    ['Bucket/foo-ns/hyacinth', fluxObject('Bucket', 'foo-ns', 'hyacinth', { a_: 'x' })],
  ])

  it('the source matches nothing, even an object carrying that very label', () => {
    const a = alert({ sources: [source('Bucket', '*', '', { a_: 'x' })] })
    expect(eventMatchesAlert(event(), a, labelled)).toEqual({
      matched: false,
      reason: 'invalid matchLabels (InvalidConfig): this event source matches no event',
    })
  })

  it("the Alert's other sources still match", () => {
    const a = alert({
      sources: [source('Bucket', '*', '', { a_: 'x' }), source('Bucket', 'hyacinth')],
    })
    expect(eventMatchesAlert(event(), a, labelled).matched).toBe(true)
  })

  it('a missing object is reported first, as the controller fetches it before the selector', () => {
    const a = alert({ sources: [source('Bucket', '*', '', { a_: 'x' })] })
    const result = eventMatchesAlert(event(), a, new Map())
    expect(result.matched).toBe(false)
    expect(result.warning).toBe('error getting source object Bucket/foo-ns/hyacinth')
  })
})
