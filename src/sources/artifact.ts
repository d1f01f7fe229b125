/**
 * `artifact:<name>[@<run-id>]` event sources (STUB: the real one is being written): downloads the
 * named artifact of this run (or of another run of this repository) through GitHub's REST API
 * with `github-token`, and parses every event file inside it.
 */
import type { ParsedEvents } from '../events/parse.js'

export interface ArtifactContext {
  /** the `github-token` input */
  token: string
  /** GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_API_URL are read from here */
  env: NodeJS.ProcessEnv
}

export async function readArtifactEvents(
  name: string,
  runId: string | undefined,
  context: ArtifactContext,
): Promise<ParsedEvents> {
  void runId
  void context
  return {
    events: [],
    problems: [{ severity: 'error', message: `artifact:${name}: not implemented yet` }],
    ignored: { nonFlux: 0, trace: 0 },
  }
}
