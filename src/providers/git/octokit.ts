/**
 * The one place GitHub API clients are made: `@actions/github`'s `getOctokit` (proxy-aware, with
 * the REST endpoint methods) plus the retry and throttling plugins.
 *
 * Octokit is imported lazily so that a run without GitHub-type providers never loads it.
 */
import type { GitHub } from '@actions/github/lib/utils'
import {
  connectionFor,
  dispatcherFor,
  fetchVia,
  goCertificateErrorText,
} from '../../delivery/transport.js'
import { githubAppInstallationToken, usesGitHubApp } from './github-app.js'
import type { GitHubAppProvider } from './github-app.js'

export type Octokit = InstanceType<typeof GitHub>

export interface OctokitLogger {
  (message: string): void
}

/** How many times a request that hit a rate limit is tried again, and how long we will wait. */
const RATE_LIMIT_RETRIES = 2
const RATE_LIMIT_MAX_WAIT_SECONDS = 60

/**
 * Stand-ins for the Bottleneck limiters plugin-throttling queues every request through.
 *
 * Bottleneck's in-process store yields to the event loop with a `setTimeout` at each step of a
 * job (submit, register, run, free): several milliseconds per request even when nothing waits,
 * about a fifth of a request's time against a host 50 ms away. Delivery already bounds how many
 * requests are in flight (`DEFAULT_CONCURRENCY` in delivery/deliver.ts, below the plugin's 10),
 * and the controller sends statuses as they come, so no group needs to queue anything:
 *
 * - `write` and `notifications` would space every write of the process a second (three seconds)
 *   apart; `global` would cap requests at 10 in flight. Each runs its job at once here.
 * - `retryLimiter` is what retries a rate-limited answer: it keeps Bottleneck's contract as the
 *   plugin uses it (a `failed` listener returns the milliseconds to wait before trying again, or
 *   nothing to give up), without the timer hops on the way in.
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

type FailedListener = (error: unknown, info: { args: unknown[]; retryCount: number }) => unknown

function immediateRetryLimiter() {
  const listeners: FailedListener[] = []
  return {
    on(event: string, listener: FailedListener): void {
      if (event === 'failed') listeners.push(listener)
    },
    async schedule<T>(job: (...args: unknown[]) => Promise<T>, ...args: unknown[]): Promise<T> {
      for (let retryCount = 0; ; retryCount++) {
        try {
          return await job(...args)
        } catch (error) {
          // like Bottleneck: the first listener answer that is not null or undefined
          const answers = await Promise.all(listeners.map((l) => l(error, { args, retryCount })))
          const waitMs = answers.find((answer) => answer != null)
          if (waitMs == null) throw error
          await new Promise((resolve) => setTimeout(resolve, ~~Number(waitMs)))
        }
      }
    },
  }
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
  fetch?: typeof globalThis.fetch,
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
  // A fetch given by the caller (see `githubClientFor`) has made that choice already.
  const sameOrigin = fetch === undefined && originOf(defaults.baseUrl) === originOf(baseUrl)

  return getOctokit(
    token,
    {
      baseUrl,
      userAgent: 'flux-notify',
      log: { debug: () => {}, info: () => {}, warn, error: warn },
      ...(sameOrigin ? {} : { request: { fetch: fetch ?? globalThis.fetch } }),
      retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
      throttle: {
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
        write: immediateGroup as never,
        notifications: immediateGroup as never,
        // read by the plugin like `write`, though its type does not declare them; the retry
        // limiter is one per client, as the plugin's own would be
        ...({ global: immediateGroup, retryLimiter: immediateRetryLimiter() } as object),
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

/** What `githubClientFor` reads of a Provider. */
export interface GitHubClientProvider extends GitHubAppProvider {
  /** the GitHub-family type (`github`, `githubdispatch`, `githubpullrequestcomment`) */
  type?: string
  address: string
}

/**
 * The GitHub client for a provider: its API base (from the address, reference §6.1) and its
 * credentials. Every GitHub-type provider module gets its client here, so that authentication
 * (token, or a GitHub App installation token) and TLS are decided in one place:
 *
 * - the token is the secret's `token`, else its `password`, else, with a `githubAppID` in the
 *   secret, an installation token of that App (`github-app.ts`), else an error;
 * - like the controller's go-github client, the Provider's TLS material applies to hosts other
 *   than github.com, and the Provider's proxy does not apply (the environment's does, unless a
 *   custom CA is set: the controller then runs on a bare transport without one).
 */
export async function githubClientFor(
  provider: GitHubClientProvider,
  apiBase: string,
  log?: OctokitLogger,
): Promise<Octokit> {
  let token = provider.token || provider.password
  if (token === '' && usesGitHubApp(provider)) {
    token = (await githubAppInstallationToken(provider, apiBase)).token
  }
  if (token === '') throw new Error('github token or github app details must be specified')
  return createOctokit(token, apiBase, log, await githubFetch(provider, apiBase))
}

/**
 * The fetch a GitHub client for `provider` sends with. A certificate failure is rethrown as an
 * `AbortError`: Octokit passes such an error on untouched, where it would turn any other network
 * failure into a 500 that plugin-retry retries, and the controller's client retries nothing
 * (reference §7: certificate errors are never worth another attempt). Its message is Go's text.
 */
export async function githubFetch(
  provider: GitHubClientProvider,
  apiBase: string,
): Promise<typeof globalThis.fetch> {
  const settings = connectionFor(
    { type: provider.type ?? 'github', proxy: provider.proxy ?? '', tls: provider.tls },
    apiBase,
  )
  const fetch = await fetchVia(await dispatcherFor(settings, apiBase))
  return async (input, init) => {
    try {
      return await fetch(input, init)
    } catch (error) {
      const certificate = goCertificateErrorText(error)
      if (certificate === undefined) throw error
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      const method = (init?.method ?? 'GET').toUpperCase()
      const op = method.slice(0, 1) + method.slice(1).toLowerCase()
      const failure = new Error(`${op} ${JSON.stringify(url)}: ${certificate}`, { cause: error })
      failure.name = 'AbortError'
      throw failure
    }
  }
}
