/**
 * The one place GitHub API clients are made: `@actions/github`'s `getOctokit` (proxy-aware, with
 * the REST endpoint methods) plus the retry and throttling plugins.
 *
 * Octokit is imported lazily so that a run without GitHub-type providers never loads it.
 */
import type { GitHub } from '@actions/github/lib/utils'

export type Octokit = InstanceType<typeof GitHub>

export interface OctokitLogger {
  (message: string): void
}

/** How many times a request that hit a rate limit is tried again, and how long we will wait. */
const RATE_LIMIT_RETRIES = 2
const RATE_LIMIT_MAX_WAIT_SECONDS = 60

/**
 * A stand-in for a Bottleneck group that runs every job at once. plugin-throttling otherwise
 * queues every write of the process through one group spaced a second apart (and
 * notification-triggering writes three seconds apart); the controller sends statuses as they
 * come, and delivery already bounds concurrency per provider. Rate limits are still handled: a
 * 403/429 rate-limit answer is retried by the plugin's retry limiter, which this does not touch.
 */
const immediateGroup = {
  key: () => ({
    schedule: <T>(
      _options: unknown,
      job: (...args: unknown[]) => Promise<T>,
      ...args: unknown[]
    ): Promise<T> => job(...args),
  }),
}

/**
 * An Octokit for `baseUrl` (`https://api.github.com`, or `<host>/api/v3` for GitHub Enterprise),
 * authenticated with `token`. Rate-limited requests are retried up to twice when GitHub asks us
 * to wait at most a minute; server errors are retried by plugin-retry (429 is left to throttling).
 */
export async function createOctokit(
  token: string,
  baseUrl: string,
  log?: OctokitLogger,
): Promise<Octokit> {
  const [{ getOctokit }, { defaults }, { retry }, { throttling }] = await Promise.all([
    import('@actions/github'),
    import('@actions/github/lib/utils'),
    import('@octokit/plugin-retry'),
    import('@octokit/plugin-throttling'),
  ])
  const warn = log ?? (() => {})
  const onLimit =
    (kind: string) =>
    (
      retryAfter: number,
      options: { method: string; url: string },
      _octokit: unknown,
      retryCount: number,
    ) => {
      const retrying = retryCount < RATE_LIMIT_RETRIES && retryAfter <= RATE_LIMIT_MAX_WAIT_SECONDS
      warn(
        `GitHub ${kind} rate limit on ${options.method} ${options.url}: ` +
          (retrying ? `retrying in ${retryAfter}s` : `giving up (retry after ${retryAfter}s)`),
      )
      return retrying
    }

  // `@actions/github` routes requests through a proxy-aware fetch built for GITHUB_API_URL
  // when the module loads. For any other API origin that proxy choice (and its NO_PROXY check)
  // is wrong, so use plain fetch there: the controller uses no proxy for GitHub either.
  const sameOrigin = originOf(defaults.baseUrl) === originOf(baseUrl)

  return getOctokit(
    token,
    {
      baseUrl,
      userAgent: 'flux-notify',
      log: { debug: () => {}, info: () => {}, warn, error: warn },
      ...(sameOrigin ? {} : { request: { fetch: globalThis.fetch } }),
      retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
      throttle: {
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
        write: immediateGroup as never,
        notifications: immediateGroup as never,
      },
    },
    retry,
    throttling,
  )
}

function originOf(url: string | undefined): string {
  if (!url) return ''
  try {
    return new URL(url).origin
  } catch {
    return url
  }
}

/**
 * The signal to give Octokit for a request bounded by `signal`. Octokit rethrows a fetch that
 * was aborted with an `AbortError` untouched, but turns any other abort reason (such as the
 * `TimeoutError` of `AbortSignal.timeout`) into a 500 that plugin-retry then retries, after the
 * deadline. So the deadline reaches fetch as a plain abort.
 */
export function requestSignal(signal: AbortSignal): AbortSignal {
  const controller = new AbortController()
  if (signal.aborted) controller.abort()
  else signal.addEventListener('abort', () => controller.abort(), { once: true })
  return controller.signal
}
