import { describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import {
  commitShaFromEvent,
  extractHashFromRevision,
  parseRevision,
  transformRevision,
} from '../../src/providers/git/revision.js'

const SHA = 'a1afe267b54f38b46b487f6e938a6fd508278c07'
const OTHER_SHA = '5394cb7f48332b2de7c17dd8b8384bbc84b7e738'
const THIRD_SHA = '0123456789abcdef0123456789abcdef01234567'

function eventWith(metadata?: Record<string, string>): FluxEvent {
  return {
    involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
    severity: 'info',
    timestamp: '2022-09-30T06:40:29Z',
    message: 'Reconciliation finished',
    reason: 'ReconciliationSucceeded',
    ...(metadata ? { metadata } : {}),
    reportingController: 'kustomize-controller',
  }
}

describe('parseRevision (reference §6.2 table)', () => {
  it.each([
    [`sha1:${SHA}`, SHA],
    [`master@sha1:${SHA}`, SHA],
    [`environment/dev@sha1:${SHA}`, SHA],
    [`master/${SHA}`, SHA],
    [`environment/dev/${SHA}`, SHA],
    [`HEAD/${SHA}`, SHA],
    [SHA, SHA],
  ])('%s → the SHA', (revision, sha) => {
    expect(parseRevision(revision)).toBe(sha)
  })

  it.each([
    'master',
    'badhash',
    '',
    // SHA-256 commits fail the 40-character check, as upstream
    'main@sha256:' + 'ab'.repeat(32),
    'sha256:' + 'cd'.repeat(32),
    // an OCI digest without an origin revision
    'latest@sha256:' + 'ef'.repeat(32),
    // a Helm chart version
    '6.5.4',
  ])('%j is an error naming the revision', (revision) => {
    expect(parseRevision(revision)).toEqual({
      error: `failed to extract commit hash from '${revision}' revision`,
    })
  })
})

describe('transformRevision and extractHashFromRevision', () => {
  it('rewrites the legacy forms', () => {
    expect(transformRevision(`master/${SHA}`)).toBe(`master@sha1:${SHA}`)
    expect(transformRevision(`environment/dev/${SHA}`)).toBe(`environment/dev@sha1:${SHA}`)
    expect(transformRevision(`HEAD/${SHA}`)).toBe(`sha1:${SHA}`)
    expect(transformRevision('master')).toBe('<unknown>:master')
  })

  it('leaves current forms and the empty string alone', () => {
    expect(transformRevision(`main@sha1:${SHA}`)).toBe(`main@sha1:${SHA}`)
    expect(transformRevision('')).toBe('')
  })

  it('takes what follows the last colon, else the last slash', () => {
    expect(extractHashFromRevision('a/b@sha1:c')).toBe('c')
    expect(extractHashFromRevision('a/b/c')).toBe('c')
    expect(extractHashFromRevision('abc')).toBe('abc')
  })
})

describe('commitShaFromEvent (GetRevision on the combined metadata)', () => {
  it('reads revision', () => {
    expect(commitShaFromEvent(eventWith({ revision: `main@sha1:${SHA}` }))).toBe(SHA)
  })

  it('originRevision beats revision (an OCI artifact built from a commit)', () => {
    const event = eventWith({
      revision: 'latest@sha256:' + 'ab'.repeat(32),
      originRevision: `main@sha1:${OTHER_SHA}`,
    })
    expect(commitShaFromEvent(event)).toBe(OTHER_SHA)
  })

  it('commit beats both', () => {
    const event = eventWith({
      revision: `main@sha1:${SHA}`,
      originRevision: `main@sha1:${OTHER_SHA}`,
      commit: THIRD_SHA,
    })
    expect(commitShaFromEvent(event)).toBe(THIRD_SHA)
  })

  it('a present but empty commit still wins, and fails', () => {
    const event = eventWith({ commit: '', revision: `main@sha1:${SHA}` })
    expect(commitShaFromEvent(event)).toEqual({
      error: "failed to extract commit hash from '' revision",
    })
  })

  it('no revision key at all: missing revision metadata', () => {
    expect(commitShaFromEvent(eventWith({ summary: 'x' }))).toEqual({
      error: 'missing revision metadata',
    })
    expect(commitShaFromEvent(eventWith())).toEqual({ error: 'missing revision metadata' })
  })

  it('prefixed keys are not read (the metadata must be combined first)', () => {
    const event = eventWith({ 'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${SHA}` })
    expect(commitShaFromEvent(event)).toEqual({ error: 'missing revision metadata' })
  })
})
