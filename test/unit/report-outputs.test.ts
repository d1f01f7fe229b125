import * as core from '@actions/core'
import type { AnnotationProperties } from '@actions/core'
import { describe, expect, it } from 'vitest'
import type { Problem } from '../../src/manifests/model.js'
import type { AnnotationSink } from '../../src/report/annotate.js'
import { annotate, problemLine } from '../../src/report/annotate.js'
import {
  actionOutputs,
  cappedResultsJson,
  MAX_RESULTS_CHARS,
  resultsJson,
} from '../../src/report/outputs.js'
import type { Decision } from '../../src/results.js'

describe('actionOutputs', () => {
  // Built with its keys deliberately out of order: the output order must not depend on it.
  const commitStatus: Decision = {
    state: 'success',
    context: 'kustomization/podinfo/1a2b3c4d',
    outcome: 'sent',
    reason: 'sent',
    event: 'Kustomization/flux-system/podinfo',
    eventReason: 'ReconciliationSucceeded',
    severity: 'info',
    timestamp: '2026-07-20T10:16:01Z',
    source: 'examples/events/kubectl-events.json#6',
    alert: 'flux-system/podinfo',
    provider: 'flux-system/flux-system',
    type: 'github',
    repository: 'stefanprodan/podinfo',
    sha: 'b1f18428429814e42a5dc79477342003cd8fc085',
    description: 'reconciliation succeeded',
  }
  const unmatched: Decision = {
    event: 'HelmRelease/apps/podinfo',
    eventReason: 'UpgradeFailed',
    severity: 'error',
    timestamp: null,
    source: 'events.ndjson:3',
    outcome: 'skipped',
    reason: 'no alert matched',
    alert: undefined,
  }
  const unchanged: Decision = { ...commitStatus, outcome: 'unchanged', reason: 'already success' }
  const failed: Decision = {
    ...commitStatus,
    outcome: 'failed',
    reason: 'could not create commit status: 500',
  }

  it('gives the counts as strings', () => {
    const out = actionOutputs([commitStatus, unmatched, unchanged, unchanged, failed])
    expect(out).toMatchObject({ sent: '1', unchanged: '2', skipped: '1', failed: '1' })
    expect(Object.keys(out)).toEqual([
      'sent',
      'unchanged',
      'skipped',
      'failed',
      'results',
      'results-truncated',
    ])
  })

  it('gives zeros and an empty array for an empty run', () => {
    // The outputs are a plain name → value map, ready for a loop over core.setOutput.
    const asRecord: Record<string, string> = actionOutputs([])
    expect(Object.values(asRecord).every((v) => typeof v === 'string')).toBe(true)
    expect(actionOutputs([])).toEqual({
      sent: '0',
      unchanged: '0',
      skipped: '0',
      failed: '0',
      results: '[]',
      'results-truncated': 'false',
    })
  })

  it("keeps `results` under GitHub's output limit with the first whole decisions", () => {
    // 3,000 decisions of ~700 characters each: about 2 MB of JSON, over the limit
    const many: Decision[] = Array.from({ length: 3000 }, (_, i) => ({
      ...failed,
      reason: `attempt ${i}: ${'x'.repeat(200)}`,
    }))
    const out = actionOutputs(many)
    expect(out.results.length).toBeLessThanOrEqual(MAX_RESULTS_CHARS)
    expect(out['results-truncated']).toBe('true')
    const kept = JSON.parse(out.results) as Array<{ reason: string }>
    expect(kept.length).toBeGreaterThan(500)
    expect(kept.length).toBeLessThan(many.length)
    // the first decisions, in order, whole
    expect(kept.map((r) => r.reason)).toEqual(many.slice(0, kept.length).map((d) => d.reason))
    // what fits is exactly the full JSON's text up to that row
    const all = resultsJson(many)
    expect(all.startsWith(out.results.slice(0, -1))).toBe(true)
  })

  it('cuts nothing when everything fits', () => {
    const few = [commitStatus, unmatched, failed]
    expect(cappedResultsJson(few, MAX_RESULTS_CHARS)).toEqual({
      json: resultsJson(few),
      rows: 3,
    })
    expect(cappedResultsJson(few, 10)).toEqual({ json: '[]', rows: 0 })
  })

  it('writes results as parseable JSON with a stable key order and no absent fields', () => {
    const results = JSON.parse(actionOutputs([commitStatus, unmatched]).results) as Record<
      string,
      unknown
    >[]
    expect(results).toHaveLength(2)
    expect(Object.keys(results[0]!)).toEqual([
      'event',
      'eventReason',
      'severity',
      'timestamp',
      'source',
      'alert',
      'provider',
      'type',
      'outcome',
      'reason',
      'repository',
      'sha',
      'context',
      'state',
      'description',
    ])
    expect(results[0]).toEqual({ ...commitStatus })
    // `timestamp: null` is data and stays; an undefined `alert` is left out.
    expect(results[1]).toEqual({
      event: 'HelmRelease/apps/podinfo',
      eventReason: 'UpgradeFailed',
      severity: 'error',
      timestamp: null,
      source: 'events.ndjson:3',
      outcome: 'skipped',
      reason: 'no alert matched',
    })
    expect(Object.keys(results[1]!)).toEqual([
      'event',
      'eventReason',
      'severity',
      'timestamp',
      'source',
      'outcome',
      'reason',
    ])
  })

  it('keeps messages intact in results (they are JSON, not Markdown)', () => {
    const message = 'a | b\n<b>`x`</b> ü 🚀'
    const results = JSON.parse(
      actionOutputs([{ ...failed, reason: message }]).results,
    ) as Decision[]
    expect(results[0]!.reason).toBe(message)
  })
})

