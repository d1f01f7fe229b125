/**
 * Goldens of reference §5.25 / §8.1 for the shared markdown post (PR/MR comments and Zulip).
 */
import { describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import { formatMarkdownPost } from '../../src/providers/markdown.js'
import { testEvent } from '../support/factories.js'

/** zulip_test.go's event: Kustomization default/test-ks with two metadata keys. */
function zulipEvent(severity: string): FluxEvent {
  return {
    involvedObject: { kind: 'Kustomization', namespace: 'default', name: 'test-ks' },
    severity,
    timestamp: '2022-09-30T06:40:29Z',
    message: 'Test event message',
    reason: 'reason',
    metadata: { key2: 'value2', key1: 'value1' },
    reportingController: 'kustomize-controller',
  }
}

describe('formatMarkdownPost', () => {
  it('renders testEvent() as the §8.1 markdown golden', () => {
    expect(formatMarkdownPost(testEvent())).toBe(
      '## Flux Status\n\nℹ️ GitRepository/gitops-system/webapp\n\nmessage\n\nMetadata:\n* `test`: metadata\n',
    )
  })

  it('renders the zulip_test.go event with sorted keys, ℹ️ for info and ⚠️ for error', () => {
    expect(formatMarkdownPost(zulipEvent('info'))).toBe(
      '## Flux Status\n\nℹ️ Kustomization/default/test-ks\n\nTest event message\n\nMetadata:\n* `key1`: value1\n* `key2`: value2\n',
    )
    expect(formatMarkdownPost(zulipEvent('error'))).toBe(
      '## Flux Status\n\n⚠️ Kustomization/default/test-ks\n\nTest event message\n\nMetadata:\n* `key1`: value1\n* `key2`: value2\n',
    )
  })

  it('leaves out change_request and ends in "Metadata:\\n" when nothing else is left', () => {
    const event: FluxEvent = { ...testEvent(), metadata: { change_request: '42' } }
    expect(formatMarkdownPost(event)).toBe(
      '## Flux Status\n\nℹ️ GitRepository/gitops-system/webapp\n\nmessage\n\nMetadata:\n',
    )
    const { metadata: _none, ...withoutMetadata } = testEvent()
    expect(formatMarkdownPost(withoutMetadata)).toBe(
      '## Flux Status\n\nℹ️ GitRepository/gitops-system/webapp\n\nmessage\n\nMetadata:\n',
    )
  })

  it("sorts keys by bytes, as Go's sort.Strings does, and escapes nothing", () => {
    const event: FluxEvent = {
      ...testEvent(),
      severity: 'trace',
      message: 'apply failed: <b>&"x"</b>\nsecond line',
      metadata: { revision: 'main@sha1:abc', Zebra: 'z', change_request: '7', _x: '<y>' },
    }
    expect(formatMarkdownPost(event)).toBe(
      '## Flux Status\n\nℹ️ GitRepository/gitops-system/webapp\n\napply failed: <b>&"x"</b>\nsecond line\n\nMetadata:\n* `Zebra`: z\n* `_x`: <y>\n* `revision`: main@sha1:abc\n',
    )
  })
})
