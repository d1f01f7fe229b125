/**
 * Bad manifests, fuzzed (issue 7): random and mutated YAML (the fixtures and examples, damaged)
 * through `loadManifests` and the `secrets` input parser never throw, never take long, and every
 * problem is one line that names its file. Fixed seed: a failure prints it and reproduces.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { loadManifests, secretsFromInput } from '../../src/manifests/load.js'
import type { Problem } from '../../src/manifests/model.js'
import { FUZZ_SEED, isOneLine, mutated, readSeed, seedFiles } from './fuzz-mutations.js'

const SEEDS = seedFiles(
  ['test/fixtures/manifests', 'examples/manifests', 'test/fixtures/fleets'],
  ['.yaml', '.yml'],
).map(readSeed)

/** Generous: a pathological input takes seconds, an ordinary one milliseconds. */
const MAX_MS_PER_INPUT = 3_000

const FILE = 'clusters/prod/notifications.yaml'
const LABEL = 'secrets input'

function expectGoodProblems(problems: readonly Problem[], file: string): void {
  for (const problem of problems) {
    expect(isOneLine(problem.message), problem.message).toBe(true)
    const named = problem.location?.file === file || problem.message.startsWith(`${file}:`)
    expect(named, problem.message).toBe(true)
  }
}

function load(text: string) {
  const started = performance.now()
  const config = loadManifests([{ path: FILE, text }], { defaultNamespace: 'flux-system' })
  expect(performance.now() - started).toBeLessThan(MAX_MS_PER_INPUT)
  expectGoodProblems(config.problems, FILE)
  return config
}

function secrets(text: string) {
  const started = performance.now()
  const parsed = secretsFromInput(text, 'flux-system', LABEL)
  expect(performance.now() - started).toBeLessThan(MAX_MS_PER_INPUT)
  expectGoodProblems(parsed.problems, LABEL)
  return parsed
}