interface Recorded {
  level: 'error' | 'warning'
  message: string
  properties?: AnnotationProperties
}

function recorder(): AnnotationSink & { calls: Recorded[] } {
  const calls: Recorded[] = []
  return {
    calls,
    error: (message, properties) => calls.push({ level: 'error', message, properties }),
    warning: (message, properties) => calls.push({ level: 'warning', message, properties }),
  }
}

describe('annotate', () => {
  it('accepts @actions/core itself', () => {
    // A type-level check that the real module fits the parameter; nothing is called.
    const sink: AnnotationSink = core
    expect(typeof sink.error).toBe('function')
  })

  it('annotates errors and warnings on their file, line and column', () => {
    const problems: Problem[] = [
      {
        severity: 'error',
        message: "provider type 'slak' not supported",
        location: { file: 'clusters/prod/slack.yaml', line: 14, column: 9 },
      },
      {
        severity: 'warning',
        message: 'invalid regex in exclusionList',
        location: { file: 'clusters/prod/alerts.yaml', line: 3 },
      },
      {
        severity: 'error',
        message: 'events.json: invalid JSON',
        location: { file: 'events.json' },
      },
      { severity: 'warning', message: 'no events were read' },
    ]
    const sink = recorder()
    annotate(problems, sink)
    expect(sink.calls).toEqual([
      {
        level: 'error',
        message: "provider type 'slak' not supported",
        properties: {
          title: 'flux-notify',
          file: 'clusters/prod/slack.yaml',
          startLine: 14,
          startColumn: 9,
        },
      },
      {
        level: 'warning',
        message: 'invalid regex in exclusionList',
        properties: { title: 'flux-notify', file: 'clusters/prod/alerts.yaml', startLine: 3 },
      },
      {
        level: 'error',
        message: 'events.json: invalid JSON',
        properties: { title: 'flux-notify', file: 'events.json' },
      },
      { level: 'warning', message: 'no events were read', properties: { title: 'flux-notify' } },
    ])
  })

  it('puts the place of a source that is no repository file into the message instead', () => {
    const sink = recorder()
    const at = (file: string, line?: number): Problem => ({
      severity: 'error',
      message: 'not a Flux event',
      location: line === undefined ? { file } : { file, line },
    })
    annotate(
      [
        at('artifact:flux-events/events.json', 4),
        at('https://example.com/events.json'),
        at('stdin', 2),
        at('events-command', 9),
        at('manifests-command[2]', 12),
      ],
      sink,
    )
    expect(sink.calls.map((c) => [c.message, c.properties])).toEqual([
      ['artifact:flux-events/events.json:4: not a Flux event', { title: 'flux-notify' }],
      ['https://example.com/events.json: not a Flux event', { title: 'flux-notify' }],
      ['stdin:2: not a Flux event', { title: 'flux-notify' }],
      ['events-command:9: not a Flux event', { title: 'flux-notify' }],
      ['manifests-command[2]:12: not a Flux event', { title: 'flux-notify' }],
    ])
  })

  it('makes absolute paths inside the workspace relative, as GitHub needs them', () => {
    const sink = recorder()
    annotate(
      [
        {
          severity: 'error',
          message: 'a',
          location: { file: '/home/runner/work/fleet/fleet/clusters/a.yaml', line: 1 },
        },
        { severity: 'error', message: 'b', location: { file: '/etc/other.yaml', line: 2 } },
      ],
      sink,
      { workspace: '/home/runner/work/fleet/fleet' },
    )
    expect(sink.calls.map((c) => c.properties?.file)).toEqual([
      'clusters/a.yaml',
      '/etc/other.yaml',
    ])
  })
})

describe('problemLine', () => {
  it('is file:line:col: message, leaving out what the problem lacks', () => {
    const message = 'spec.eventSources.0.kind: invalid enum value'
    expect(
      problemLine({
        severity: 'error',
        message,
        location: { file: 'a.yaml', line: 4, column: 11 },
      }),
    ).toBe('a.yaml:4:11: spec.eventSources.0.kind: invalid enum value')
    expect(problemLine({ severity: 'error', message, location: { file: 'a.yaml', line: 4 } })).toBe(
      'a.yaml:4: spec.eventSources.0.kind: invalid enum value',
    )
    expect(problemLine({ severity: 'warning', message, location: { file: 'a.yaml' } })).toBe(
      'a.yaml: spec.eventSources.0.kind: invalid enum value',
    )
    expect(problemLine({ severity: 'warning', message })).toBe(message)
  })

  it('stays on one line', () => {
    expect(
      problemLine({
        severity: 'error',
        message: 'bad YAML:\n  at line 3\n',
        location: { file: 'x.yaml', line: 3 },
      }),
    ).toBe('x.yaml:3: bad YAML: at line 3')
  })
})
