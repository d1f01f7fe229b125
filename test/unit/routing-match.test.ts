import { describe, expect, it } from 'vitest'
import type { FluxObject } from '../../src/manifests/model.js'
import { eventMatchesAlert } from '../../src/routing/match.js'
import { alert, event, fluxObject, source } from '../support/factories.js'

const none = new Map<string, FluxObject>()
const objects = (...list: FluxObject[]) =>
  new Map(list.map((o) => [`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o]))

describe('eventMatchesAlert: sources (reference §2.4)', () => {
  it('defaults an empty source namespace to the alert namespace', () => {
    const a = alert({ namespace: 'foo-ns', sources: [source('Bucket', 'hyacinth')] })
    expect(eventMatchesAlert(event({ namespace: 'foo-ns' }), a, none).matched).toBe(true)
    expect(eventMatchesAlert(event({ namespace: 'bar-ns' }), a, none)).toEqual({
      matched: false,
      reason: 'no event source matches',
    })
  })

  it('compares kind and namespace exactly and case-sensitively', () => {
    const a = alert({ sources: [source('Bucket', '*', 'other-ns')] })
    expect(eventMatchesAlert(event({ namespace: 'other-ns' }), a, none).matched).toBe(true)
    expect(
      eventMatchesAlert(event({ namespace: 'other-ns', kind: 'bucket' }), a, none).matched,
    ).toBe(false)
    expect(eventMatchesAlert(event({ namespace: 'Other-ns' }), a, none).matched).toBe(false)
  })

  it('matches a name exactly or through the wildcard "*" only (no globs)', () => {
    const exact = alert({ sources: [source('Bucket', 'hyacinth')] })
    expect(eventMatchesAlert(event({ name: 'hyacinth' }), exact, none).matched).toBe(true)
    expect(eventMatchesAlert(event({ name: 'hyacinth-2' }), exact, none)).toEqual({
      matched: false,
      reason: 'no event source matches name "hyacinth-2"',
    })
    const glob = alert({ sources: [source('Bucket', 'hya*')] })
    expect(eventMatchesAlert(event({ name: 'hyacinth' }), glob, none).matched).toBe(false)
    const any = alert({ sources: [source('Bucket', '*')] })
    expect(eventMatchesAlert(event({ name: 'anything' }), any, none).matched).toBe(true)
  })

  it('skips a suspended alert', () => {
    expect(eventMatchesAlert(event(), alert({ suspend: true }), none)).toEqual({
      matched: false,
      reason: 'alert suspended',
    })
  })

  it('matches when any one source matches', () => {
    const a = alert({ sources: [source('GitRepository', '*'), source('Bucket', 'hyacinth')] })
    const result = eventMatchesAlert(event(), a, none)
    expect(result.matched).toBe(true)
    expect(result.reason).toBe('matches event source Bucket/foo-ns/hyacinth')
  })
})

describe('eventMatchesAlert: severity (reference §2.4 step 2.3)', () => {
  const info = alert({ severity: 'info' })
  const error = alert({ severity: 'error' })
  it('an info alert receives every severity, trace and garbage included', () => {
    for (const severity of ['info', 'error', 'trace', 'whatever', '']) {
      expect(eventMatchesAlert(event({ severity }), info, none).matched).toBe(true)
    }
  })
  it('an error alert receives only error', () => {
    expect(eventMatchesAlert(event({ severity: 'error' }), error, none).matched).toBe(true)
    expect(eventMatchesAlert(event({ severity: 'info' }), error, none)).toEqual({
      matched: false,
      reason: "severity info below alert's error",
    })
    expect(eventMatchesAlert(event({ severity: 'trace' }), error, none).matched).toBe(false)
  })
  it('an empty eventSeverity (no CRD defaulting) matches only an empty severity', () => {
    const empty = alert({ severity: '' })
    expect(eventMatchesAlert(event({ severity: '' }), empty, none).matched).toBe(true)
    expect(eventMatchesAlert(event({ severity: 'info' }), empty, none).matched).toBe(false)
    expect(eventMatchesAlert(event({ severity: 'error' }), empty, none).matched).toBe(false)
  })
})

describe('eventMatchesAlert: matchLabels (reference §2.4 steps 2.5–2.6)', () => {
  const podinfo = fluxObject('GitRepository', 'foo-ns', 'podinfo', { app: 'podinfo', tier: 'web' })
  const gitEvent = event({ kind: 'GitRepository', name: 'podinfo' })

  it('absent matchLabels match without looking the object up', () => {
    const a = alert({ sources: [source('GitRepository', '*')] })
    expect(eventMatchesAlert(gitEvent, a, none)).toEqual({
      matched: true,
      reason: 'matches event source GitRepository/foo-ns/*',
    })
  })

  it('present matchLabels need every label equal on the object (AND)', () => {
    const one = alert({ sources: [source('GitRepository', '*', '', { app: 'podinfo' })] })
    expect(eventMatchesAlert(gitEvent, one, objects(podinfo)).matched).toBe(true)
    const both = alert({
      sources: [source('GitRepository', '*', '', { app: 'podinfo', tier: 'db' })],
    })
    expect(eventMatchesAlert(gitEvent, both, objects(podinfo))).toEqual({
      matched: false,
      reason: 'labels do not match',
    })
  })

  it('are checked after any name match, not only for "*"', () => {
    const named = alert({ sources: [source('GitRepository', 'podinfo', '', { app: 'other' })] })
    expect(eventMatchesAlert(gitEvent, named, objects(podinfo)).matched).toBe(false)
  })

  it('an empty map still needs the object, and then matches', () => {
    const empty = alert({ sources: [source('GitRepository', '*', '', {})] })
    expect(eventMatchesAlert(gitEvent, empty, objects(podinfo)).matched).toBe(true)
    const missing = eventMatchesAlert(gitEvent, empty, none)
    expect(missing.matched).toBe(false)
    expect(missing.warning).toBe('error getting source object GitRepository/foo-ns/podinfo')
  })

  it('a missing object is no match plus a warning naming it', () => {
    const a = alert({ sources: [source('GitRepository', '*', '', { app: 'podinfo' })] })
    expect(
      eventMatchesAlert(event({ kind: 'GitRepository', name: 'gone' }), a, objects(podinfo)),
    ).toEqual({
      matched: false,
      reason: 'labels unknown: GitRepository/foo-ns/gone is not in the manifests',
      warning: 'error getting source object GitRepository/foo-ns/gone',
    })
  })

  it('keeps the warning of an earlier source when a later one matches', () => {
    const a = alert({
      sources: [source('GitRepository', '*', '', { app: 'x' }), source('GitRepository', 'podinfo')],
    })
    const result = eventMatchesAlert(gitEvent, a, none)
    expect(result.matched).toBe(true)
    expect(result.warning).toBe('error getting source object GitRepository/foo-ns/podinfo')
  })
})

describe('eventMatchesAlert: inclusion and exclusion (reference §2.3, RE2)', () => {
  it('searches the message unanchored', () => {
    const a = alert({ inclusion: ['check'] })
    expect(eventMatchesAlert(event({ message: 'Health check passed' }), a, none).matched).toBe(true)
  })

  it('uses RE2 syntax: (?i) flags and \\A', () => {
    const caseless = alert({ inclusion: ['(?i)^HEALTH'] })
    expect(
      eventMatchesAlert(event({ message: 'Health check passed' }), caseless, none).matched,
    ).toBe(true)
    const start = alert({ inclusion: ['\\Ahealth'] })
    expect(eventMatchesAlert(event({ message: 'health check passed' }), start, none).matched).toBe(
      true,
    )
    // In a JavaScript RegExp `\A` is a literal "A" and this would match.
    expect(eventMatchesAlert(event({ message: 'Ahealth' }), start, none)).toEqual({
      matched: false,
      reason: 'not included by inclusionList',
    })
    expect(eventMatchesAlert(event({ message: 'unhealthy' }), start, none).matched).toBe(false)
  })

  it('includes nothing when the inclusion list had only invalid patterns', () => {
    const a = alert({ hasInclusionList: true })
    expect(eventMatchesAlert(event(), a, none)).toEqual({
      matched: false,
      reason: 'not included by inclusionList (none of its patterns compiled)',
    })
  })

  it('excludes on any exclusion match, and exclusion wins over inclusion', () => {
    const a = alert({ inclusion: ['^included'], exclusion: ['doesnotoccur', 'excluded'] })
    expect(eventMatchesAlert(event({ message: 'included excluded' }), a, none)).toEqual({
      matched: false,
      reason: 'excluded by exclusionList pattern "excluded"',
    })
    expect(eventMatchesAlert(event({ message: 'included' }), a, none).matched).toBe(true)
  })

  it('tests only the message', () => {
    const a = alert({ exclusion: ['reason'] })
    expect(eventMatchesAlert(event({ reason: 'reason', message: 'm' }), a, none).matched).toBe(true)
  })
})
