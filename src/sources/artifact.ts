/**
 * `artifact:<name>[@<run-id>]` event sources: the named artifact of this run (or of another run of
 * this repository) is downloaded through GitHub's REST API with `github-token`, unzipped in memory,
 * and every file inside it is parsed as an event source of its own.
 *
 * The REST API rather than the Actions artifact service: it reads this run's artifacts (v4, once
 * uploaded) and any other run's alike, with the one token the action already has, and works on
 * GitHub Enterprise Server through GITHUB_API_URL.
 *
 * The listing goes through our Octokit factory (retries on server errors, rate-limit handling,
 * pagination). The download is two steps, as GitHub designed it: the API answers 302 with a signed,
 * short-lived storage URL, which we fetch ourselves with no Authorization header. Letting fetch
 * follow the redirect would depend on it dropping the token for another origin; doing it by hand
 * makes sure the GitHub token never reaches the storage host.
 *
 * Every failure is one error Problem naming the entry; the run goes on with the other sources.
 */
import { STATUS_CODES } from 'node:http'
import { unzipSync, type UnzipFileInfo } from 'fflate'
import { parseEvents, type ParsedEvents } from '../events/parse.js'
import { redactUrlCredentials } from '../delivery/mask.js'
import {
  dispatcherFor,
  fetchVia,
  goCertificateErrorText,
  innermostError,
} from '../delivery/transport.js'
import { createOctokit, requestSignal, type Octokit } from '../providers/git/octokit.js'
import { decodeEventBytes, MAX_INFLATED_BYTES } from './decode.js'

export interface ArtifactContext {
  /** the `github-token` input */
  token: string
  /** GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_API_URL (and the proxy settings) are read from here */
  env: NodeJS.ProcessEnv
  /** bounds the whole read, listing and download; default ARTIFACT_TIMEOUT_MS */
  timeoutMs?: number
}

/** How long finding and downloading one artifact may take: large zips take a while. */
export const ARTIFACT_TIMEOUT_MS = 5 * 60_000

const MAX_SIZE_TEXT = `${MAX_INFLATED_BYTES / 1024 / 1024} MiB`

/** One artifact as GitHub's REST API lists it (the fields we read). */
export interface ArtifactListing {
  id: number
  name: string
  size_in_bytes: number
  expired: boolean
  created_at: string | null
  expires_at: string | null
}

/** A failure whose message is already the user-facing text (without the entry). */
class ArtifactError extends Error {
  override name = 'ArtifactError'
}

/**
 * Downloads the artifact `name` of run `runId` (this run, GITHUB_RUN_ID, when undefined) and
 * parses every file in it, each named `artifact:<name>[@<run-id>]/<path in the zip>`.
 */
export async function readArtifactEvents(
  name: string,
  runId: string | undefined,
  context: ArtifactContext,
): Promise<ParsedEvents> {
  const entry = runId === undefined ? `artifact:${name}` : `artifact:${name}@${runId}`
  const token = context.token
  const fail = (why: string): ParsedEvents => ({
    events: [],
    problems: [{ severity: 'error', message: hideToken(`${entry}: ${why}`, token) }],
    ignored: { nonFlux: 0, trace: 0 },
  })

  const where = runLocation(context.env, runId)
  if (typeof where === 'string') return fail(where)
  if (token === '') {
    return fail('no github-token to read artifacts with (it needs the permission actions: read)')
  }

  const timeoutMs = context.timeoutMs ?? ARTIFACT_TIMEOUT_MS
  const signal = AbortSignal.timeout(timeoutMs)
  let zip: Uint8Array
  try {
    const octokit = await createOctokit(token, where.apiUrl)
    const listed = await listArtifacts(octokit, where, name, signal)
    const artifact = pickArtifact(listed, name, Date.now())
    if (artifact === 'none') {
      return fail(`no artifact named ${JSON.stringify(name)} in ${describeRun(where)}`)
    }
    if ('expiredOn' in artifact) {
      const on = artifact.expiredOn ? ` on ${artifact.expiredOn}` : ''
      return fail(`the artifact ${JSON.stringify(name)} of ${describeRun(where)} expired${on}`)
    }
    if (artifact.size_in_bytes > MAX_INFLATED_BYTES) {
      return fail(
        `the artifact is larger than ${MAX_SIZE_TEXT} (${artifact.size_in_bytes} bytes); refusing to download it`,
      )
    }
    zip = await downloadArtifact(octokit, where, artifact, context.env, signal)
  } catch (error) {
    if (signal.aborted) return fail(`no complete answer within ${timeoutMs / 1000}s`)
    if (error instanceof ArtifactError) return fail(error.message)
    return fail(`cannot read the artifact: ${oneLine(error)}`)
  }
  const parsed = readEventZip(zip, entry)
  for (const problem of parsed.problems) problem.message = hideToken(problem.message, token)
  return parsed
}

