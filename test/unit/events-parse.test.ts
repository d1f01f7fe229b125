/**
 * Format detection, Go decoding rules, timestamp normalisation, Kubernetes Event mapping and
 * problems. Expected values follow the controller reference §1.1 and the event-data reference
 * §1.4–§1.5 and §3.3.
 */
import { describe, expect, it } from 'vitest'
import { parseEvents } from '../../src/events/parse.js'
import { normaliseTimestamp } from '../../src/events/go-time.js'

const ref = {
  kind: 'Kustomization',
  namespace: 'flux-system',
  name: 'apps',
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
}

function fluxEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    involvedObject: ref,
    severity: 'info',
    timestamp: '2026-07-20T10:15:42Z',
    message: 'Health check passed in 1.2s',
    reason: 'Progressing',
    reportingController: 'kustomize-controller',
    ...overrides,
  }
}

function coreEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    involvedObject: ref,
    type: 'Normal',
    reason: 'Progressing',
    message: 'Health check passed in 1.2s',
    metadata: { name: 'apps.18c3f7fcb5d75915', namespace: 'flux-system' },
    firstTimestamp: '2026-07-20T10:15:40Z',
    lastTimestamp: '2026-07-20T10:15:42Z',
    eventTime: null,
    reportingComponent: 'kustomize-controller',
    reportingInstance: '',
    source: { component: 'kustomize-controller' },
    ...overrides,
  }
}

const one = (value: unknown) => parseEvents(JSON.stringify(value), 'e.json')

describe('timestamps (metav1.Time: RFC 3339 in, whole seconds in UTC with Z out)', () => {
  it.each([
    ['2022-09-30T06:40:29.5+02:00', '2022-09-30T04:40:29Z'],
    ['2022-10-28T07:26:19Z', '2022-10-28T07:26:19Z'],
    // the fraction is dropped, never rounded up
    ['2026-07-20T10:15:42.999999999Z', '2026-07-20T10:15:42Z'],
    ['2026-07-20T10:15:42.123456Z', '2026-07-20T10:15:42Z'],
    ['2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00Z'],
    ['2026-07-20T10:15:42-07:30', '2026-07-20T17:45:42Z'],
    ['2024-02-29T23:59:59-00:01', '2024-03-01T00:00:59Z'],
    // Go's fallback parser: a one-digit hour, a comma before the fraction, a +24:00 offset
    ['2026-07-20T1:02:03Z', '2026-07-20T01:02:03Z'],
    ['2026-07-20T10:15:42,75Z', '2026-07-20T10:15:42Z'],
    ['2026-07-21T00:00:00+24:00', '2026-07-20T00:00:00Z'],
  ])('%s → %s', (input, expected) => {
    const result = normaliseTimestamp(input)
    expect(result).toMatchObject({ ok: true, timestamp: expected })
  })

  it('keeps milliseconds in the sort time', () => {
    expect(normaliseTimestamp('2022-09-30T06:40:29.5+02:00')).toEqual({
      ok: true,
      timestamp: '2022-09-30T04:40:29Z',
      time: Date.UTC(2022, 8, 30, 4, 40, 29, 500),
    })
  })

  it('null stays null; the Go zero time marshals as null too', () => {
    expect(normaliseTimestamp(null)).toMatchObject({ ok: true, timestamp: null })
    expect(normaliseTimestamp('0001-01-01T00:00:00Z')).toMatchObject({ ok: true, timestamp: null })
    expect(normaliseTimestamp('0001-01-01T01:00:00+01:00')).toMatchObject({
      ok: true,
      timestamp: null,
    })
    const none = normaliseTimestamp(null)
    expect(none.ok && Number.isNaN(none.time)).toBe(true)
  })

  it.each([
    '2026-07-20 10:15:42Z',
    '2026-07-20T10:15:42',
    '2026-07-20t10:15:42z',
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-07-20T24:00:00Z',
    '2026-07-20T10:60:00Z',
    '2026-07-20T10:15:60Z',
    '2026-07-20T10:15:42+0200',
    '2026-07-20T10:15:42+25:00',
    '2026-07-20T10:15:42.Z',
    '26-07-20T10:15:42Z',
    'yesterday',
    '',
  ])('refuses %j as Go does', (input) => {
    expect(normaliseTimestamp(input).ok).toBe(false)
  })

  it('an event with an unparsable timestamp is a Problem (the controller answers 400)', () => {
    const parsed = one(fluxEvent({ timestamp: '20/07/2026 10:15' }))
    expect(parsed.events).toEqual([])
    expect(parsed.problems).toEqual([
      {
        severity: 'error',
        message: 'event: timestamp: cannot parse "20/07/2026 10:15" as an RFC 3339 time',
        location: { file: 'e.json', line: 1 },
      },
    ])
  })

  it('a missing or null timestamp gives a null timestamp and NaN time', () => {
    const parsed = parseEvents(
      [fluxEvent({ timestamp: null }), fluxEvent({ timestamp: undefined })]
        .map((e) => JSON.stringify(e))
        .join('\n'),
      'e.ndjson',
    )
    expect(parsed.events.map((e) => e.event.timestamp)).toEqual([null, null])
    expect(parsed.events.every((e) => Number.isNaN(e.time))).toBe(true)
  })
})