/** Strings that break messages, names and keys. */
const hostile = fc.oneof(
  fc.constantFrom(
    'a\nb',
    'x\r\ny',
    'tab\there',
    'line\u2028sep',
    '${VAR}',
    '(unclosed',
    '[z-a]',
    '*',
    '',
    ' ',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
)

const notificationObject = fc.record({
  apiVersion: fc.constantFrom(
    'notification.toolkit.fluxcd.io/v1beta3',
    'notification.toolkit.fluxcd.io/v1beta2',
    'notification.toolkit.fluxcd.io/v1beta1',
    'notification.toolkit.fluxcd.io/v9',
  ),
  kind: fc.constantFrom('Alert', 'Provider'),
  metadata: fc.record(
    { name: hostile, namespace: hostile, labels: fc.dictionary(hostile, hostile, { maxKeys: 2 }) },
    { requiredKeys: ['name'] },
  ),
  spec: fc.record(
    {
      type: fc.oneof(fc.constantFrom('slack', 'github', 'generic'), hostile),
      address: hostile,
      channel: hostile,
      timeout: fc.oneof(fc.constantFrom('1m', '0s', '-1s', '99999h'), hostile),
      commitStatusExpr: hostile,
      providerRef: fc.record({ name: hostile }),
      eventSeverity: fc.oneof(fc.constantFrom('info', 'error'), hostile),
      eventSources: fc.array(
        fc.record(
          {
            kind: fc.oneof(fc.constant('Kustomization'), hostile),
            name: hostile,
            matchLabels: fc.dictionary(hostile, hostile, { maxKeys: 2 }),
          },
          { requiredKeys: ['kind'] },
        ),
        { maxLength: 2 },
      ),
      inclusionList: fc.array(hostile, { maxLength: 3 }),
      exclusionList: fc.array(hostile, { maxLength: 3 }),
      eventMetadata: fc.dictionary(hostile, hostile, { maxKeys: 2 }),
      summary: hostile,
      suspend: fc.oneof(fc.boolean(), hostile),
      [hostileKey()]: hostile,
    },
    { requiredKeys: [] },
  ),
})

/** A field name no schema knows, with a line break in it (reported as an unknown field). */
function hostileKey(): string {
  return 'unknown\nfield'
}

const secretObject = fc.record({
  apiVersion: fc.constant('v1'),
  kind: fc.constant('Secret'),
  metadata: fc.record({ name: hostile }),
  data: fc.dictionary(hostile, fc.oneof(fc.base64String(), hostile), { maxKeys: 3 }),
  stringData: fc.dictionary(hostile, hostile, { maxKeys: 2 }),
})

describe('manifests, fuzzed', () => {
  it('mutated fixtures: loadManifests never throws; problems are one line naming the file', () => {
    expect(SEEDS.length).toBeGreaterThan(10)
    fc.assert(
      fc.property(mutated(SEEDS), (text) => {
        load(text)
      }),
      { seed: FUZZ_SEED, numRuns: 400 },
    )
  })

  it('generated objects with hostile names, keys, regexes and values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(notificationObject, secretObject), { minLength: 1, maxLength: 4 }),
        (objects) => {
          const text = objects.map((o) => stringify(o)).join('---\n')
          const config = load(text)
          // every object either loaded or has an error naming it (no object silently lost)
          expect(
            config.alerts.length +
              config.providers.size +
              config.secrets.size +
              config.problems.length,
          ).toBeGreaterThan(0)
        },
      ),
      { seed: FUZZ_SEED, numRuns: 300 },
    )
  })

  it('random text: loadManifests never throws', () => {
    const yamlish = fc
      .array(
        fc.oneof(
          fc.constantFrom(
            ':',
            '- ',
            '\n',
            '  ',
            '{',
            '}',
            '[',
            ']',
            '&a ',
            '*a',
            '---\n',
            'kind: Alert\n',
            'apiVersion: notification.toolkit.fluxcd.io/v1beta3\n',
            '"',
            "'",
            '#',
            '!!',
            '|\n',
          ),
          fc.string({ maxLength: 5 }),
        ),
        { maxLength: 60 },
      )
      .map((parts) => parts.join(''))
    fc.assert(
      fc.property(yamlish, (text) => {
        load(text)
      }),
      { seed: FUZZ_SEED, numRuns: 300 },
    )
  })

  it('secrets input, mutated and random: never throws; problems are one line naming the input', () => {
    const seeds = [
      'slack-url:\n  address: https://hooks.slack.com/services/T/B/X\n',
      'flux-system/github-token:\n  token: ghp_x\n  username: "flux"\nother: {headers: {X-Key: v}, port: 0123}\n',
      '{"webhook": {"address": "https://example.com", "token": "t"}}',
      'a: &x {token: t}\nb: *x\n',
    ]
    fc.assert(
      fc.property(
        fc.oneof(mutated(seeds), fc.string({ unit: 'binary', maxLength: 80 })),
        (text) => {
          secrets(text)
        },
      ),
      { seed: FUZZ_SEED, numRuns: 400 },
    )
  })

  it('an alias bomb in a manifest file is refused with a clear message', () => {
    const bomb = [
      'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
      'kind: Alert',
      'metadata: {name: bomb, namespace: flux-system}',
      'spec:',
      '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      '  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      '  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      '  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      '  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      '  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    ].join('\n')
    const config = load(bomb)
    expect(config.alerts).toEqual([])
    expect(config.problems).toHaveLength(1)
    expect(config.problems[0]!.message).toMatch(
      /^refused YAML document: .*alias.*; this document is skipped$/,
    )
    expect(config.problems[0]!.location).toMatchObject({ file: FILE, line: 1 })
  })

  it('an alias bomb in the secrets input is refused with a clear message', () => {
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    ].join('\n')
    const parsed = secrets(bomb)
    expect(parsed.secrets).toEqual([])
    expect(parsed.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^secrets input: refused: .*alias/),
    ])
  })

  it('invalid regexes are reported per Alert with file and line; the other objects still load', () => {
    const text = [
      'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
      'kind: Alert',
      'metadata: {name: bad, namespace: flux-system}',
      'spec:',
      '  providerRef: {name: slack}',
      '  eventSources: [{kind: Kustomization, name: "*"}]',
      '  inclusionList:',
      '    - "x**"',
      '    - "a{1001}"',
      '  exclusionList:',
      '    - "\\\\8"',
      '---',
      'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
      'kind: Alert',
      'metadata: {name: good, namespace: flux-system}',
      'spec:',
      '  providerRef: {name: slack}',
      '  eventSources: [{kind: Kustomization, name: "*"}]',
      '  inclusionList: ["^ok$"]',
    ].join('\n')
    const config = load(text)
    expect(config.alerts.map((a) => a.metadata.name)).toEqual(['bad', 'good'])
    expect(config.alerts[1]!.spec.inclusionList.map((p) => p.source)).toEqual(['^ok$'])
    const problems = config.problems.map((p) => [p.message.split(':')[0], p.location?.line])
    expect(problems).toEqual([
      ['Alert/flux-system/bad', 8],
      ['Alert/flux-system/bad', 9],
      ['Alert/flux-system/bad', 11],
    ])
    for (const p of config.problems)
      expect(p.message).toMatch(/failed to compile (inclusion|exclusion) regex: /)
  })

  it('a regex holding a line break is reported on one line', () => {
    const text = [
      'apiVersion: notification.toolkit.fluxcd.io/v1beta3',
      'kind: Alert',
      'metadata: {name: multiline, namespace: flux-system}',
      'spec:',
      '  providerRef: {name: slack}',
      '  eventSources: [{kind: Kustomization, name: "*"}]',
      '  exclusionList: ["(broken\\nacross lines"]',
    ].join('\n')
    const config = load(text)
    expect(config.problems).toHaveLength(1)
    expect(config.problems[0]!.location).toMatchObject({ file: FILE, line: 7 })
    expect(config.problems[0]!.message).toMatch(
      /^Alert\/flux-system\/multiline: failed to compile exclusion regex: \(broken\\nacross lines: /,
    )
  })
})
