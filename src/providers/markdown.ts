/**
 * The controller's shared markdown post (reference §5.25), used by the PR/MR comment types and by
 * `zulip`:
 *
 *     ## Flux Status
 *
 *     ℹ️ GitRepository/gitops-system/webapp
 *
 *     message
 *
 *     Metadata:
 *     * `test`: metadata
 */
import type { FluxEvent } from '../events/model.js'
import { sortedKeys } from '../util/go-json.js'

/** The metadata key that carries the PR/MR number; it is routing data, not something to show. */
export const CHANGE_REQUEST_METADATA_KEY = 'change_request'

/** ⚠️ for errors, ℹ️ for everything else (info, trace, anything unknown). */
function severityEmoji(severity: string): string {
  return severity === 'error' ? '⚠️' : 'ℹ️'
}

/**
 * `formatMarkdownPost`: a title line with the object, the message, then every metadata entry as a
 * bullet in Go's sorted key order. `change_request` is left out; with no metadata the text still
 * ends in `Metadata:\n`. Values and the message go in as they are: the controller escapes nothing.
 */
export function formatMarkdownPost(event: FluxEvent): string {
  const { kind = '', namespace = '', name = '' } = event.involvedObject
  let text = `## Flux Status\n\n${severityEmoji(event.severity)} ${kind}/${namespace}/${name}\n\n`
  text += `${event.message}\n\nMetadata:\n`
  const metadata = event.metadata ?? {}
  for (const key of sortedKeys(Object.keys(metadata))) {
    if (key === CHANGE_REQUEST_METADATA_KEY) continue
    text += `* \`${key}\`: ${metadata[key]}\n`
  }
  return text
}