describe('Go decoding of the Flux event', () => {
  it('matches keys case-insensitively, including nested ObjectReference keys', () => {
    const parsed = parseEvents(
      JSON.stringify({
        InvolvedObject: { Kind: 'Kustomization', NAMESPACE: 'flux-system', name: 'apps' },
        Severity: 'error',
        TIMESTAMP: '2026-07-20T10:15:42Z',
        Message: 'boom',
        reason: 'BuildFailed',
        MetaData: { 'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc' },
        ReportingController: 'kustomize-controller',
        reportinginstance: 'pod-1',
      }),
      'e.json',
    )
    expect(parsed.problems).toEqual([])
    expect(parsed.events[0]!.event).toStrictEqual({
      involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
      severity: 'error',
      timestamp: '2026-07-20T10:15:42Z',
      message: 'boom',
      reason: 'BuildFailed',
      // metadata map keys are data, not field names: they keep their case
      metadata: { 'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc' },
      reportingController: 'kustomize-controller',
      reportingInstance: 'pod-1',
    })
  })

  it('folds ſ (U+017F) onto s and the Kelvin sign (U+212A) onto k, as Go does', () => {
    const parsed = one({
      involvedObject: { Kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
      ſeverity: 'error',
      timestamp: null,
      message: 'm',
      reason: 'r',
      reportingController: 'c',
    })
    expect(parsed.events[0]!.event.severity).toBe('error')
    expect(parsed.events[0]!.event.involvedObject.kind).toBe('Kustomization')
  })

  it('drops unknown keys and treats null strings as empty', () => {
    const parsed = one(fluxEvent({ reason: null, message: null, extra: { a: 1 }, count: 3 }))
    expect(parsed.problems).toEqual([])
    expect(parsed.events[0]!.event).toStrictEqual({
      involvedObject: ref,
      severity: 'info',
      timestamp: '2026-07-20T10:15:42Z',
      message: '',
      reason: '',
      reportingController: 'kustomize-controller',
    })
  })

  it('a null metadata value decodes as the empty string', () => {
    const parsed = one(fluxEvent({ metadata: { 'kustomize.toolkit.fluxcd.io/revision': null } }))
    expect(parsed.events[0]!.event.metadata).toEqual({ 'kustomize.toolkit.fluxcd.io/revision': '' })
  })

  it('a wrong type is a Problem naming the field', () => {
    const parsed = one(fluxEvent({ severity: 3 }))
    expect(parsed.events).toEqual([])
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]!.message).toBe('event: severity: expected string, received number')
  })

  it('a metadata value that is not a string is a Problem naming the key', () => {
    const parsed = one(fluxEvent({ metadata: { 'kustomize.toolkit.fluxcd.io/revision': 7 } }))
    expect(parsed.problems[0]!.message).toBe(
      'event: metadata["kustomize.toolkit.fluxcd.io/revision"]: expected string, received number',
    )
  })

  it('an involved object without kind, name or namespace is a Problem', () => {
    const parsed = one(fluxEvent({ involvedObject: { kind: 'Kustomization' } }))
    expect(parsed.events).toEqual([])
    expect(parsed.problems[0]!.message).toBe('event: involvedObject has no name, namespace')
  })
})

