/**
 * `githubdispatch` (reference §5.26): a `repository_dispatch` on the provider's repository whose
 * `client_payload` is the event, so that a workflow (another flux-notify run, say) can react to it.
 *
 * The body is what go-github sends: its request encoder turns HTML escaping off and ends the JSON
 * with a newline, while the payload inside was already marshalled by the controller with
 * `json.Marshal` and so keeps its `\u003c`-style escapes.
 *
 * Differences from the controller: an error reads as flux-notify's HTTP client words it, without
 * the controller's `could not send github repository dispatch webhook:` prefix.
 */
import { eventJson } from '../event-json.js'
import type { Notification, NotifierModule, Rendered, ResolvedProvider } from '../types.js'
import { goJson, RawJson } from '../../util/go-json.js'
import { githubRepository } from './address.js'
import { githubAppInstallationToken, usesGitHubApp, validateGitHubProvider } from './github-app.js'
import { tokenOrPassword } from './token.js'

/**
 * With GitHub App credentials, the installation token (cached for the run by `github-app.ts`)
 * becomes the provider's token, so that `render` stays pure. It is added to the values masked in
 * errors.
 */
async function prepare(provider: ResolvedProvider, signal: AbortSignal): Promise<ResolvedProvider> {
  if (!usesGitHubApp(provider)) return provider
  const repository = githubRepository(provider.address)
  if ('error' in repository) throw new Error(repository.error)
  const { token } = await githubAppInstallationToken(provider, repository.apiBase, { signal })
  return { ...provider, token, secretValues: [...provider.secretValues, token] }
}

/** `<Kind>/<name>.<namespace>`: the `event_type` a workflow filters on (`types: [...]`). */
export function dispatchEventType(notification: Notification): string {
  const { kind = '', name = '', namespace = '' } = notification.event.involvedObject
  return `${kind}/${name}.${namespace}`
}

/** The exact request body: go-github's encoding of the dispatch options, trailing newline included. */
export function dispatchBody(notification: Notification): string {
  const options = {
    event_type: dispatchEventType(notification),
    client_payload: new RawJson(eventJson(notification.event)),
  }
  return `${goJson(options, { escapeHTML: false })}\n`
}

function render(notification: Notification): Rendered {
  const { provider } = notification
  const repository = githubRepository(provider.address)
  // validate() refuses such a provider at load time; never send to a half-parsed address.
  if ('error' in repository) return { skip: repository.error }
  const token = tokenOrPassword(provider)
  // With App credentials the token comes from `prepare`; a dry run renders without one.
  if (token === '' && !usesGitHubApp(provider)) {
    return { skip: 'github token or github app details must be specified' }
  }
  const authorization: Record<string, string> =
    token === '' ? {} : { Authorization: `Bearer ${token}` }
  const owner = encodeURIComponent(repository.owner)
  const repo = encodeURIComponent(repository.repo)
  return {
    requests: [
      {
        method: 'POST',
        url: `${repository.apiBase}/repos/${owner}/${repo}/dispatches`,
        headers: {
          ...authorization,
          Accept: 'application/vnd.github+json',
          'X-GitHub-Api-Version': '2022-11-28',
          'Content-Type': 'application/json',
        },
        body: dispatchBody(notification),
        // go-github's client, not postMessage: no layer between the prefix and the error
        errorPrefix: 'could not send github repository dispatch webhook: ',
      },
    ],
  }
}

export const githubDispatch: NotifierModule = {
  type: 'githubdispatch',
  class: 'notification',
  validate: validateGitHubProvider,
  render,
  prepare,
}
