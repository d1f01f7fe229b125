/**
 * The credential the GitHub, GitLab and Gitea clients of the controller share: the secret's
 * `token`, else its `password`.
 */
import type { ResolvedProvider } from '../types.js'

/** The secret's `token`, else its `password` ('' when neither is set). */
export function tokenOrPassword(provider: ResolvedProvider): string {
  return provider.token !== '' ? provider.token : provider.password
}

/** The constructors' first check for GitLab and Gitea types: `<host> token cannot be empty`. */
export function emptyTokenError(provider: ResolvedProvider, host: string): string | undefined {
  return tokenOrPassword(provider) === '' ? `${host} token cannot be empty` : undefined
}