describe('bare metadata keys of processed events', () => {
  it('are prefixed with the involved object group; prefixed keys are left alone', () => {
    const parsed = one(
      fluxEvent({
        metadata: {
          revision: 'main@sha1:450796ddb2ab6724ee1cc32a4be56da032d1cca0',
          summary: 'prod cluster',
          'event.toolkit.fluxcd.io/deploymentID': '42',
        },
      }),
    )
    expect(parsed.events[0]!.event.metadata).toStrictEqual({
      'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:450796ddb2ab6724ee1cc32a4be56da032d1cca0',
      'kustomize.toolkit.fluxcd.io/summary': 'prod cluster',
      'event.toolkit.fluxcd.io/deploymentID': '42',
    })
  })

  it('an explicitly prefixed key wins over the same bare key', () => {
    const parsed = one(
      fluxEvent({
        metadata: { revision: 'bare', 'kustomize.toolkit.fluxcd.io/revision': 'prefixed' },
      }),
    )
    expect(parsed.events[0]!.event.metadata).toStrictEqual({
      'kustomize.toolkit.fluxcd.io/revision': 'prefixed',
    })
  })

  it('an object without an API group gives the prefix "/", as the controller clean-up does', () => {
    const parsed = one(
      fluxEvent({
        involvedObject: { kind: 'ConfigMap', namespace: 'default', name: 'x', apiVersion: 'v1' },
        metadata: { env: 'prod' },
      }),
    )
    expect(parsed.events[0]!.event.metadata).toStrictEqual({ '/env': 'prod' })
  })

  it('Kubernetes Event annotations are never rewritten', () => {
    const parsed = one(coreEvent({ metadata: { annotations: { revision: 'x' } } }))
    expect(parsed.events[0]!.event.metadata).toStrictEqual({ revision: 'x' })
  })
})

