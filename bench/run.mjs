// `npm run bench`: bundles bench/main.ts (which reuses the test suite's fake GitHub) into
// .tmp/bench/ with esbuild and runs it. Measures dist/ as it is: build it first with `npm run bundle`.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '')

if (!existsSync(`${root}/dist/index.js`) || !existsSync(`${root}/dist/cli.js`)) {
  process.stderr.write('bench: dist/ is missing: run `npm run bundle` first\n')
  process.exit(2)
}

const outfile = `${root}/.tmp/bench/bench.mjs`
await build({
  absWorkingDir: root,
  entryPoints: ['bench/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // dependencies stay imports, resolved from the project's node_modules
  packages: 'external',
  logLevel: 'warning',
})
const { main } = await import(pathToFileURL(outfile).href)
process.exitCode = await main(root, process.argv.slice(2))
