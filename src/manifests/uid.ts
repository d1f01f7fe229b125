/**
 * A Provider's UID. In a cluster it is the object's `metadata.uid`, and the default commit-status
 * context ends with its first block (`kustomization/podinfo/0c9c2e41`). A manifest in Git has no
 * UID, so flux-notify derives a stable one (design §3): the first 8 hex digits of the SHA-256 of
 * `<namespace>/<name>`. To keep the contexts an in-cluster controller wrote, put that Provider's
 * real UID in the manifest's `metadata.uid`.
 */
import { createHash } from 'node:crypto'

export function derivedUid(namespace: string, name: string): string {
  return createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 8)
}

/** `metadata.uid` when the manifest has one, else the derived id. */
export function providerUid(metadata: { namespace: string; name: string; uid?: string }): string {
  return metadata.uid || derivedUid(metadata.namespace, metadata.name)
}
