/**
 * What scripts/bundle.mjs and the lazy imports keep off the start-up path (design.md §5: start-up
 * under 2× `node -e ''`): the modules `node dist/index.js` loads before it runs (its static
 * imports, followed through the chunks) must not hold undici, `@actions/http-client`,
 * `@actions/exec`, zod's full build, yaml's CommonJS build, the RE2 engine or the glob packages;
 * they are merged into one chunk; a run of the examples with no events loads neither RE2 nor
 * globbing; and `@actions/core`'s stand-ins behave as the real package does.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import * as core from '@actions/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')

interface Metafile {
  outputs: Record<
    string,
    {
      inputs: Record<string, unknown>
      imports: { path: string; kind: string; external?: boolean }[]
    }
  >
}

interface BundleScript {
  bundleOptions: Record<string, unknown>
  mergeStartupChunks(metafile: Metafile, entry: string, root: string): Promise<void>
}

async function bundleScript(): Promise<BundleScript> {
  return (await import(pathToFileURL(path.join(ROOT, 'scripts/bundle.mjs')).href)) as BundleScript
}

let dir: string
let metafile: Metafile

async function buildWith(
  entry: { entryPoints: Record<string, string> } | { stdin: { contents: string; loader: 'ts' } },
  outdir: string,
): Promise<Metafile> {
  const { build } = (await import('esbuild')) as typeof import('esbuild')
  const script = await bundleScript()
  const result = await build({
    ...script.bundleOptions,
    ...('stdin' in entry
      ? { entryPoints: [], stdin: { ...entry.stdin, resolveDir: ROOT, sourcefile: 'probe.ts' } }
      : entry),
    outdir,
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'silent',
  })
  return result.metafile as Metafile
}

/** Output files reachable from `entry` through static imports only. */
function staticClosure(meta: Metafile, entry: string): string[] {
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    for (const imported of meta.outputs[file]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path)
    }
  }
  visit(entry)
  return [...seen]
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flux-notify-bundle-'))
  metafile = await buildWith({ entryPoints: { index: 'src/index.ts' } }, path.relative(ROOT, dir))
  // the rest of what `npm run bundle` does
  const script = await bundleScript()
  const entry = Object.keys(metafile.outputs).find((file) => file.endsWith('/index.js'))!
  // the metafile's paths are relative to the checkout
  await script.mergeStartupChunks(metafile, entry, ROOT)
}, 120_000)