describe('core/v1 Kubernetes Events', () => {
  it('Warning → error; Normal and anything else → info', () => {
    const parsed = one({
      kind: 'EventList',
      apiVersion: 'v1',
      items: [
        coreEvent({ type: 'Warning' }),
        coreEvent({ type: 'Normal' }),
        coreEvent({ type: '' }),
      ],
    })
    expect(parsed.events.map((e) => e.event.severity)).toEqual(['error', 'info', 'info'])
  })

  it('time: lastTimestamp, then series.lastObservedTime, then eventTime, then firstTimestamp', () => {
    const parsed = one({
      kind: 'List',
      apiVersion: 'v1',
      items: [
        coreEvent(),
        coreEvent({
          lastTimestamp: null,
          series: { count: 2, lastObservedTime: '2026-07-20T11:00:00.654321Z' },
          eventTime: '2026-07-20T10:59:00.000000Z',
        }),
        coreEvent({ lastTimestamp: null, eventTime: '2026-07-20T10:59:00.123456Z' }),
        coreEvent({ lastTimestamp: null }),
        coreEvent({ lastTimestamp: null, firstTimestamp: null }),
      ],
    })
    expect(parsed.events.map((e) => e.event.timestamp)).toEqual([
      '2026-07-20T10:15:42Z',
      '2026-07-20T11:00:00Z',
      '2026-07-20T10:59:00Z',
      '2026-07-20T10:15:40Z',
      null,
    ])
  })

  it('reportingComponent wins; source.component when it is empty; reportingInstance is dropped', () => {
    const parsed = one({
      kind: 'List',
      apiVersion: 'v1',
      items: [
        coreEvent({ reportingComponent: 'kustomize-controller', reportingInstance: 'x' }),
        coreEvent({ reportingComponent: '', source: { component: 'legacy-controller' } }),
      ],
    })
    expect(parsed.events.map((e) => e.event.reportingController)).toEqual([
      'kustomize-controller',
      'legacy-controller',
    ])
    expect(parsed.events.every((e) => !('reportingInstance' in e.event))).toBe(true)
  })

  it('without kind: Event, the Kubernetes-only keys still tell it from a Flux event', () => {
    const { kind: _kind, apiVersion: _apiVersion, ...bare } = coreEvent({ type: 'Warning' })
    const parsed = one(bare)
    expect(parsed.events[0]!.event.severity).toBe('error')
  })

  it('events about non-Flux objects are counted and ignored silently', () => {
    const pod = coreEvent({
      involvedObject: { kind: 'Pod', namespace: 'apps', name: 'podinfo-1', apiVersion: 'v1' },
    })
    const deployment = coreEvent({
      involvedObject: { kind: 'Deployment', namespace: 'apps', name: 'p', apiVersion: 'apps/v1' },
    })
    const parsed = one({ kind: 'List', apiVersion: 'v1', items: [pod, deployment, coreEvent()] })
    expect(parsed.problems).toEqual([])
    expect(parsed.ignored).toEqual({ nonFlux: 2, trace: 0 })
    expect(parsed.events).toHaveLength(1)
    expect(parsed.events[0]!.origin.index).toBe(2)
  })

  it('source-watcher ArtifactGenerator events (source.extensions.fluxcd.io) are Flux events', () => {
    const parsed = one(
      coreEvent({
        type: 'Warning',
        reason: 'SourceFetchFailed',
        involvedObject: {
          kind: 'ArtifactGenerator',
          namespace: 'apps',
          name: 'my-app',
          apiVersion: 'source.extensions.fluxcd.io/v1beta1',
        },
      }),
    )
    expect(parsed.ignored.nonFlux).toBe(0)
    expect(parsed.events[0]!.event.involvedObject.kind).toBe('ArtifactGenerator')
  })

  describe('known trace events (§1.5) are dropped and counted', () => {
    const source = {
      kind: 'GitRepository',
      namespace: 'flux-system',
      name: 'flux-system',
      apiVersion: 'source.toolkit.fluxcd.io/v1',
    }
    const helm = {
      kind: 'HelmRelease',
      namespace: 'apps',
      name: 'podinfo',
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
    }
    const imageRepo = {
      kind: 'ImageRepository',
      namespace: 'flux-system',
      name: 'podinfo',
      apiVersion: 'image.toolkit.fluxcd.io/v1',
    }
    const imagePolicy = { ...imageRepo, kind: 'ImagePolicy' }
    const automation = { ...imageRepo, kind: 'ImageUpdateAutomation' }

    it.each([
      [
        source,
        'ArtifactUpToDate',
        "artifact up-to-date with remote revision: 'master@sha1:132f4e719209eb10b9485302f8593fc0e680f4fc'",
      ],
      [
        source,
        'GitOperationSucceeded',
        "no changes since last reconciliation: observed revision 'main@sha1:4d768edba5d409feb60870dd3b0ac0d307299898'",
      ],
      // the spelling of older releases, as in the `flux events` example of §3.1
      [
        source,
        'GitOperationSucceeded',
        "no changes since last reconcilation: observed revision 'main@sha1:4d768edba5d409feb60870dd3b0ac0d307299898'",
      ],
      [source, 'GarbageCollectionSucceeded', 'garbage collected 2 artifacts'],
      [
        source,
        'Succeeded',
        'verified signature of revision main@sha1:4d768edba5d409feb60870dd3b0ac0d307299898',
      ],
      [source, 'AuthenticationFailed', 'anything'],
      [
        helm,
        'HelmChartCreated',
        "Created HelmChart/flux-system/apps-podinfo with SourceRef 'HelmRepository/flux-system/podinfo'",
      ],
      [helm, 'HelmChartConfigured', 'Configured HelmChart/flux-system/apps-podinfo'],
      [imageRepo, 'Succeeded', 'tags did not change, next scan in 5m0s'],
      [imageRepo, 'Succeeded', 'successful scan, next scan in 5m0s'],
      [
        imageRepo,
        'Succeeded',
        'no change in repository configuration since last scan, next scan in 5m0s',
      ],
      [automation, 'Succeeded', 'no change since last reconciliation'],
      [automation, 'Succeeded', 'repository up-to-date'],
    ])('%o %s: %s', (involvedObject, reason, message) => {
      const parsed = one(coreEvent({ involvedObject, reason, message }))
      expect(parsed.events).toEqual([])
      expect(parsed.ignored).toEqual({ nonFlux: 0, trace: 1 })
    })

    it.each([
      [source, 'Normal', 'GitOperationSucceeded', "stored artifact for commit 'x'"],
      [source, 'Normal', 'Succeeded', "stored artifact for commit 'Update deployment.yaml'"],
      [source, 'Warning', 'AuthenticationFailed', 'failed to authenticate'],
      [source, 'Warning', 'ArtifactUpToDate', "artifact up-to-date with remote revision: 'x'"],
      [imageRepo, 'Normal', 'Succeeded', 'successful scan: found 12 tags with checksum 1234'],
      // ImagePolicy's trace repeats the info text: it cannot be told apart, so it is kept
      [
        imagePolicy,
        'Normal',
        'Succeeded',
        "Latest image tag for 'ghcr.io/stefanprodan/podinfo' resolved to 6.5.4",
      ],
      [automation, 'Normal', 'Succeeded', "pushed commit 'fbec8b8' to branch 'main'"],
      [
        helm,
        'Normal',
        'InstallSucceeded',
        'Helm install succeeded for release apps/podinfo.v1 with chart podinfo@6.5.3',
      ],
    ])('keeps %o %s %s: %s', (involvedObject, type, reason, message) => {
      const parsed = one(coreEvent({ involvedObject, type, reason, message }))
      expect(parsed.ignored.trace).toBe(0)
      expect(parsed.events).toHaveLength(1)
    })
  })
})

