/**
 * The registry's light constructor checks (`validateProvider`), which every run makes before it
 * reads any event without loading the renderers: each is the very function the type's module
 * uses as `validate`, so the two can never disagree; types without one load their module. The
 * messages are the controller's (reference §4, §5, §6).
 */
import { describe, expect, it } from 'vitest'
import { loadProvider, PROVIDER_TYPES, validateProvider } from '../../src/providers/registry.js'
import { resolvedProvider } from '../support/factories.js'

describe('validateProvider', () => {
  it('uses, for every type that has a light check, the function the module validates with', async () => {
    const withCheck = Object.entries(PROVIDER_TYPES).filter(([, entry]) => entry.check)
    // every type but the three whose checks need their module's own parsing
    expect(
      Object.keys(PROVIDER_TYPES)
        .filter((type) => !PROVIDER_TYPES[type]!.check)
        .sort(),
    ).toEqual(['azureeventhub', 'otel', 'sentry'])
    for (const [type, entry] of withCheck) {
      const module = await loadProvider(type)
      expect(module.validate, type).toBe(entry.check)
    }
  })

  it.each([
    // reference §5.3: `invalid Slack hook URL <u>: '<err>'`
    [
      'slack',
      { address: 'not a url' },
      'invalid Slack hook URL not a url: \'parse "not a url": invalid URI for request\'',
    ],
    ['slack', { address: 'https://hooks.slack.com/services/x' }, undefined],
    // §5.2: generic-hmac with an empty token
    ['generic-hmac', { address: 'https://example.com/hook', token: '' }, 'HMAC key is empty'],
    // §5.x Lark: the (sic) Slack message without the parse error
    ['lark', { address: '%zz' }, 'invalid Slack hook URL %zz'],
    // §5.x Datadog: an empty token first
    ['datadog', { address: 'https://api.datadoghq.eu', token: '' }, 'token cannot be empty'],
    // §6: the Git hosts' token checks
    [
      'gitlab',
      { address: 'https://gitlab.com/org/repo', token: '' },
      'gitlab token cannot be empty',
    ],
    [
      'gitea',
      { address: 'https://gitea.example.com/org/repo', token: '' },
      'gitea token cannot be empty',
    ],
    [
      'bitbucket',
      { address: 'https://bitbucket.org/org/repo', token: 'no-colon' },
      'invalid token format, expected to be <user>:<password>',
    ],
    [
      'githubpullrequestcomment',
      { address: 'https://github.com/org/repo', token: 't', uid: '' },
      'provider UID cannot be empty',
    ],
  ] as const)('%s %j → %s', async (type, overrides, expected) => {
    expect(await validateProvider(resolvedProvider(type, { ...overrides }))).toBe(expected)
  })

  it('loads the module of a type without a light check (Sentry: empty DSN, §5)', async () => {
    expect(await validateProvider(resolvedProvider('sentry', { address: '' }))).toBe(
      'DSN cannot be empty',
    )
  })
})
