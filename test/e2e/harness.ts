/**
 * Runs the bundle the way GitHub's runner does: `node dist/index.js` with `INPUT_*` variables,
 * `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files, and a clean environment (no inherited tokens,
 * no proxies). The CLI is run the same way, as `node dist/cli.js`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect } from 'vitest'

export const ROOT = resolve(import.meta.dirname, '../..')

export interface ProcessResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface ActionResult extends ProcessResult {
  outputs: Record<string, string>
  summary: string
  /** `::error file=…,line=…::message` and `::warning …` commands printed by the run */
  annotations: string[]
}

function baseEnv(): Record<string, string> {
  // Only what Node needs: nothing from the developer's or CI's environment leaks in.
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NO_COLOR: '1',
  }
}

/** Starts `node <script>` and collects its output; `exited` settles when it has exited. */
function spawnNode(
  script: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  stdin?: string,
): { child: ChildProcess; exited: Promise<ProcessResult> } {
  const child = spawn(process.execPath, [join(ROOT, script), ...args], { cwd, env, stdio: 'pipe' })
  const exited = new Promise<ProcessResult>((resolvePromise, reject) => {
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
    child.stdin.end(stdin ?? '')
  })
  return { child, exited }
}

function runNode(
  script: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  stdin?: string,
): Promise<ProcessResult> {
  return spawnNode(script, args, env, cwd, stdin).exited
}

/** Parses the `name<<delimiter\nvalue\ndelimiter` entries @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]!)
    if (!match) continue
    const [, name, delimiter] = match
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!)
    outputs[name!] = value.join('\n')
  }
  return outputs
}

export interface ActionRun {
  inputs: Record<string, string>
  env?: Record<string, string>
  cwd?: string
}

export function runAction(run: ActionRun): Promise<ActionResult> {
  return startAction(run).result
}

export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {},
): Promise<ProcessResult> {
  return runNode(
    'dist/cli.js',
    args,
    { ...baseEnv(), ...options.env },
    options.cwd ?? ROOT,
    options.stdin,
  )
}

/**
 * The one secret-hygiene assertion every end-to-end test uses: none of the secret values (nor
 * the token minus its last character, which the controller's masking also hides) appears in
 * anything the run printed or wrote.
 */
export function expectNoSecrets(
  result: ProcessResult & Partial<ActionResult>,
  secrets: string[],
): void {
  const places: Record<string, string> = {
    stdout: withoutMaskCommands(result.stdout),
    stderr: result.stderr,
    outputs: JSON.stringify(result.outputs ?? {}),
    summary: result.summary ?? '',
  }
  for (const secret of secrets) {
    for (const [place, text] of Object.entries(places)) {
      expect(text.includes(secret), `secret found in ${place}`).toBe(false)
    }
  }
}

/** `::add-mask::<value>` lines are how a secret is registered; they are the one allowed mention. */
function withoutMaskCommands(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
}

/** The values registered with `core.setSecret`. */
export function maskedValues(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('::add-mask::'))
    .map((line) => line.slice('::add-mask::'.length))
}

export interface StartedAction {
  /** the running `node dist/index.js`, for a test that must signal it (a SIGKILL mid-run) */
  child: ChildProcess
  /** settles once the process has exited, however it ended (`code` is null after a signal) */
  result: Promise<ActionResult>
}

/**
 * `runAction` without waiting: starts `node dist/index.js` with the same environment and returns
 * the process at once, so a test can kill it at a point of its choosing.
 */
export function startAction({ inputs, env = {}, cwd = ROOT }: ActionRun): StartedAction {
  const dir = mkdtempSync(join(tmpdir(), 'flux-notify-e2e-'))
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const fullEnv: Record<string, string> = {
    ...baseEnv(),
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: cwd,
    RUNNER_TEMP: dir,
    GITHUB_REPOSITORY: 'stefanprodan/podinfo',
    ...env,
  }
  for (const [name, value] of Object.entries(inputs)) {
    fullEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  const { child, exited } = spawnNode('dist/index.js', [], fullEnv, cwd)
  const result = (async (): Promise<ActionResult> => {
    try {
      const ended = await exited
      return {
        ...ended,
        outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
        summary: await readFile(summaryFile, 'utf8'),
        annotations: ended.stdout.split('\n').filter((l) => /^::(error|warning|notice)/.test(l)),
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })()
  return { child, result }
}
