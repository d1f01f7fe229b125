import { describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import {
  fitDescription,
  formatNameAndDescription,
  splitCamelcase,
} from '../../src/providers/git/status-text.js'

function eventWithReason(reason: string): FluxEvent {
  return {
    involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'Podinfo-Apps' },
    severity: 'info',
    timestamp: null,
    message: 'm',
    reason,
    reportingController: 'kustomize-controller',
  }
}

describe('splitCamelcase (reference §6.4)', () => {
  it.each([
    ['ApplySucceeded', ['Apply', 'Succeeded']],
    ['Failed', ['Failed']],
    ['reason', ['reason']],
    ['PDFLoader', ['PDF', 'Loader']],
    ['Reason2X', ['Reason', '2', 'X']],
    ['a.b', ['a', '.', 'b']],
    ['HealthCheckFailed', ['Health', 'Check', 'Failed']],
    ['ReconciliationSucceeded', ['Reconciliation', 'Succeeded']],
    ['AbCd', ['Ab', 'Cd']],
    ['', []],
    ['ÉtatChangé', ['État', 'Changé']],
  ])('%j → %j', (reason, words) => {
    expect(splitCamelcase(reason)).toEqual(words)
  })

  it('returns a string that is not valid Unicode whole', () => {
    expect(splitCamelcase('Bad\ud800Reason')).toEqual(['Bad\ud800Reason'])
  })
})

describe('formatNameAndDescription', () => {
  it.each([
    ['ApplySucceeded', 'apply succeeded'],
    ['Failed', 'failed'],
    ['reason', 'reason'],
    ['Reason2X', 'reason 2 x'],
    ['a.b', 'a . b'],
    ['PDFLoader', 'pdf loader'],
  ])('reason %s → description %j', (reason, description) => {
    expect(formatNameAndDescription(eventWithReason(reason))).toEqual({
      name: 'kustomization/podinfo-apps',
      description,
    })
  })
})

describe('fitDescription (GitHub 140-character limit)', () => {
  it('leaves 140 characters alone', () => {
    const text = 'x'.repeat(140)
    expect(fitDescription(text)).toBe(text)
  })

  it('cuts 141 characters to 139 plus an ellipsis', () => {
    const cut = fitDescription('y'.repeat(141))
    expect([...cut]).toHaveLength(140)
    expect(cut).toBe('y'.repeat(139) + '…')
  })

  it('counts code points and never splits an emoji', () => {
    // 137 letters, a space, then two emoji: the first emoji is character 139.
    const reason = 'a'.repeat(137) + '😀😀x'
    const { description } = formatNameAndDescription(eventWithReason(reason))
    expect(description).toBe('a'.repeat(137) + ' 😀😀 x')
    const cut = fitDescription(description)
    expect(cut).toBe('a'.repeat(137) + ' 😀…')
    expect([...cut]).toHaveLength(140)
    expect(cut.isWellFormed()).toBe(true)
    // In UTF-16 units it is longer than 140: counting units would have cut the emoji in half.
    expect(cut.length).toBe(141)
  })
})
