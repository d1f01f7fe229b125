/**
 * The controller's default commit status id (reference §6.3), used as GitHub/Gitea `context`,
 * GitLab `name`, Azure DevOps `context.name`, and hashed into the Bitbucket `key`.
 */
import type { FluxEvent } from '../events/model.js'

/**
 * `lower(Kind + "/" + name + "/" + first block of the provider UID)`. The namespace is not part of
 * it; an empty UID leaves a trailing `/`, as in the controller.
 */
export function defaultCommitStatusId(event: FluxEvent, uid: string): string {
  const ref = event.involvedObject
  const uidPrefix = uid.split('-')[0] ?? ''
  return `${ref.kind ?? ''}/${ref.name ?? ''}/${uidPrefix}`.toLowerCase()
}
