// Preloaded with `node --import` by the benchmark: records the URL of every module the process
// loads (one per line, in BENCH_LOADED_FILE), so the bytes of dist/ a run really reads can be summed.
import { register } from 'node:module'

register('./load-hooks.mjs', import.meta.url)