/** Where the artifact lives: repository, run, API base; or why we cannot tell. */
interface RunLocation {
  owner: string
  repo: string
  runId: string
  apiUrl: string
  /** whether the run is the one we are part of */
  thisRun: boolean
}

function runLocation(env: NodeJS.ProcessEnv, runId: string | undefined): RunLocation | string {
  const repository = env.GITHUB_REPOSITORY ?? ''
  if (repository === '') {
    return 'GITHUB_REPOSITORY is not set: artifacts can only be read inside GitHub Actions'
  }
  const [owner, repo, ...rest] = repository.split('/')
  if (!owner || !repo || rest.length > 0) {
    return `GITHUB_REPOSITORY ${JSON.stringify(repository)} is not <owner>/<repository>`
  }
  const ownRun = env.GITHUB_RUN_ID ?? ''
  if (runId === undefined && ownRun === '') {
    return 'GITHUB_RUN_ID is not set: artifacts of this run can only be read inside GitHub Actions'
  }
  const apiUrl = (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/u, '')
  return { owner, repo, runId: runId ?? ownRun, apiUrl, thisRun: runId === undefined }
}

function describeRun(where: RunLocation): string {
  return `${where.thisRun ? 'this run' : 'run'} (${where.runId}) of ${where.owner}/${where.repo}`
}

/** Every artifact of the run named `name` (the API filters by name; paginated). */
async function listArtifacts(
  octokit: Octokit,
  where: RunLocation,
  name: string,
  signal: AbortSignal,
): Promise<ArtifactListing[]> {
  try {
    return await octokit.paginate(octokit.rest.actions.listWorkflowRunArtifacts, {
      owner: where.owner,
      repo: where.repo,
      run_id: Number(where.runId),
      name,
      per_page: 100,
      request: { signal: requestSignal(signal) },
    })
  } catch (error) {
    const status = httpStatusOf(error)
    const hint =
      status === 403 || status === 404
        ? ' (does the run exist, and does the token have the permission actions: read?)'
        : ''
    throw new ArtifactError(
      `cannot list the artifacts of ${describeRun(where)}: ${apiErrorText(error, where.apiUrl)}${hint}`,
    )
  }
}

/**
 * The artifact to read among those listed: the newest (by creation time, then id) with exactly
 * this name that has not expired; `'none'` when no artifact has the name; the date the newest one
 * expired when they all have.
 */
export function pickArtifact(
  listed: readonly ArtifactListing[],
  name: string,
  nowMs: number,
): ArtifactListing | 'none' | { expiredOn: string | null } {
  const named = listed.filter((a) => a.name === name)
  if (named.length === 0) return 'none'
  const time = (a: ArtifactListing) => (a.created_at ? Date.parse(a.created_at) || 0 : 0)
  const newestFirst = [...named].sort((a, b) => time(b) - time(a) || b.id - a.id)
  // GitHub sets `expired` some time after `expires_at`: either says the content is gone
  const isExpired = (a: ArtifactListing) =>
    a.expired || (a.expires_at !== null && Date.parse(a.expires_at) <= nowMs)
  const live = newestFirst.find((a) => !isExpired(a))
  if (live) return live
  return { expiredOn: newestFirst[0]?.expires_at ?? null }
}

