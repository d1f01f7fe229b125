import { describe, expect, it } from 'vitest'
import {
  cleanupMetadata,
  combineEventMetadata,
  excludeInternalMetadata,
} from '../../src/routing/metadata.js'
import { defaultCommitStatusId } from '../../src/routing/status-id.js'
import { alert, event } from '../support/factories.js'

const KUSTOMIZE = 'kustomize.toolkit.fluxcd.io'

describe('cleanupMetadata (reference §1.2, §8.3)', () => {
  it('keeps the object group and event.toolkit.fluxcd.io keys, drops checksum, digest and other groups', () => {
    const input = event({
      kind: 'Kustomization',
      apiVersion: `${KUSTOMIZE}/v1`,
      metadata: {
        [`${KUSTOMIZE}/foo`]: 'fooval',
        [`${KUSTOMIZE}/bar`]: 'barval',
        [`${KUSTOMIZE}/checksum`]: 'checksum',
        [`${KUSTOMIZE}/digest`]: 'digest',
        [`${KUSTOMIZE}/zzz`]: 'zzz',
        [`${KUSTOMIZE}/aa/bb`]: 'cc',
        'source.toolkit.fluxcd.io/baz': 'bazval',
        'event.toolkit.fluxcd.io/baz': 'bazval',
        'event.toolkit.fluxcd.io/bazfoo': 'bazfooval',
      },
    })
    const before = structuredClone(input)
    const cleaned = cleanupMetadata(input)
    expect(cleaned.metadata).toEqual({
      [`${KUSTOMIZE}/foo`]: 'fooval',
      [`${KUSTOMIZE}/bar`]: 'barval',
      [`${KUSTOMIZE}/zzz`]: 'zzz',
      [`${KUSTOMIZE}/aa/bb`]: 'cc',
      'event.toolkit.fluxcd.io/baz': 'bazval',
      'event.toolkit.fluxcd.io/bazfoo': 'bazfooval',
    })
    expect(input).toEqual(before)
    expect(cleaned).not.toBe(input)
  })

  it('turns missing metadata into an empty map', () => {
    const cleaned = cleanupMetadata(event({ apiVersion: `${KUSTOMIZE}/v1` }))
    expect(cleaned.metadata).toEqual({})
  })

  it('excludes checksum and digest case-insensitively (strings.EqualFold)', () => {
    const cleaned = cleanupMetadata(
      event({
        apiVersion: `${KUSTOMIZE}/v1`,
        metadata: {
          [`${KUSTOMIZE}/Checksum`]: 'x',
          [`${KUSTOMIZE.toUpperCase()}/DIGEST`]: 'y',
          [`${KUSTOMIZE}/revision`]: 'main@sha1:abc',
        },
      }),
    )
    expect(cleaned.metadata).toEqual({ [`${KUSTOMIZE}/revision`]: 'main@sha1:abc' })
  })

  it('uses the bare prefix "/" when the object has no group', () => {
    const cleaned = cleanupMetadata(
      event({
        apiVersion: 'v1',
        metadata: { '/foo': 'a', '/checksum': 'b', 'x/foo': 'c', 'event.toolkit.fluxcd.io/e': 'd' },
      }),
    )
    expect(cleaned.metadata).toEqual({ '/foo': 'a', 'event.toolkit.fluxcd.io/e': 'd' })
  })
})

describe('excludeInternalMetadata (reference §8.3)', () => {
  it('drops the object group token and keeps the rest', () => {
    const input = event({
      apiVersion: `${KUSTOMIZE}/v1`,
      metadata: { [`${KUSTOMIZE}/token`]: 'aaaa', [`${KUSTOMIZE}/revision`]: 'bbbb' },
    })
    const result = excludeInternalMetadata(input)
    expect(result.metadata).toEqual({ [`${KUSTOMIZE}/revision`]: 'bbbb' })
    expect(input.metadata).toEqual({
      [`${KUSTOMIZE}/token`]: 'aaaa',
      [`${KUSTOMIZE}/revision`]: 'bbbb',
    })
  })
})

