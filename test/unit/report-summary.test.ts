import { describe, expect, it } from 'vitest'
import type { Problem } from '../../src/manifests/model.js'
import { escapeCell, renderSummary } from '../../src/report/summary.js'
import type { Decision } from '../../src/results.js'

function decision(
  fields: Partial<Decision> & Pick<Decision, 'event' | 'outcome' | 'reason'>,
): Decision {
  return {
    eventReason: 'HealthCheckFailed',
    severity: 'error',
    timestamp: '2026-07-20T10:31:56Z',
    source: 'examples/events/kubectl-events.json#8',
    ...fields,
  }
}

const githubFailure = decision({
  event: 'Kustomization/flux-system/podinfo',
  alert: 'flux-system/podinfo',
  provider: 'flux-system/flux-system',
  type: 'github',
  outcome: 'sent',
  reason: 'sent',
  repository: 'stefanprodan/podinfo',
  sha: 'e8cc4ed6b8cc63c8b94da4f415930f506ba29fba',
  context: 'kustomization/podinfo/1a2b3c4d',
  state: 'failure',
  description: 'health check failed',
})
const slackSkipped = decision({
  event: 'Kustomization/flux-system/podinfo',
  eventReason: 'ReconciliationSucceeded',
  severity: 'info',
  alert: 'flux-system/on-call-webapp',
  provider: 'flux-system/slack-bot',
  type: 'slack',
  outcome: 'skipped',
  reason: 'commit status update events are not sent to slack',
})

/** The rows of the decision table (lines starting with `|` after the header and separator). */
function tableRows(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2)
}

/** Pipes that delimit cells: every `|` in a row, since escaped ones are entities. */
function cellCount(row: string): number {
  return row.split('|').length - 2
}

