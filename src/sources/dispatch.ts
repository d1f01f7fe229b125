/**
 * The `repository_dispatch` edge: when a workflow was started by notification-controller's
 * `githubdispatch` provider, the Flux event is the `client_payload` of the webhook payload that the
 * runner saved at `GITHUB_EVENT_PATH`.
 */
import { existsSync } from 'node:fs'
import type { Problem } from '../manifests/model.js'
import { parseEvents, parseEventValue, type ParsedEvents } from '../events/parse.js'
import { isPlainObject } from '../events/schema.js'
import { readTextFileLimited } from './event-files.js'

/** How the payload is named in origins and problems. */
export const DISPATCH_LABEL = 'repository_dispatch payload'

/**
 * The event of a `repository_dispatch` run, or undefined when this run was not started by one
 * (or the runner saved no payload).
 */
export async function readDispatchPayload(
  env: NodeJS.ProcessEnv,
): Promise<ParsedEvents | undefined> {
  if (env.GITHUB_EVENT_NAME !== 'repository_dispatch') return undefined
  const eventPath = env.GITHUB_EVENT_PATH
  if (!eventPath || !existsSync(eventPath)) return undefined

  const text = await readTextFileLimited(eventPath, DISPATCH_LABEL)
  if (typeof text !== 'string') return failed(text)
  let payload: unknown
  try {
    payload = JSON.parse(text)
  } catch {
    // The text parser says where and why, in one line.
    return parseEvents(text, DISPATCH_LABEL)
  }
  if (!isPlainObject(payload) || !isPlainObject(payload.client_payload)) {
    return failed({
      severity: 'error',
      message: `${DISPATCH_LABEL}: no client_payload object; expected the Flux event there`,
    })
  }
  return parseEventValue(payload, DISPATCH_LABEL)
}

function failed(problem: Problem): ParsedEvents {
  return { events: [], problems: [problem], ignored: { nonFlux: 0, trace: 0 } }
}
