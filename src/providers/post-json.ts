import type { HttpRequestSpec, Rendered } from './types.js'

/** What most notifiers put before an error of the shared client (reference §5.1). */
export const POST_MESSAGE_FAILED = 'postMessage failed: '

/**
 * The error wording of a request the controller sends through its shared `postMessage`: the
 * client's own layer, after the type's prefix when it has one (Lark, Telegram and Zulip return
 * the client's error as it is).
 */
export function viaPostMessage(
  errorPrefix?: string,
): Pick<HttpRequestSpec, 'postMessage' | 'errorPrefix'> {
  return errorPrefix === undefined ? { postMessage: true } : { postMessage: true, errorPrefix }
}

/**
 * The controller's shared client (reference §5.1): one POST of a JSON body with
 * `Content-Type: application/json`, plus the type's own headers (auth, …).
 */
export function postJson(
  url: string,
  body: string,
  headers: Record<string, string> = {},
  errorPrefix?: string,
): Rendered {
  return {
    requests: [
      {
        method: 'POST',
        url,
        headers: { 'Content-Type': 'application/json', ...headers },
        body,
        ...viaPostMessage(errorPrefix),
      },
    ],
  }
}
