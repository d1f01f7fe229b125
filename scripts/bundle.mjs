// Builds dist/: the Action entry (dist/index.js) and the CLI (dist/cli.js) as ESM for Node 20+,
// with shared code split into chunks so that provider modules load only when a run uses them;
// then the chunks dist/index.js loads before it runs merged into one (`mergeStartupChunks`).
//
// `node scripts/bundle.mjs --metafile` also writes dist/meta.json (esbuild's metafile, before the
// merge) to see which inputs end up in which chunk.
import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join, posix, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * Start-up cost (design.md §5: under 2× `node -e ''`) is mostly the JavaScript a run loads before
 * it does anything. These plugins keep code we never run out of that path; each swaps one import
 * for a stand-in with the same exports, so the packages behave as documented if ever used.
 */

/**
 * `@actions/core` statically imports its OIDC client (and through it `@actions/http-client` and
 * undici, ~430 KB: about a third of the start-up time) and `platform.js` (and through it
 * `@actions/exec` and `@actions/io`), although only `getIDToken` and `platform.getDetails` use
 * them, and we call neither. core.js gets stand-ins that import the real module on first call, so
 * esbuild puts each in a chunk that an ordinary run never loads.
 */
const deferActionsCoreExtras = {
  name: 'defer-actions-core-extras',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\/(oidc-utils|platform)\.js$/ }, (args) => {
      if (!/[\\/]@actions[\\/]core[\\/]lib[\\/]core\.js$/.test(args.importer)) return undefined
      // The path names the stand-in without the checkout's location: esbuild hashes the paths of
      // plugin namespaces as they are, and dist/ must come out the same in any directory.
      return {
        path: `@actions/core/lib/${args.path.slice(2)}`,
        namespace: 'actions-core-deferred',
        pluginData: { resolveDir: dirname(args.importer) },
      }
    })
    pluginBuild.onLoad({ filter: /.*/, namespace: 'actions-core-deferred' }, (args) => {
      // resolved from the real module's directory, outside this namespace: the package's file
      const real = JSON.stringify(`./${args.path.split('/').pop()}`)
      const contents = args.path.endsWith('oidc-utils.js')
        ? [
            `export class OidcClient {`,
            `  static async getIDToken(audience) {`,
            `    const { OidcClient: RealOidcClient } = await import(${real})`,
            `    return RealOidcClient.getIDToken(audience)`,
            `  }`,
            `}`,
          ]
        : [
            // The constants as platform.js computes them (they only need `os`).
            `import os from 'os'`,
            `export const platform = os.platform()`,
            `export const arch = os.arch()`,
            `export const isWindows = platform === 'win32'`,
            `export const isMacOS = platform === 'darwin'`,
            `export const isLinux = platform === 'linux'`,
            `export async function getDetails() {`,
            `  const real = await import(${real})`,
            `  return real.getDetails()`,
            `}`,
          ]
      return { contents: contents.join('\n'), resolveDir: args.pluginData.resolveDir, loader: 'js' }
    })
  },
}

/**
 * fdir (tinyglobby's directory walker) tries `require('picomatch')` when it loads, for its own
 * `.glob()`, which tinyglobby never calls (it passes its own matchers). From dist/ that require
 * either fails or, in a checkout with node_modules, loads an unbundled second copy of picomatch
 * on every run. Dropping the attempt leaves fdir's documented "specify a glob function" error for
 * `.glob()` without one.
 */
const FDIR_OPTIONAL_PICOMATCH =
  /try\s*\{\s*__require\.resolve\("picomatch"\);\s*pm = __require\("picomatch"\);\s*\}\s*catch\s*\{\s*\}/
const fdirWithoutOptionalPicomatch = {
  name: 'fdir-without-optional-picomatch',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]fdir[\\/]dist[\\/]index\.mjs$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      if (!FDIR_OPTIONAL_PICOMATCH.test(source)) {
        return {
          contents: source,
          loader: 'js',
          warnings: [{ text: "fdir's optional picomatch require() not found; left as it is" }],
        }
      }
      return { contents: source.replace(FDIR_OPTIONAL_PICOMATCH, ''), loader: 'js' }
    })
  },
}

/**
 * `yaml` gives Node its CommonJS build, which esbuild must wrap whole (no tree-shaking) and which
 * `require()`s `process` from several modules; its ES module build (published for browsers, the
 * same code) loads about 6 ms faster. The only difference that can show: a YAML warning goes to
 * stderr through `console.warn` instead of `process.emitWarning`.
 */
const yamlAsEsModule = {
  name: 'yaml-as-es-module',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^yaml$/ }, async (args) => {
      if (args.pluginData?.yamlAsEsModule) return undefined
      const resolved = await pluginBuild.resolve('yaml/package.json', {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: { yamlAsEsModule: true },
      })
      if (resolved.errors.length > 0) return { errors: resolved.errors }
      return { path: join(dirname(resolved.path), 'browser', 'index.js') }
    })
  },
}

