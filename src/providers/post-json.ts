import type { Rendered } from './types.js'

/**
 * The controller's shared client (reference §5.1): one POST of a JSON body with
 * `Content-Type: application/json`, plus the type's own headers (auth, …).
 */
export function postJson(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Rendered {
  return {
    requests: [
      { method: 'POST', url, headers: { 'Content-Type': 'application/json', ...headers }, body },
    ],
  }
}
