/**
 * The commit SHA a commit status goes on, found the way the controller finds it (reference §6.2):
 * `GetRevision` on the combined metadata, then fluxcd/pkg's `TransformRevision` and
 * `ExtractHashFromRevision`, then a length check that only a SHA-1 (40 characters) passes.
 */
import type { FluxEvent } from '../../events/model.js'

/**
 * `Event.GetRevision`: the first of `commit`, `originRevision`, `revision` that is present in the
 * (combined, unprefixed) metadata. Present means present: an empty value still wins.
 */
export function getRevision(event: FluxEvent): string | undefined {
  const metadata = event.metadata
  if (!metadata) return undefined
  for (const key of ['commit', 'originRevision', 'revision']) {
    if (Object.hasOwn(metadata, key)) return metadata[key]
  }
  return undefined
}

/** The part after the last `:`, else after the last `/`, else the whole string. */
export function extractHashFromRevision(revision: string): string {
  const colon = revision.lastIndexOf(':')
  if (colon >= 0) return revision.slice(colon + 1)
  const slash = revision.lastIndexOf('/')
  if (slash >= 0) return revision.slice(slash + 1)
  return revision
}

/**
 * Turns a legacy `<ref>/<hash>` revision (source-controller before v1) into the current
 * `<ref>@<algorithm>:<hash>` form; current forms (anything with a `:`) and `""` pass unchanged.
 */
export function transformRevision(revision: string): string {
  if (revision === '' || revision.includes(':')) return revision
  let pointer = ''
  const at = revision.lastIndexOf('@')
  if (at >= 0) {
    pointer = revision.slice(0, at)
  } else {
    const slash = revision.lastIndexOf('/')
    // `HEAD/<hash>` names no branch: it becomes a bare `sha1:<hash>`.
    if (slash >= 0 && revision.slice(0, slash) !== 'HEAD') pointer = revision.slice(0, slash)
  }
  const hash = extractHashFromRevision(revision)
  const algorithm = byteLength(hash) === 40 ? 'sha1' : '<unknown>'
  return pointer === '' ? `${algorithm}:${hash}` : `${pointer}@${algorithm}:${hash}`
}

/**
 * The commit SHA of an event, or the controller's error text. The hash content is not checked
 * (as upstream): only its length, so SHA-256 revisions and OCI digests fail.
 */
export function commitShaFromEvent(event: FluxEvent): string | { error: string } {
  const revision = getRevision(event)
  if (revision === undefined) return { error: 'missing revision metadata' }
  return parseRevision(revision)
}

export function parseRevision(revision: string): string | { error: string } {
  const hash = extractHashFromRevision(transformRevision(revision))
  if (byteLength(hash) !== 40) {
    return { error: `failed to extract commit hash from '${revision}' revision` }
  }
  return hash
}

/** Go's `len` of a string: its UTF-8 bytes. */
function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8')
}
