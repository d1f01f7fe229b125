// Builds dist/: the Action entry (dist/index.js) and the CLI (dist/cli.js) as ESM for Node 20+,
// with shared code split into chunks so that provider modules load only when a run uses them.
//
// `node scripts/bundle.mjs --metafile` also writes dist/meta.json (esbuild's metafile) to see
// which inputs end up in which chunk.
import { build } from 'esbuild'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const wantMetafile = process.argv.includes('--metafile')
  await rm('dist', { recursive: true, force: true })
  const result = await build({ ...bundleOptions, metafile: wantMetafile })
  if (wantMetafile) await writeFile('dist/meta.json', JSON.stringify(result.metafile))
}
