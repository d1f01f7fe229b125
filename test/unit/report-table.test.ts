import { describe, expect, it } from 'vitest'
import { renderTable } from '../../src/report/table.js'
import type { Decision } from '../../src/results.js'

function decision(
  fields: Partial<Decision> & Pick<Decision, 'event' | 'outcome' | 'reason'>,
): Decision {
  return {
    eventReason: '',
    severity: 'info',
    timestamp: '2026-07-20T10:16:01Z',
    source: 'examples/events/kubectl-events.json#0',
    ...fields,
  }
}

const githubSent = decision({
  event: 'Kustomization/flux-system/podinfo',
  eventReason: 'ReconciliationSucceeded',
  alert: 'flux-system/podinfo',
  provider: 'flux-system/flux-system',
  type: 'github',
  outcome: 'sent',
  reason: 'sent',
  repository: 'stefanprodan/podinfo',
  sha: 'b1f18428429814e42a5dc79477342003cd8fc085',
  context: 'kustomization/podinfo/1a2b3c4d',
  state: 'success',
  description: 'reconciliation succeeded',
})
const slackRateLimited = decision({
  event: 'GitRepository/flux-system/flux-system',
  eventReason: 'NewArtifact',
  alert: 'flux-system/on-call-webapp',
  provider: 'flux-system/slack-bot',
  type: 'slack',
  outcome: 'skipped',
  reason: 'rate limited: duplicate within 5m0s',
})
const noAlert = decision({
  event: 'HelmRelease/flux-system/metrics-server',
  eventReason: 'UpgradeFailed',
  severity: 'error',
  outcome: 'skipped',
  reason: 'no alert matched',
})

describe('renderTable', () => {
  it('sizes columns to their content and ends with the totals', () => {
    expect(renderTable([githubSent, slackRateLimited, noAlert], { width: 200 })).toBe(
      [
        'EVENT                                                      ALERT                       PROVIDER                          OUTCOME  WHY',
        'Kustomization/flux-system/podinfo ReconciliationSucceeded  flux-system/podinfo         flux-system/flux-system (github)  sent     kustomization/podinfo/1a2b3c4d → success',
        'GitRepository/flux-system/flux-system NewArtifact          flux-system/on-call-webapp  flux-system/slack-bot (slack)     skipped  rate limited: duplicate within 5m0s',
        'HelmRelease/flux-system/metrics-server UpgradeFailed       -                           -                                 skipped  no alert matched',
        '1 sent, 0 unchanged, 2 skipped, 0 failed',
        '',
      ].join('\n'),
    )
  })

  it('cuts the widest column first to fit the default width of 160', () => {
    // Natural widths 57+26+32+7+40 plus 4 gaps of 2 = 170; the cap that fits is 47, which only
    // EVENT exceeds: it loses 10 columns, the others keep theirs.
    const lines = renderTable([githubSent, slackRateLimited, noAlert]).split('\n')
    expect(lines.slice(1, 4).map((l) => l.slice(0, 47))).toEqual([
      'Kustomization/flux-system/podinfo Reconciliati…',
      'GitRepository/flux-system/flux-system NewArtif…',
      'HelmRelease/flux-system/metrics-server Upgrade…',
    ])
    expect(lines[1]).toBe(
      'Kustomization/flux-system/podinfo Reconciliati…  flux-system/podinfo         flux-system/flux-system (github)  sent     kustomization/podinfo/1a2b3c4d → success',
    )
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(160)
  })

  it('truncates a long WHY with … and never cuts OUTCOME', () => {
    const failed = decision({
      event: 'Kustomization/flux-system/podinfo',
      eventReason: 'HealthCheckFailed',
      alert: 'flux-system/ci-failures',
      provider: 'flux-system/ci-webhook',
      type: 'generic-hmac',
      outcome: 'failed',
      reason: `postMessage failed: request failed with status code 500: ${'x'.repeat(300)}`,
    })
    const out = renderTable([failed, githubSent], { width: 100 })
    const lines = out.trimEnd().split('\n')
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(100)
    expect(lines[0]).toContain('OUTCOME')
    expect(lines[1]).toMatch(/ failed {3}postMessage failed: .*…$/)
    expect(lines[3]).toBe('1 sent, 0 unchanged, 0 skipped, 1 failed')
  })

  it('counts every outcome in the totals line, dry-run only when present', () => {
    const outcomes: Decision['outcome'][] = [
      'sent',
      'sent',
      'sent',
      'unchanged',
      'unchanged',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]
    const ds = outcomes.map((outcome) => ({ ...slackRateLimited, outcome }))
    expect(renderTable(ds).trimEnd().split('\n').at(-1)).toBe(
      '3 sent, 2 unchanged, 5 skipped, 0 failed',
    )
    const dry = [
      { ...githubSent, outcome: 'dry-run' as const },
      { ...githubSent, outcome: 'failed' as const },
    ]
    expect(renderTable(dry).trimEnd().split('\n').at(-1)).toBe(
      '0 sent, 0 unchanged, 0 skipped, 1 failed, 1 dry-run',
    )
  })

  it('keeps one decision on one line: newlines, tabs and escape sequences in messages are neutralised', () => {
    const nasty = decision({
      event: 'Kustomization/flux-system/podinfo',
      eventReason: 'ReconciliationFailed',
      alert: 'flux-system/on-call-webapp',
      provider: 'flux-system/slack-bot',
      type: 'slack',
      outcome: 'failed',
      reason: 'line one\nline two\tand\x1b[31mred',
    })
    const out = renderTable([nasty], { width: 300 })
    const lines = out.trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[1]).toContain('line one ↵ line two and\uFFFD[31mred')
    expect(out).not.toContain('\x1b')
  })

  it('adds colour only when asked', () => {
    expect(renderTable([githubSent, noAlert])).not.toContain('\x1b[')
    const coloured = renderTable([githubSent, noAlert], { color: true })
    expect(coloured).toContain('\x1b[32msent   \x1b[0m')
    expect(coloured).toContain('\x1b[33mskipped\x1b[0m')
    // Colour codes do not shift the columns: stripped, it is the plain table.
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(renderTable([githubSent, noAlert]))
  })

  it('handles a scheduled run over 150 000 events', () => {
    const out = renderTable(Array.from({ length: 150_000 }, () => noAlert))
    const lines = out.trimEnd().split('\n')
    expect(lines).toHaveLength(150_002)
    expect(lines.at(-1)).toBe('0 sent, 0 unchanged, 150000 skipped, 0 failed')
  })

  it('says so when there is nothing to report', () => {
    expect(renderTable([])).toBe('No events.\n0 sent, 0 unchanged, 0 skipped, 0 failed\n')
  })
})
