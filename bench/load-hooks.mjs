// Module hooks (see load-recorder.mjs): append each loaded file: URL to BENCH_LOADED_FILE.
import { appendFileSync } from 'node:fs'

export async function load(url, context, nextLoad) {
  const file = process.env.BENCH_LOADED_FILE
  if (file && url.startsWith('file:')) appendFileSync(file, `${url}\n`)
  return nextLoad(url, context)
}