/** The relative paths `file` imports statically (`import … from "./x.js"`, `import "./x.js"`). */
async function staticImportsOf(file: string): Promise<string[]> {
  const source = await readFile(file, 'utf8')
  return [
    ...source.matchAll(/\b(?:import|export)\s*(?:\{[^}]*\}\s*from\s*)?"(\.\.?\/[^"]+)"/g),
  ].map((m) => m[1]!)
}

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('the start-up path of dist/index.js', () => {
  it('loads none of the packages only a few runs need', () => {
    const entry = Object.keys(metafile.outputs).find((file) => file.endsWith('/index.js'))
    expect(entry).toBeDefined()
    const inputs = staticClosure(metafile, entry!).flatMap((file) =>
      Object.keys(metafile.outputs[file]!.inputs),
    )
    expect(inputs.some((input) => input.includes('node_modules/@actions/core/'))).toBe(true)
    expect(inputs.some((input) => input.includes('node_modules/yaml/browser/dist/'))).toBe(true)
    for (const unwanted of [
      'node_modules/undici/',
      'node_modules/@actions/http-client/',
      'node_modules/@actions/exec/',
      'node_modules/@actions/core/lib/oidc-utils.js',
      'node_modules/zod/v4/classic/',
      'node_modules/yaml/dist/',
      'node_modules/re2js/',
      'node_modules/tinyglobby/',
      'node_modules/fdir/',
      'node_modules/picomatch/',
    ]) {
      expect(inputs.filter((input) => input.startsWith(unwanted))).toEqual([])
    }
  })

  it('still bundles the OIDC client and platform details, for a dynamic import', () => {
    const all = Object.values(metafile.outputs).flatMap((output) => Object.keys(output.inputs))
    expect(all).toContain('node_modules/@actions/core/lib/oidc-utils.js')
    expect(all).toContain('node_modules/@actions/core/lib/platform.js')
  })

  it('still bundles RE2 and tinyglobby, for runs that need them', () => {
    const all = Object.values(metafile.outputs).flatMap((output) => Object.keys(output.inputs))
    expect(all.some((input) => input.startsWith('node_modules/re2js/'))).toBe(true)
    expect(all.some((input) => input.startsWith('node_modules/tinyglobby/'))).toBe(true)
  })

  it('is one chunk: dist/index.js imports one file, which imports no other', async () => {
    const imports = [...new Set(await staticImportsOf(path.join(dir, 'index.js')))]
    expect(imports).toHaveLength(1)
    expect(imports[0]).toMatch(/^\.\/chunks\/start-[0-9A-F]{8}\.js$/)
    expect(await staticImportsOf(path.join(dir, imports[0]!))).toEqual([])
  })

  it('points every chunk that used a merged chunk at the start chunk', async () => {
    const chunks = Object.keys(metafile.outputs)
      .filter((file) => file.endsWith('.js'))
      .map((file) => path.join(ROOT, file))
    const present = new Set((await readdir(path.join(dir, 'chunks'))).map((f) => `./${f}`))
    for (const file of chunks) {
      const source = await readFile(file, 'utf8').catch(() => undefined)
      if (source === undefined) continue // a merged chunk, removed
      for (const imported of await staticImportsOf(file)) {
        const resolved = path.relative(
          path.join(dir, 'chunks'),
          path.resolve(path.dirname(file), imported),
        )
        expect(present, `${file} imports ${imported}`).toContain(`./${resolved}`)
      }
    }
  })

  it('loads neither RE2 nor the glob packages for the examples with no events', async () => {
    // The examples' Alerts have no inclusion or exclusion list and `manifests` is a directory.
    const loadedFile = path.join(dir, 'loaded.txt')
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      INPUT_MANIFESTS: 'manifests',
      GITHUB_OUTPUT: path.join(dir, 'output'),
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
      BENCH_LOADED_FILE: loadedFile,
    }
    for (const name of ['GITHUB_EVENT_NAME', 'GITHUB_EVENT_PATH', 'INPUT_EVENTS']) delete env[name]
    // @actions/core appends to these files and wants them to exist, as the runner makes them
    await writeFile(env.GITHUB_OUTPUT!, '')
    await writeFile(env.GITHUB_STEP_SUMMARY!, '')
    await promisify(execFile)(
      process.execPath,
      ['--import', path.join(ROOT, 'bench/load-recorder.mjs'), path.join(dir, 'index.js')],
      { cwd: path.join(ROOT, 'examples'), env },
    )
    const loaded = new Set(
      (await readFile(loadedFile, 'utf8'))
        .split('\n')
        .filter((url) => url !== '')
        .map((url) => fileURLToPath(url)),
    )
    // the start chunk stands for the chunks merged into it
    const entry = Object.keys(metafile.outputs).find((file) => file.endsWith('/index.js'))!
    const merged = staticClosure(metafile, entry).filter((file) => file !== entry)
    const startLoaded = [...loaded].some((file) =>
      /[\\/]chunks[\\/]start-[0-9A-F]{8}\.js$/.test(file),
    )
    const loadedInputs = Object.entries(metafile.outputs)
      .filter(
        ([output]) =>
          loaded.has(path.resolve(ROOT, output)) || (startLoaded && merged.includes(output)),
      )
      .flatMap(([, output]) => Object.keys(output.inputs))
    // the run did load the bundle (and through it, the manifest loader)
    expect(loadedInputs).toContain('src/manifests/load.ts')
    for (const unwanted of [
      'node_modules/re2js/',
      'node_modules/tinyglobby/',
      'node_modules/fdir/',
      'node_modules/picomatch/',
    ]) {
      expect(loadedInputs.filter((input) => input.startsWith(unwanted))).toEqual([])
    }
  }, 60_000)
})

describe("@actions/core's stand-ins", () => {
  it('give the platform constants and the getIDToken error of the real package', async () => {
    const contents = [
      `import * as core from '@actions/core'`,
      `const { platform, arch, isWindows, isMacOS, isLinux } = core.platform`,
      `let idTokenError = ''`,
      `try { await core.getIDToken() } catch (error) { idTokenError = (error as Error).message }`,
      `console.log(JSON.stringify({ platform, arch, isWindows, isMacOS, isLinux, idTokenError }))`,
    ].join('\n')
    await buildWith(
      { stdin: { contents, loader: 'ts' } },
      path.relative(ROOT, path.join(dir, 'probe')),
    )
    const env = { ...process.env }
    delete env.ACTIONS_ID_TOKEN_REQUEST_URL
    delete env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(dir, 'probe', 'stdin.js')],
      { env },
    )
    let expectedError = ''
    const saved = {
      url: process.env.ACTIONS_ID_TOKEN_REQUEST_URL,
      token: process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
    }
    delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL
    delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
    try {
      await core.getIDToken()
    } catch (error) {
      expectedError = (error as Error).message
    } finally {
      if (saved.url !== undefined) process.env.ACTIONS_ID_TOKEN_REQUEST_URL = saved.url
      if (saved.token !== undefined) process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = saved.token
    }
    expect(expectedError).not.toBe('')
    const { platform, arch, isWindows, isMacOS, isLinux } = core.platform
    expect(JSON.parse(stdout)).toEqual({
      platform,
      arch,
      isWindows,
      isMacOS,
      isLinux,
      idTokenError: expectedError,
    })
  }, 120_000)
})