describe('combineEventMetadata (reference §2.5 step 8, §8.3)', () => {
  const kustomizationEvent = (metadata?: Record<string, string>) =>
    event({ kind: 'Kustomization', apiVersion: `${KUSTOMIZE}/v1`, metadata })

  it('applies annotations < Alert eventMetadata < controller metadata and reports the conflicts', () => {
    const input = kustomizationEvent({
      [`${KUSTOMIZE}/objectMetadataOverridenByController`]: 'controllerMetadataValue1',
      [`${KUSTOMIZE}/alertMetadataOverridenByController`]: 'controllerMetadataValue2',
      [`${KUSTOMIZE}/controllerMetadata`]: 'controllerMetadataValue3',
      'event.toolkit.fluxcd.io/objectMetadata': 'objectMetadataValue1',
      'event.toolkit.fluxcd.io/objectMetadataOverridenByAlert': 'objectMetadataValue2',
      'event.toolkit.fluxcd.io/objectMetadataOverridenByController': 'objectMetadataValue3',
    })
    const before = structuredClone(input)
    const result = combineEventMetadata(
      input,
      alert({
        eventMetadata: {
          objectMetadataOverridenByAlert: 'alertMetadataValue1',
          alertMetadata: 'alertMetadataValue2',
          alertMetadataOverridenByController: 'alertMetadataValue3',
        },
      }),
    )
    expect(result.event.metadata).toEqual({
      objectMetadata: 'objectMetadataValue1',
      objectMetadataOverridenByAlert: 'alertMetadataValue1',
      objectMetadataOverridenByController: 'controllerMetadataValue1',
      alertMetadata: 'alertMetadataValue2',
      alertMetadataOverridenByController: 'controllerMetadataValue2',
      controllerMetadata: 'controllerMetadataValue3',
    })
    // The controller's Warning event annotates each key with its sources in the order written.
    expect(result.conflicts).toEqual([
      {
        key: 'alertMetadataOverridenByController',
        sources: ['Alert object .spec.eventMetadata', 'involved object controller metadata'],
      },
      {
        key: 'objectMetadataOverridenByAlert',
        sources: ['involved object annotations', 'Alert object .spec.eventMetadata'],
      },
      {
        key: 'objectMetadataOverridenByController',
        sources: ['involved object annotations', 'involved object controller metadata'],
      },
    ])
    expect(result.warning).toBe(
      'metadata key conflicts detected (please refer to the Alert API docs and Flux RFC 0008 for more information): ' +
        'alertMetadataOverridenByController: Alert object .spec.eventMetadata, involved object controller metadata; ' +
        'objectMetadataOverridenByAlert: involved object annotations, Alert object .spec.eventMetadata; ' +
        'objectMetadataOverridenByController: involved object annotations, involved object controller metadata',
    )
    expect(input).toEqual(before)
  })

  it('annotation summary loses to .spec.summary', () => {
    const result = combineEventMetadata(
      kustomizationEvent({ 'event.toolkit.fluxcd.io/summary': 'from annotation' }),
      alert({ summary: 'from spec' }),
    )
    expect(result.event.metadata).toEqual({ summary: 'from spec' })
    expect(result.conflicts).toEqual([
      { key: 'summary', sources: ['involved object annotations', 'Alert object .spec.summary'] },
    ])
  })

  it('.spec.eventMetadata.summary loses to .spec.summary', () => {
    const result = combineEventMetadata(
      kustomizationEvent({}),
      alert({ summary: 'from spec', eventMetadata: { summary: 'from eventMetadata' } }),
    )
    expect(result.event.metadata).toEqual({ summary: 'from spec' })
    expect(result.conflicts).toEqual([
      {
        key: 'summary',
        sources: ['Alert object .spec.eventMetadata', 'Alert object .spec.summary'],
      },
    ])
  })

  it('.spec.summary loses to the controller summary key', () => {
    const result = combineEventMetadata(
      kustomizationEvent({ [`${KUSTOMIZE}/summary`]: 'from controller' }),
      alert({ summary: 'from spec' }),
    )
    expect(result.event.metadata).toEqual({ summary: 'from controller' })
    expect(result.conflicts[0]?.sources).toEqual([
      'Alert object .spec.summary',
      'involved object controller metadata',
    ])
  })

  it('leaves metadata as it was when nothing is combined', () => {
    const noMetadata = combineEventMetadata(kustomizationEvent(), alert())
    expect(noMetadata.event.metadata).toBeUndefined()
    expect(noMetadata.conflicts).toEqual([])
    expect(noMetadata.warning).toBeUndefined()
    const emptyMap = combineEventMetadata(kustomizationEvent({}), alert())
    expect(emptyMap.event.metadata).toEqual({})
  })

  it('strips the prefixes without conflicts when every key comes from one source', () => {
    const result = combineEventMetadata(
      kustomizationEvent({
        [`${KUSTOMIZE}/revision`]: 'main@sha1:1234',
        'event.toolkit.fluxcd.io/commit': 'abcd',
      }),
      alert({ eventMetadata: { env: 'prod' } }),
    )
    expect(result.event.metadata).toEqual({
      revision: 'main@sha1:1234',
      commit: 'abcd',
      env: 'prod',
    })
    expect(result.conflicts).toEqual([])
    expect(result.warning).toBeUndefined()
  })
})

describe('defaultCommitStatusId (reference §6.3)', () => {
  const uid = '0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a'
  it('is lower(Kind/name/first UID block), without the namespace', () => {
    const id = defaultCommitStatusId(
      event({ kind: 'Kustomization', name: 'gitops-system', namespace: 'flux-system' }),
      uid,
    )
    expect(id).toBe('kustomization/gitops-system/0c9c2e41')
    expect(defaultCommitStatusId(event({ kind: 'HelmRelease', name: 'gitops-system' }), uid)).toBe(
      'helmrelease/gitops-system/0c9c2e41',
    )
  })
  it('ends in "/" with an empty UID', () => {
    expect(defaultCommitStatusId(event({ kind: 'Kustomization', name: 'gitops-system' }), '')).toBe(
      'kustomization/gitops-system/',
    )
  })
})