/** The zip of `artifact`: the API's 302, then the storage URL fetched without our token. */
async function downloadArtifact(
  octokit: Octokit,
  where: RunLocation,
  artifact: ArtifactListing,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const what = `the artifact ${JSON.stringify(artifact.name)} (id ${artifact.id}) of ${describeRun(where)}`
  let location: string | undefined
  try {
    const response = await octokit.rest.actions.downloadArtifact({
      owner: where.owner,
      repo: where.repo,
      artifact_id: artifact.id,
      archive_format: 'zip',
      request: {
        redirect: 'manual',
        parseSuccessResponseBody: false,
        signal: requestSignal(signal),
      },
    })
    const body = response.data as unknown
    if (body instanceof ReadableStream) await body.cancel().catch(() => {})
    location = (response.headers as Record<string, string | undefined>).location
    if ((response.status as number) !== 302 || !location) {
      throw new ArtifactError(
        `cannot download ${what}: expected a redirect to the storage, got HTTP ${response.status}`,
      )
    }
  } catch (error) {
    if (error instanceof ArtifactError) throw error
    if (httpStatusOf(error) === 410) throw new ArtifactError(`${what} has expired`)
    throw new ArtifactError(`cannot download ${what}: ${apiErrorText(error, where.apiUrl)}`)
  }

  let target: URL
  try {
    target = new URL(location, where.apiUrl)
  } catch {
    throw new ArtifactError(`cannot download ${what}: the API redirected to an invalid URL`)
  }
  // The signed URL is a credential of its own: messages show its host only.
  const host = target.host
  try {
    const fetch = await fetchVia(await dispatcherFor({ proxy: '' }, target.href, env))
    const response = await fetch(target, {
      headers: { 'user-agent': 'flux-notify' },
      redirect: 'follow',
      signal,
    })
    if (response.status < 200 || response.status >= 300) {
      await response.body?.cancel().catch(() => {})
      const reason = response.statusText || STATUS_CODES[response.status] || ''
      throw new ArtifactError(
        `cannot download ${what} from ${host}: HTTP ${`${response.status} ${reason}`.trim()}`,
      )
    }
    return await readBodyLimited(response, what)
  } catch (error) {
    if (error instanceof ArtifactError || signal.aborted) throw error
    throw new ArtifactError(`cannot download ${what} from ${host}: ${networkErrorText(error)}`)
  }
}