describe('problems', () => {
  it('invalid JSON → one Problem with the line and column', () => {
    const text = '{\n  "involvedObject": {"kind": "Kustomization"},\n  "severity": "info",,\n}\n'
    const parsed = parseEvents(text, 'events.json')
    expect(parsed.events).toEqual([])
    expect(parsed.problems).toEqual([
      {
        severity: 'error',
        message: `invalid JSON: unexpected character ",", expected a double-quoted property name`,
        location: { file: 'events.json', line: 3, column: 22 },
      },
    ])
  })

  it('a truncated JSON list → one Problem at the end', () => {
    const text = JSON.stringify({ kind: 'List', items: [coreEvent()] }, null, 4).slice(0, -20)
    const parsed = parseEvents(text, 'events.json')
    expect(parsed.problems).toHaveLength(1)
    // the cut ends inside the last item's `source` object
    expect(parsed.problems[0]!.message).toBe(
      "invalid JSON: unexpected end of input, expected ',' or '}'",
    )
    expect(parsed.problems[0]!.location?.line).toBe(text.split('\n').length)
  })

  it('one bad NDJSON line → a Problem with its line; the other lines still load', () => {
    const good = JSON.stringify(fluxEvent())
    const text = [good, '', '{"involvedObject": {"kind": "Kustomization"', good].join('\n')
    const parsed = parseEvents(text, 'events.ndjson')
    expect(parsed.events.map((e) => [e.origin.line, e.origin.index])).toEqual([
      [1, 0],
      [4, 2],
    ])
    expect(parsed.problems).toEqual([
      {
        severity: 'error',
        message: "invalid JSON: unexpected end of input, expected ',' or '}'",
        location: { file: 'events.ndjson', line: 3, column: 44 },
      },
    ])
  })

  it('one invalid item in a list → a Problem naming its index and line; the others load', () => {
    const list = {
      apiVersion: 'v1',
      items: [coreEvent(), coreEvent({ involvedObject: 'apps' }), coreEvent()],
      kind: 'List',
    }
    const parsed = parseEvents(JSON.stringify(list, null, 4), 'events.json')
    expect(parsed.events.map((e) => e.origin.index)).toEqual([0, 2])
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]!.message).toBe(
      'items[1]: involvedObject: expected object, received string',
    )
    // 4-space indent: item 0 opens on line 4 and spans 25 lines; item 1 (its involvedObject on
    // one line instead of six) spans 20
    expect(parsed.problems[0]!.location).toEqual({ file: 'events.json', line: 29 })
    expect(parsed.events[1]!.origin.line).toBe(49)
  })

  it('a JSON array with a non-object element', () => {
    const parsed = one([fluxEvent(), 'hello', fluxEvent()])
    expect(parsed.events).toHaveLength(2)
    expect(parsed.problems[0]!.message).toBe('[1]: expected an event object, found a string')
  })

  it('an object that is no event', () => {
    const parsed = one({ apiVersion: 'v1', kind: 'ConfigMap', data: {} })
    expect(parsed.problems[0]!.message).toMatch(
      /^event: not a Flux event or Kubernetes Event \(kind ConfigMap\)/,
    )
  })

  it('invalid YAML → a Problem with the line; other documents still load', () => {
    const yaml = [
      'apiVersion: v1',
      'kind: Event',
      'involvedObject: {kind: Kustomization, namespace: flux-system, name: apps, apiVersion: kustomize.toolkit.fluxcd.io/v1}',
      'type: Warning',
      'reason: BuildFailed',
      'message: boom',
      '---',
      'apiVersion: v1',
      'kind: Event',
      'kind: Event',
      '',
    ].join('\n')
    const parsed = parseEvents(yaml, 'events.yaml')
    expect(parsed.events).toHaveLength(1)
    expect(parsed.events[0]!.event).toMatchObject({ severity: 'error', message: 'boom' })
    expect(parsed.events[0]!.origin.line).toBe(1)
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]!.message).toMatch(/^invalid YAML: /)
    expect(parsed.problems[0]!.location?.line).toBe(10)
  })

  it('a YAML alias bomb is refused', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    ].join('\n')
    const parsed = parseEvents(bomb, 'bomb.yaml')
    expect(parsed.events).toEqual([])
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]!.message).toMatch(/^invalid YAML: .*alias/i)
  })

  it('plain text, such as the `flux events` table, is one clear Problem', () => {
    const table = [
      'NAMESPACE       LAST SEEN               TYPE    REASON                  OBJECT                          MESSAGE',
      'flux-system     54m     Normal  ReconciliationSucceeded Kustomization/flux-system       Reconciliation finished in 486.814878ms, next run in 10m0s',
    ].join('\n')
    const parsed = parseEvents(table, 'events.txt')
    expect(parsed.events).toEqual([])
    expect(parsed.problems).toEqual([
      {
        severity: 'error',
        message:
          'not JSON or YAML events (expected Flux events, a Kubernetes Event list or a repository_dispatch payload)',
        location: { file: 'events.txt', line: 1 },
      },
    ])
  })

  it('more than 20 problems in a source are summed up in one last line', () => {
    const items = Array.from({ length: 25 }, () => coreEvent({ involvedObject: null }))
    const parsed = one({ kind: 'List', items })
    expect(parsed.problems).toHaveLength(21)
    expect(parsed.problems[20]!.message).toBe('5 more problems in this source not listed')
  })

  it('empty input and a byte-order mark are fine', () => {
    expect(parseEvents('  \n', 'e.json')).toEqual({
      events: [],
      problems: [],
      ignored: { nonFlux: 0, trace: 0 },
    })
    const parsed = parseEvents('\ufeff' + JSON.stringify(fluxEvent()), 'e.json')
    expect(parsed.events).toHaveLength(1)
  })
})