/** esbuild options for dist/ (exported so that a benchmark can build the same way elsewhere). */
export const bundleOptions = {
  entryPoints: { index: 'src/index.ts', cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  // Some toolkit dependencies are CommonJS that require() Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  plugins: [deferActionsCoreExtras, fdirWithoutOptionalPicomatch, yamlAsEsModule],
  logLevel: 'warning',
}

/**
 * Code splitting puts every module in a chunk named after the set of entry points (the two entries
 * and each `import()` target) that reach it, so the start-up path of dist/index.js comes out as
 * some twenty chunks: shared with the CLI, with a provider, with a reader… Node resolves, reads,
 * compiles and links each ES module on its own, at a cost of its own (about 7 ms for these twenty
 * on a run that has nothing to do). This step bundles the chunks `entry` imports statically into
 * one chunk, `chunks/start-<hash>.js`, exporting every export of each under a new name, and points
 * every import of them (entries and other chunks alike) at it. Each module still exists once, so
 * module state stays shared; dynamic imports stay as they are.
 */
export async function mergeStartupChunks(metafile, entry, root = process.cwd()) {
  const outputs = metafile.outputs
  const merged = staticChunks(outputs, entry)
  if (merged.length < 2) return
  const dir = dirname(merged[0])
  if (merged.some((file) => dirname(file) !== dir)) {
    throw new Error(`mergeStartupChunks: the chunks of ${entry} are not all in ${dir}`)
  }
  const mergedSet = new Set(merged)
  for (const [file, output] of Object.entries(outputs)) {
    for (const imported of output.imports) {
      if (imported.kind === 'dynamic-import' && mergedSet.has(imported.path)) {
        throw new Error(`mergeStartupChunks: ${file} imports ${imported.path} dynamically`)
      }
    }
  }

  // Each chunk's exports renamed `<index>_<name>`: two chunks may export the same short name.
  const exportName = new Map(merged.map((file, i) => [file, (name) => `c${i}_${name}`]))
  const facade = merged
    .map((file, i) => {
      const names = outputs[file].exports
      const from = JSON.stringify(`./${basename(file)}`)
      if (names.length === 0) return `import ${from}`
      return `export { ${names.map((name) => `${name} as c${i}_${name}`).join(', ')} } from ${from}`
    })
    .join('\n')
  const result = await build({
    stdin: {
      contents: facade,
      resolveDir: resolve(root, dir),
      sourcefile: 'startup-facade.js',
      loader: 'js',
    },
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: bundleOptions.target,
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
    plugins: [
      {
        // the dynamic imports of the merged chunks keep pointing at their chunks (same folder)
        name: 'keep-dynamic-imports',
        setup(pluginBuild) {
          pluginBuild.onResolve({ filter: /.*/ }, (args) =>
            args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
          )
        },
      },
    ],
  })
  const code = result.outputFiles[0].text
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 8).toUpperCase()
  const startFile = posix.join(dir, `start-${hash}.js`)
  await writeFile(resolve(root, startFile), code)

  // Every other output: imports of a merged chunk now name the start chunk and the new exports.
  for (const [file, output] of Object.entries(outputs)) {
    if (!file.endsWith('.js') || mergedSet.has(file)) continue
    if (!output.imports.some((imported) => mergedSet.has(imported.path))) continue
    const source = await readFile(resolve(root, file), 'utf8')
    const rewritten = rewriteImports(source, file, (target) => {
      if (!mergedSet.has(target)) return undefined
      return { path: startFile, rename: exportName.get(target) }
    })
    // an import form the rewrite does not know would be left pointing at a removed chunk
    for (const chunk of merged) {
      if (rewritten.includes(`/${basename(chunk)}"`)) {
        throw new Error(`mergeStartupChunks: ${file} still imports ${chunk}`)
      }
    }
    await writeFile(resolve(root, file), rewritten)
  }
  await Promise.all(merged.map((file) => rm(resolve(root, file))))
}

/** Output chunks reachable from `entry` through static imports (not `entry` itself). */
function staticChunks(outputs, entry) {
  const seen = new Set()
  const visit = (file) => {
    for (const imported of outputs[file]?.imports ?? []) {
      if (imported.kind !== 'import-statement' || imported.external || seen.has(imported.path)) {
        continue
      }
      seen.add(imported.path)
      visit(imported.path)
    }
  }
  visit(entry)
  return [...seen]
}

/**
 * Rewrites the static import and re-export statements of esbuild's minified output
 * (`import{a as b,c}from"./x.js"`, `import"./x.js"`, `export{a as b}from"./x.js"`) whose target
 * `redirect` maps to another file, renaming the imported names. A form it cannot rewrite
 * (a namespace import) fails the build rather than leave a broken import.
 */
function rewriteImports(source, file, redirect) {
  const statement =
    /\b(import|export)(\s*\{([^}]*)\}\s*from\s*|\s*\*\s*as\s+[\w$]+\s*from\s*|\s*)"(\.\.?\/[^"]+)";?/g
  const imported = new Set()
  return source.replace(statement, (whole, keyword, clause, names, specifier) => {
    const target = posix.join(dirname(file), specifier)
    const to = redirect(target)
    if (!to) return whole
    let path = relative(dirname(file), to.path).split('\\').join('/')
    if (!path.startsWith('.')) path = `./${path}`
    const end = whole.endsWith(';') ? ';' : ''
    if (names === undefined) {
      if (clause.trim() !== '') throw new Error(`${file}: cannot rewrite ${whole}`)
      // the chunks merged into one: one plain import of it is enough
      if (imported.has(path)) return ''
      imported.add(path)
      return `${keyword}${clause}${JSON.stringify(path)}${end}`
    }
    imported.add(path)
    const renamed = names
      .split(',')
      .filter((binding) => binding.trim() !== '')
      .map((binding) => {
        const [imported, local] = binding.trim().split(/\s+as\s+/)
        return `${to.rename(imported)} as ${local ?? imported}`
      })
      .join(',')
    return `${keyword}{${renamed}}from${JSON.stringify(path)}${end}`
  })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const wantMetafile = process.argv.includes('--metafile')
  await rm('dist', { recursive: true, force: true })
  const result = await build({ ...bundleOptions, metafile: true })
  if (wantMetafile) await writeFile('dist/meta.json', JSON.stringify(result.metafile))
  await mergeStartupChunks(result.metafile, 'dist/index.js')
}
