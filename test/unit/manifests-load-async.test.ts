/**
 * `loadManifestsAsync` imports the RE2 engine only when an Alert has patterns (start-up time,
 * design.md §5). Whether it is imported before loading or after a first load that needed it, the
 * result is the one the controller's rules give (reference §2.3): patterns compile with RE2, an
 * invalid one is reported with the controller's message on its line and skipped.
 *
 * The first test must run first in this file: it is the one that starts with no engine imported.
 */
import { describe, expect, it } from 'vitest'
import { loadManifestsAsync, type ManifestFile } from '../../src/manifests/load.js'

const NC = 'notification.toolkit.fluxcd.io'
const lines = (...l: string[]): string => l.join('\n') + '\n'

const alertWithLists = (inclusionKey: string, exclusionKey: string): string =>
  lines(
    `apiVersion: ${NC}/v1beta3`,
    'kind: Alert',
    'metadata: {name: filter, namespace: foo-ns}',
    'spec:',
    '  providerRef: {name: slack}',
    '  eventSources: [{kind: Bucket, name: hyacinth}]',
    `  ${inclusionKey}:`, // 7
    '    - "^included"',
    '    - "(unclosed"', // 9
    `  ${exclusionKey}:`,
    '    - "(?=lookahead)"', // 11
    '    - "excluded"',
  )

describe('loadManifestsAsync', () => {
  it('compiles lists whose field names only substitution spells out', async () => {
    // Flux substitutes keys too: no file text names the lists, so the engine is imported late.
    const files: ManifestFile[] = [
      { path: 'm.yaml', text: alertWithLists('${INCLUDE_FIELD}', '${EXCLUDE_FIELD}') },
    ]
    const vars = new Map([
      ['INCLUDE_FIELD', 'inclusionList'],
      ['EXCLUDE_FIELD', 'exclusionList'],
    ])
    const config = await loadManifestsAsync(files, {
      defaultNamespace: 'default',
      substitute: { vars },
    })
    const spec = config.alerts[0]!.spec
    expect(spec.inclusionList.map((p) => p.source)).toEqual(['^included'])
    expect(spec.exclusionList.map((p) => p.source)).toEqual(['excluded'])
    expect(spec.hasInclusionList).toBe(true)
    // RE2 semantics: `$` is the end of the text only
    expect(spec.inclusionList[0]!.regex.matcher('included message').find()).toBe(true)
    expect(spec.exclusionList[0]!.regex.matcher('was excluded').find()).toBe(true)
    // (the substituted key is not in the file, so its problems point at the nearest field that is)
    expect(config.problems.map((p) => [p.message, p.location?.file])).toEqual([
      [
        'Alert/foo-ns/filter: failed to compile inclusion regex: (unclosed: error parsing regexp: missing closing ): `(unclosed`',
        'm.yaml',
      ],
      [
        'Alert/foo-ns/filter: failed to compile exclusion regex: (?=lookahead): error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
        'm.yaml',
      ],
    ])
  })

  it('gives the same problems, on the same lines, when the lists are spelled out', async () => {
    const files: ManifestFile[] = [
      { path: 'm.yaml', text: alertWithLists('inclusionList', 'exclusionList') },
    ]
    const config = await loadManifestsAsync(files, { defaultNamespace: 'default' })
    expect(config.alerts[0]!.spec.inclusionList.map((p) => p.source)).toEqual(['^included'])
    expect(config.problems.map((p) => [p.message.split(':')[1], p.location?.line])).toEqual([
      [' failed to compile inclusion regex', 9],
      [' failed to compile exclusion regex', 11],
    ])
  })

  it('loads an Alert without lists with empty lists', async () => {
    const text = lines(
      `apiVersion: ${NC}/v1beta3`,
      'kind: Alert',
      'metadata: {name: plain, namespace: foo-ns}',
      'spec:',
      '  providerRef: {name: slack}',
      '  eventSources: [{kind: Bucket, name: "*"}]',
    )
    const config = await loadManifestsAsync([{ path: 'a.yaml', text }], {
      defaultNamespace: 'default',
    })
    expect(config.problems).toEqual([])
    expect(config.alerts[0]!.spec).toMatchObject({
      inclusionList: [],
      hasInclusionList: false,
      exclusionList: [],
    })
  })
})