/** The body's bytes, refusing more than MAX_INFLATED_BYTES (a zip that size holds more anyway). */
async function readBodyLimited(response: Response, what: string): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.byteLength
    if (bytes > MAX_INFLATED_BYTES) {
      await reader.cancel().catch(() => {})
      throw new ArtifactError(`${what} is larger than ${MAX_SIZE_TEXT}; refusing to download it`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

/**
 * Parses every file of a zip archive as an event source named `<label>/<path in the zip>`, in path
 * order; directories are skipped. Sizes are checked before anything is inflated: an entry, or all
 * of them together, declaring more than MAX_INFLATED_BYTES is refused, and an entry is inflated
 * into a buffer of its declared size, so one that lies about it cannot grow past it either. Gzip
 * files inside count with their inflated size.
 */
export function readEventZip(zip: Uint8Array, label: string): ParsedEvents {
  const result: ParsedEvents = { events: [], problems: [], ignored: { nonFlux: 0, trace: 0 } }
  const fail = (why: string): ParsedEvents => {
    result.problems.push({ severity: 'error', message: `${label}: ${why}` })
    return result
  }

  let listed: UnzipFileInfo[]
  try {
    listed = listZip(zip)
  } catch (error) {
    return fail(`not a valid zip archive (${oneLine(error)})`)
  }
  const files = listed.filter((f) => !f.name.endsWith('/'))
  if (files.length === 0) return fail('the artifact holds no files')

  let declared = 0
  for (const file of files) {
    if (file.compression !== 0 && file.compression !== 8) {
      return fail(`${file.name}: compression method ${file.compression} is not supported`)
    }
    if (file.originalSize > MAX_INFLATED_BYTES) {
      return fail(
        `${file.name}: inflates to ${file.originalSize} bytes, more than ${MAX_SIZE_TEXT}; refusing to unzip it`,
      )
    }
    declared += file.originalSize
  }
  if (declared > MAX_INFLATED_BYTES) {
    return fail(
      `its files inflate to ${declared} bytes, more than ${MAX_SIZE_TEXT} in total; refusing to unzip it`,
    )
  }

  let contents: Record<string, Uint8Array>
  try {
    contents = unzipSync(zip, { filter: (f) => !f.name.endsWith('/') })
  } catch (error) {
    return fail(`not a valid zip archive (${oneLine(error)})`)
  }

  let decodedTotal = 0
  // code-unit order, like a sorted `ls`: the same archive always reads the same way
  const paths = Object.keys(contents).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  for (const path of paths) {
    const source = `${label}/${path}`
    const bytes = contents[path]!
    // let each file's bytes go as soon as it is parsed
    delete contents[path]
    const text = decodeEventBytes(bytes, source)
    if (typeof text !== 'string') {
      result.problems.push(text)
      continue
    }
    decodedTotal += text.length
    if (decodedTotal > MAX_INFLATED_BYTES) {
      return fail(
        `${path}: the files read so far inflate to more than ${MAX_SIZE_TEXT} in total; not reading the rest`,
      )
    }
    merge(result, parseEvents(text, source))
  }
  return result
}

/** The zip's entries as its central directory declares them, inflating nothing. */
function listZip(zip: Uint8Array): UnzipFileInfo[] {
  const entries: UnzipFileInfo[] = []
  unzipSync(zip, {
    filter: (file) => {
      entries.push(file)
      return false
    },
  })
  return entries
}

function merge(into: ParsedEvents, from: ParsedEvents): void {
  for (const event of from.events) into.events.push(event)
  for (const problem of from.problems) into.problems.push(problem)
  into.ignored.nonFlux += from.ignored.nonFlux
  into.ignored.trace += from.ignored.trace
}

function httpStatusOf(error: unknown): number | undefined {
  const response = (error as { response?: { status?: unknown } } | undefined)?.response
  return typeof response?.status === 'number' ? response.status : undefined
}

/** `HTTP 403 Resource not accessible by integration`, or the network failure reaching the API. */
function apiErrorText(error: unknown, apiUrl: string): string {
  const response = (error as { response?: { status: number; data?: unknown } } | undefined)
    ?.response
  if (response) {
    const data = response.data as { message?: unknown } | undefined
    const message =
      typeof data?.message === 'string' && data.message !== ''
        ? data.message
        : (STATUS_CODES[response.status] ?? '')
    return `HTTP ${`${response.status} ${firstLine(message)}`.trim()}`
  }
  return `cannot reach ${redactUrlCredentials(apiUrl)}: ${networkErrorText(error)}`
}

/** The innermost cause of a network failure, on one line. */
function networkErrorText(error: unknown): string {
  const inner = innermostError(error)
  const text =
    goCertificateErrorText(error) ?? (inner instanceof Error ? inner.message : String(inner))
  return redactUrlCredentials(firstLine(text))
}

function oneLine(error: unknown): string {
  return firstLine(error instanceof Error ? error.message : String(error))
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? ''
}

/** A last guard: whatever an error said, the token is not shown. */
function hideToken(text: string, token: string): string {
  return token === '' ? text : text.split(token).join('***')
}