describe('renderSummary', () => {
  it('has a heading, a verdict with the counts and one row per decision', () => {
    const md = renderSummary({
      decisions: [githubFailure, slackSkipped],
      problems: [],
      dryRun: false,
      warnings: [],
    })
    const lines = md.split('\n')
    expect(lines[0]).toBe('## flux-notify')
    expect(md).toContain('✅ 1 sent, 0 unchanged, 1 skipped, 0 failed')
    expect(md).toContain('| Event | Alert | Provider | Outcome | Why | Commit status |')
    const rows = tableRows(md)
    expect(rows).toHaveLength(2)
    expect(rows[0]).toBe(
      '| Kustomization/flux-system/podinfo<br>HealthCheckFailed (error) | flux-system/podinfo | flux-system/flux-system (github) | ✅ sent | sent | stefanprodan/podinfo@e8cc4ed<br>kustomization/podinfo/1a2b3c4d → failure |',
    )
    // A row that is not a commit status leaves that column empty, but keeps the cell count.
    expect(cellCount(rows[1]!)).toBe(6)
    expect(rows[1]).toContain(
      '| ⏭️ skipped | commit status update events are not sent to slack |  |',
    )
  })

  it('leaves the commit-status column out when no decision is a commit status', () => {
    const md = renderSummary({
      decisions: [slackSkipped],
      problems: [],
      dryRun: false,
      warnings: [],
    })
    expect(md).toContain('| Event | Alert | Provider | Outcome | Why |\n|---|---|---|---|---|\n')
    expect(cellCount(tableRows(md)[0]!)).toBe(5)
  })

  it('escapes pipes, newlines, HTML and backticks in event messages so the table holds', () => {
    const hostile = decision({
      event: 'Kustomization/flux-system/podinfo',
      alert: 'flux-system/on-call-webapp',
      provider: 'flux-system/slack-bot',
      type: 'slack',
      outcome: 'failed',
      reason:
        'a | b\n<script>alert(1)</script> `code` <img src=x onerror=alert(1)>\r\n**bold** [x](y) \\| done',
    })
    const md = renderSummary({ decisions: [hostile], problems: [], dryRun: false, warnings: [] })
    const rows = tableRows(md)
    expect(rows).toHaveLength(1)
    expect(cellCount(rows[0]!)).toBe(5)
    expect(md).not.toMatch(/<script|<img|`code`/)
    expect(rows[0]).toContain(
      'a &#124; b<br>&#60;script&#62;alert(1)&#60;/script&#62; &#96;code&#96; &#60;img src=x onerror=alert(1)&#62;<br>&#42;&#42;bold&#42;&#42; &#91;x&#93;(y) &#92;&#124; done',
    )
  })

  it('escapeCell leaves plain text alone', () => {
    expect(escapeCell('Reconciliation finished in 2.1s, next run in 5m0s')).toBe(
      'Reconciliation finished in 2.1s, next run in 5m0s',
    )
    expect(escapeCell('a&b')).toBe('a&#38;b')
  })

  it('caps the table at 500 rows and points to the results output for the rest', () => {
    const decisions = Array.from({ length: 503 }, (_, i) => ({
      ...slackSkipped,
      event: `Kustomization/flux-system/app-${i}`,
    }))
    const md = renderSummary({ decisions, problems: [], dryRun: false, warnings: [] })
    const rows = tableRows(md)
    expect(rows).toHaveLength(500)
    expect(rows[499]).toContain('app-499')
    expect(md).toContain('… and 3 more decisions not shown')
    expect(md).toContain('the file the `results-file` output names has all of them')
    expect(md).toContain('0 sent, 0 unchanged, 503 skipped, 0 failed')
  })

  it('stays under 1 MiB however long the messages are', () => {
    // 39 000 characters is the longest event message the event API allows; `<` grows 5-fold when escaped.
    const decisions = Array.from({ length: 3000 }, (_, i) => ({
      ...githubFailure,
      event: `Kustomization/flux-system/app-${i}`,
      reason: '<'.repeat(39_000),
    }))
    const md = renderSummary(
      { decisions, problems: [], dryRun: false, warnings: ['w'] },
      { maxRows: Infinity },
    )
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(1_000_000)
    const shown = tableRows(md).length
    expect(shown).toBeGreaterThan(100)
    expect(shown).toBeLessThan(3000)
    expect(md).toContain(`… and ${3000 - shown} more decisions not shown`)
    // The warnings after the table are not squeezed out.
    expect(md).toContain('### Warnings (1)')
  })

  it('lists problems one per line with file:line, and counts them in the verdict', () => {
    const problems: Problem[] = [
      {
        severity: 'error',
        message: "Provider/flux-system/slack-bot: provider type 'slak' not supported",
        location: { file: 'clusters/prod/slack.yaml', line: 14, column: 9 },
      },
      {
        severity: 'warning',
        message: 'invalid regex in inclusionList:\nmissing closing )',
        location: { file: 'clusters/prod/alerts.yaml', line: 3 },
      },
      { severity: 'warning', message: 'no events were read' },
    ]
    const md = renderSummary({ decisions: [slackSkipped], problems, dryRun: false, warnings: [] })
    expect(md).toContain(
      [
        '### Problems (3)',
        '',
        "- ❌ clusters/prod/slack.yaml:14:9: Provider/flux-system/slack-bot: provider type 'slak' not supported",
        '- ⚠️ clusters/prod/alerts.yaml:3: invalid regex in inclusionList:<br>missing closing )',
        '- ⚠️ no events were read',
        '',
      ].join('\n'),
    )
    expect(md).toContain('❌ 0 sent, 0 unchanged, 1 skipped, 0 failed, 3 problems')
  })

  it('marks a dry run in the heading and the verdict', () => {
    const md = renderSummary({
      decisions: [{ ...githubFailure, outcome: 'dry-run', reason: 'would be sent' }],
      problems: [],
      dryRun: true,
      warnings: ['metadata key conflicts detected'],
    })
    expect(md.split('\n')[0]).toBe('## flux-notify (dry run)')
    expect(md).toContain(
      '⚠️ Dry run, nothing was sent: 0 sent, 0 unchanged, 0 skipped, 0 failed, 1 dry-run, 1 warning',
    )
    expect(tableRows(md)[0]).toContain('| 🧪 dry-run | would be sent |')
    expect(md).toContain('### Warnings (1)\n\n- ⚠️ metadata key conflicts detected\n')
  })

  it('shows failures in the verdict', () => {
    const md = renderSummary({
      decisions: [
        { ...githubFailure, outcome: 'failed', reason: 'could not create commit status: 422' },
      ],
      problems: [],
      dryRun: false,
      warnings: [],
    })
    expect(md).toContain('❌ 0 sent, 0 unchanged, 0 skipped, 1 failed')
  })

  it('says so when no event was read', () => {
    const md = renderSummary({ decisions: [], problems: [], dryRun: false, warnings: [] })
    expect(md).toContain('### Decisions\n\nNo events were read.\n')
    expect(tableRows(md)).toHaveLength(0)
  })
})
