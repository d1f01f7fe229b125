/**
 * `npm run bench`: the quality bars of design §5, each measured next to its floor in the same run.
 *
 *   1. start-up   `node dist/index.js` with manifests and no events, next to `node -e ''` and to
 *                 `node` importing only `@actions/core`; bundle size and the bytes a Slack + GitHub
 *                 run loads;
 *   2. throughput `node dist/cli.js --dry-run` on 100,000 generated Kubernetes events against 200
 *                 Alerts, next to reading and JSON.parse-ing the same file (time and peak memory);
 *                 NDJSON at 10k, 100k and 1M events (time growth, memory flat);
 *   3. requests   2,000 commit-status decisions over 300 commits and 500 chat notifications against
 *                 loopback servers adding 50 ms to every answer: requests made versus the minimum,
 *                 delivery time versus requests ÷ 8 × 50 ms.
 *
 * Prints a table and writes it to bench/results.json with the machine it ran on. `bench/run.mjs`
 * bundles this file (it imports the test suite's fake GitHub) and calls `main`.
 *
 * Flags: `--only startup,throughput,requests,profile` runs some sections (results then go to
 * .tmp/bench/results-partial.json); `--profile` also CPU-profiles the 100k throughput case on an
 * unminified build and prints the top self-time functions.
 */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  SEED,
  writeEventList,
  writeNdjson,
  writeThroughputFleet,
  type ThroughputInputs,
} from './generate.js'
import { writeRequestsFleet } from './requests-fleet.js'
import { startLatencyGitHub, startLatencyReceiver, type TimedRequest } from './servers.js'

// ─── Rows of the table ──────────────────────────────────────────────────────────────────────────

type Unit = 'ms' | 's' | 'MB' | 'KB' | 'count'

export interface Row {
  section: 'start-up' | 'throughput' | 'requests'
  figure: string
  value: number | null
  floor: number | null
  unit: Unit
  ratio: number | null
  /** e.g. `< 2`, `= 1`, or `report` (no bar: shown for context) */
  target: string
  /** null for a figure that is only reported */
  pass: boolean | null
  note?: string
}

function ratioOf(value: number | null, floor: number | null): number | null {
  if (value === null || floor === null || floor === 0) return null
  return value / floor
}

function row(
  section: Row['section'],
  figure: string,
  unit: Unit,
  value: number | null,
  floor: number | null,
  target: string,
  note?: string,
): Row {
  const ratio = ratioOf(value, floor)
  let pass: boolean | null = null
  const bar = /^([<=≤])\s*([\d.]+)$/u.exec(target)
  if (value === null || (note !== undefined && /^(timeout|refused|exit)/u.test(note))) pass = false
  else if (bar) {
    const limit = Number(bar[2])
    if (ratio === null) pass = false
    else if (bar[1] === '<') pass = ratio < limit
    else if (bar[1] === '≤') pass = ratio <= limit + 1e-9
    else pass = Math.abs(ratio - limit) < 1e-9
  }
  return { section, figure, value, floor, unit, ratio, target, pass, ...(note ? { note } : {}) }
}

function formatValue(value: number | null, unit: Unit): string {
  if (value === null) return '—'
  switch (unit) {
    case 'ms':
      return `${value.toFixed(value < 100 ? 1 : 0)} ms`
    case 's':
      return `${value.toFixed(2)} s`
    case 'MB':
      return `${value.toFixed(1)} MB`
    case 'KB':
      return `${value.toFixed(0)} KB`
    case 'count':
      return String(value)
  }
}

function renderTable(rows: readonly Row[]): string {
  const header = ['figure', 'value', 'floor', 'ratio', 'target', 'result']
  const cells = rows.map((r) => [
    `${r.section}: ${r.figure}`,
    formatValue(r.value, r.unit),
    formatValue(r.floor, r.unit),
    r.ratio === null ? '—' : r.ratio.toFixed(2),
    r.target,
    (r.pass === null ? 'report' : r.pass ? 'pass' : 'FAIL') + (r.note ? ` (${r.note})` : ''),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) =>
    c
      .map((text, i) =>
        i === 0 || i === c.length - 1 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!),
      )
      .join('  ')
      .trimEnd()
  return (
    [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n') +
    '\n'
  )
}

// ─── Running processes ──────────────────────────────────────────────────────────────────────────

interface Measured {
  wallMs: number
  /** peak resident set of the measured process, from `/usr/bin/time -f %M` */
  maxRssKb?: number
  code: number | null
  timedOut: boolean
  stderr: string
}

interface MeasureOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  timeoutMs: number
  /** the child's standard output goes to this file (default: discarded) */
  stdoutFile?: string
  /** run under `/usr/bin/time` to read the peak RSS */
  memory?: boolean
}

const TIME_BIN = '/usr/bin/time'

/** Runs `node …args` once, timing it from spawn to exit (and its peak memory when asked). */
async function measure(args: string[], options: MeasureOptions): Promise<Measured> {
  const memory = options.memory === true && existsSync(TIME_BIN)
  const rssFile = join(os.tmpdir(), `flux-notify-bench-rss-${process.pid}`)
  const command = memory ? TIME_BIN : process.execPath
  const argv = memory ? ['-f', '%M', '-o', rssFile, process.execPath, ...args] : args
  const out = options.stdoutFile === undefined ? 'ignore' : openSync(options.stdoutFile, 'w')
  const started = performance.now()
  const child = spawn(command, argv, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', out, 'pipe'],
    // its own process group, so a timeout ends `time` and the node under it together
    detached: true,
  })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 1 << 20) stderr += chunk
  })
  let timedOut = false
  let peakKbAtTimeout: number | undefined
  const timer = setTimeout(() => {
    timedOut = true
    peakKbAtTimeout = peakOfProcessTree(child.pid)
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
  }, options.timeoutMs)
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (exitCode) => resolve(exitCode))
  })
  const wallMs = performance.now() - started
  clearTimeout(timer)
  if (typeof out === 'number') closeSync(out)
  let maxRssKb: number | undefined
  if (timedOut && peakKbAtTimeout !== undefined) maxRssKb = peakKbAtTimeout
  if (memory && !timedOut) {
    const text = readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? ''
    const kb = Number.parseInt(text, 10)
    if (Number.isFinite(kb)) maxRssKb = kb
    await rm(rssFile, { force: true })
  }
  return { wallMs, ...(maxRssKb === undefined ? {} : { maxRssKb }), code, timedOut, stderr }
}

/**
 * The largest peak RSS (`VmHWM`, Linux) among `pid` and its children: a run about to be killed
 * for its timeout still tells how much memory it had taken (`time` reports nothing then).
 */
function peakOfProcessTree(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  let peak: number | undefined
  const visit = (p: number, depth: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8')
      const kb = Number(/^VmHWM:\s+(\d+) kB/mu.exec(status)?.[1])
      if (Number.isFinite(kb)) peak = Math.max(peak ?? 0, kb)
      if (depth > 2) return
      const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim()
      for (const c of children.split(/\s+/u).filter(Boolean)) visit(Number(c), depth + 1)
    } catch {
      // not Linux, or the process is gone
    }
  }
  visit(pid, 0)
  return peak
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function baseEnv(): NodeJS.ProcessEnv {
  // only what Node needs: no tokens, proxies or NODE_OPTIONS from the caller's environment
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NO_COLOR: '1',
  }
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.slice(0, 160) ?? ''
  )
}

// ─── 1. Start-up ────────────────────────────────────────────────────────────────────────────────

const STARTUP_RUNS = 15

async function actionEnv(dir: string, inputs: Record<string, string>): Promise<NodeJS.ProcessEnv> {
  await mkdir(dir, { recursive: true })
  const output = join(dir, 'output')
  const summary = join(dir, 'summary')
  await writeFile(output, '')
  await writeFile(summary, '')
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_WORKSPACE: dir,
    RUNNER_TEMP: dir,
    GITHUB_REPOSITORY: 'stefanprodan/podinfo',
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  return env
}

async function startup(root: string, work: string, rows: Row[], details: Record<string, unknown>) {
  const dir = join(work, 'startup')
  const env = await actionEnv(dir, { manifests: join(root, 'examples/manifests') })
  const options = { cwd: root, env, timeoutMs: 30_000 }
  const variants: [string, string[]][] = [
    ['node-e', ['-e', '']],
    ['actions-core', ['--input-type=module', '-e', "import '@actions/core'"]],
    ['action', [join(root, 'dist/index.js')]],
  ]
  // a warm-up of each (file cache), then the variants interleaved so drift hits them alike
  const times: Record<string, number[]> = {}
  const failures: string[] = []
  for (let i = -1; i < STARTUP_RUNS; i++) {
    for (const [name, args] of variants) {
      const result = await measure(args, options)
      if (result.code !== 0)
        failures.push(`${name}: exit ${result.code} ${firstLine(result.stderr)}`)
      if (i >= 0) (times[name] ??= []).push(result.wallMs)
    }
  }
  const nodeE = median(times['node-e']!)
  const core = median(times['actions-core']!)
  const action = median(times.action!)
  const note = failures.length > 0 ? failures[0] : undefined
  rows.push(
    row(
      'start-up',
      `dist/index.js, no events (median of ${STARTUP_RUNS})`,
      'ms',
      action,
      nodeE,
      '< 2',
      note,
    ),
    row('start-up', 'same, vs node importing only @actions/core', 'ms', action, core, 'report'),
  )
  details.startup = {
    runs: STARTUP_RUNS,
    medianMs: { nodeE, actionsCore: core, action },
    samplesMs: times,
  }

  // Bundle size, and what a Slack + GitHub run loads of it.
  const distFiles = listFiles(join(root, 'dist')).filter((f) => f.endsWith('.js'))
  const bundleBytes = distFiles.reduce((sum, f) => sum + statSync(f).size, 0)
  const loaded = await loadedBytes(root, work)
  rows.push(
    row(
      'start-up',
      'bundle size (dist/*.js)',
      'KB',
      bundleBytes / 1024,
      null,
      'report',
      `${distFiles.length} files`,
    ),
    row(
      'start-up',
      'loaded by a Slack + GitHub run, of the bundle',
      'KB',
      loaded.bytes / 1024,
      bundleBytes / 1024,
      'report',
      loaded.note ?? `${loaded.files.length} of ${distFiles.length} files`,
    ),
  )
  details.bundle = {
    bytes: bundleBytes,
    files: distFiles.length,
    loadedBytes: loaded.bytes,
    loadedFiles: loaded.files,
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  )
}

/**
 * Runs the Action on the examples' Slack and GitHub fleet, pointed at loopback servers, with a
 * preloaded module hook that writes down every file the process loads; sums those under dist/.
 */
async function loadedBytes(
  root: string,
  work: string,
): Promise<{ bytes: number; files: string[]; note?: string }> {
  const dir = join(work, 'slack-github')
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const github = await startLatencyGitHub(0)
  const receiver = await startLatencyReceiver(0)
  try {
    const examples = join(root, 'examples/manifests')
    const slack = (await readFile(join(examples, 'slack.yaml'), 'utf8')).replace(
      'https://slack.com/api/chat.postMessage',
      `${receiver.url}/api/chat.postMessage`,
    )
    const gh = (await readFile(join(examples, 'github.yaml'), 'utf8')).replace(
      'https://github.com/stefanprodan/podinfo',
      `${github.url}/stefanprodan/podinfo`,
    )
    await writeFile(join(dir, 'slack.yaml'), slack)
    await writeFile(join(dir, 'github.yaml'), gh)
    await writeFile(
      join(dir, 'flux-objects.yaml'),
      await readFile(join(examples, 'flux-objects.yaml'), 'utf8'),
    )
    const loadedFile = join(dir, 'loaded.txt')
    await writeFile(loadedFile, '')
    const env = await actionEnv(join(dir, 'runner'), {
      manifests: dir,
      events: join(root, 'examples/events/kubectl-events.json'),
      state: 'none',
    })
    env.BENCH_LOADED_FILE = loadedFile
    const result = await measure(
      ['--import', join(root, 'bench/load-recorder.mjs'), join(root, 'dist/index.js')],
      { cwd: root, env, timeoutMs: 60_000 },
    )
    const dist = join(root, 'dist') + '/'
    const files = [
      ...new Set(
        (await readFile(loadedFile, 'utf8'))
          .split('\n')
          .filter((l) => l.startsWith('file:'))
          .map((url) => fileURLToPath(url))
          .filter((path) => path.startsWith(dist)),
      ),
    ].sort()
    const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0)
    const sent = github.requests.length > 0 && receiver.requests.length > 0
    const note =
      result.code !== 0
        ? `run exited ${result.code}: ${firstLine(result.stderr)}`
        : sent
          ? undefined
          : 'the run sent nothing to Slack or GitHub'
    return {
      bytes,
      files: files.map((f) => relative(root, f)),
      ...(note === undefined ? {} : { note }),
    }
  } finally {
    await github.close()
    await receiver.close()
  }
}

// ─── 2. Throughput ──────────────────────────────────────────────────────────────────────────────

/** Bump when the generator changes, so cached inputs in .tmp/bench are made again. */
const GENERATOR_VERSION = 2

interface ThroughputFiles {
  fleet: ThroughputInputs
  /** `kubectl get events -A -o json` output, and the API server's one-line EventList */
  eventList: Record<'10k' | '100k' | '100k-api', string>
  ndjson: Record<'10k' | '100k' | '1M', string>
  sizes: Record<string, number>
}

async function throughputInputs(work: string): Promise<ThroughputFiles> {
  const dir = join(work, 'throughput')
  const stamp = join(dir, 'stamp.json')
  const wanted = { version: GENERATOR_VERSION, seed: SEED }
  const eventList = {
    '10k': join(dir, 'events-10k.kubectl.json'),
    '100k': join(dir, 'events-100k.kubectl.json'),
    '100k-api': join(dir, 'events-100k.api.json'),
  }
  const ndjson = {
    '10k': join(dir, 'events-10k.ndjson'),
    '100k': join(dir, 'events-100k.ndjson'),
    '1M': join(dir, 'events-1m.ndjson'),
  }
  let fleet: ThroughputInputs
  let sizes: Record<string, number> = {}
  const cached = existsSync(stamp)
    ? (JSON.parse(readFileSync(stamp, 'utf8')) as typeof wanted & { sizes: Record<string, number> })
    : undefined
  const all = [...Object.values(eventList), ...Object.values(ndjson)]
  if (
    cached?.version === wanted.version &&
    cached.seed === wanted.seed &&
    all.every((f) => existsSync(f) && statSync(f).size === cached.sizes[f])
  ) {
    fleet = await writeThroughputFleet(dir)
    sizes = cached.sizes
  } else {
    process.stderr.write('bench: generating inputs in .tmp/bench/throughput (once) …\n')
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    fleet = await writeThroughputFleet(dir)
    for (const [label, count, style] of [
      ['10k', 10_000, 'kubectl'],
      ['100k', 100_000, 'kubectl'],
      ['100k-api', 100_000, 'api'],
    ] as const) {
      const written = await writeEventList(eventList[label], count, style)
      sizes[eventList[label]] = written.bytes
      process.stderr.write(
        `bench:   EventList ${label}: ${(written.bytes / 1e6).toFixed(1)} MB, ${((100 * written.warnings) / count).toFixed(1)}% Warning\n`,
      )
    }
    for (const [label, count] of [
      ['10k', 10_000],
      ['100k', 100_000],
      ['1M', 1_000_000],
    ] as const) {
      const written = await writeNdjson(ndjson[label], count)
      sizes[ndjson[label]] = written.bytes
      process.stderr.write(`bench:   NDJSON ${label}: ${(written.bytes / 1e6).toFixed(1)} MB\n`)
    }
    await writeFile(stamp, JSON.stringify({ ...wanted, sizes }, null, 2))
  }
  return { fleet, eventList, ndjson, sizes }
}

interface CaseResult {
  times: number[]
  rssKb: number[]
  failure?: string
}

/**
 * Up to `runs` timed runs of the CLI in dry-run (output to `outFile`), each followed by one of the
 * floor; no new run starts once the case has taken `budgetMs` (the whole bench stays under 5 min).
 */
async function runCase(
  root: string,
  fleet: ThroughputInputs,
  events: string,
  outFile: string,
  runs: number,
  timeoutMs: number,
  budgetMs = timeoutMs,
): Promise<{ program: CaseResult; floor: CaseResult }> {
  const program: CaseResult = { times: [], rssKb: [] }
  const floor: CaseResult = { times: [], rssKb: [] }
  const ndjson = events.endsWith('.ndjson')
  const started = performance.now()
  for (let i = 0; i < runs && performance.now() - started < budgetMs; i++) {
    const p = await measure(
      [
        join(root, 'dist/cli.js'),
        '--dry-run',
        '--manifests',
        fleet.manifestsDir,
        '--events',
        events,
        '--json',
      ],
      { cwd: root, env: baseEnv(), timeoutMs, stdoutFile: outFile, memory: true },
    )
    if (p.timedOut) {
      program.failure = `timeout after ${timeoutMs / 1000} s`
      // the peak so far: a lower bound, still worth showing
      if (p.maxRssKb !== undefined) program.rssKb.push(p.maxRssKb)
    } else if (p.code !== 0) {
      // a refused input names its limit on the first line (`…: larger than 100 MiB …`)
      const refused = /larger than [\d.]+ MiB/u.test(p.stderr)
      program.failure = `${refused ? 'refused' : `exit ${p.code}`}: ${firstLine(p.stderr)}`
    } else {
      program.times.push(p.wallMs)
      if (p.maxRssKb !== undefined) program.rssKb.push(p.maxRssKb)
    }
    const f = await measure(
      [join(root, 'bench/parse-floor.mjs'), events, ...(ndjson ? ['--ndjson'] : [])],
      {
        cwd: root,
        env: baseEnv(),
        timeoutMs,
        memory: true,
      },
    )
    if (f.timedOut || f.code !== 0)
      floor.failure = f.timedOut ? 'timeout' : `exit ${f.code}: ${firstLine(f.stderr)}`
    else {
      floor.times.push(f.wallMs)
      if (f.maxRssKb !== undefined) floor.rssKb.push(f.maxRssKb)
    }
    if (program.failure !== undefined) break
  }
  return { program, floor }
}

const secondsOf = (c: CaseResult) => (c.times.length > 0 ? median(c.times) / 1000 : null)
const megabytesOf = (c: CaseResult) => (c.rssKb.length > 0 ? median(c.rssKb) / 1024 : null)

/** Counts decisions and outcomes in the CLI's `--json` output, as a check that work was done. */
function decisionsIn(
  file: string,
): { decisions: number; outcomes: Record<string, number> } | undefined {
  try {
    const rows = JSON.parse(readFileSync(file, 'utf8')) as { outcome: string }[]
    const outcomes: Record<string, number> = {}
    for (const r of rows) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1
    return { decisions: rows.length, outcomes }
  } catch {
    return undefined
  }
}

async function throughput(
  root: string,
  work: string,
  rows: Row[],
  details: Record<string, unknown>,
) {
  const inputs = await throughputInputs(work)
  const { fleet } = inputs
  const out = (name: string) => join(work, 'throughput', `out-${name}.json`)
  const info: Record<string, unknown> = {
    fleet: { objects: fleet.objects, providers: fleet.providers, alerts: fleet.alerts },
    fileBytes: Object.fromEntries(
      Object.entries(inputs.sizes).map(([f, b]) => [relative(root, f), b]),
    ),
  }
  details.throughput = info

  // 100k events against 200 Alerts: the headline figures, as kubectl prints them and as the API
  // server lists them (one line).
  const mb = (file: string) => `${((inputs.sizes[file] ?? 0) / 1e6).toFixed(0)} MB`
  for (const [label, title, runs] of [
    ['100k', 'kubectl -o json', 3],
    ['100k-api', 'API EventList, one line', 1],
  ] as const) {
    const file = inputs.eventList[label]
    const big = await runCase(root, fleet, file, out(label), runs, 120_000, 35_000)
    info[`eventList${label}`] = { ...big, output: decisionsIn(out(label)) }
    rows.push(
      row(
        'throughput',
        `100k events (${title}, ${mb(file)}), 200 Alerts: time (median of ${big.program.times.length})`,
        's',
        secondsOf(big.program),
        secondsOf(big.floor),
        '< 1.5',
        big.program.failure,
      ),
      row(
        'throughput',
        `100k events (${title}): peak memory`,
        'MB',
        megabytesOf(big.program),
        megabytesOf(big.floor),
        '< 1.2',
        big.program.failure,
      ),
    )
  }

  // Time growth: EventList 10k; NDJSON 10k, 100k, 1M (1M only as NDJSON).
  const small = await runCase(root, fleet, inputs.eventList['10k'], out('10k'), 3, 60_000)
  info.eventList10k = { ...small, output: decisionsIn(out('10k')) }
  rows.push(
    row(
      'throughput',
      '10k events (kubectl -o json): time',
      's',
      secondsOf(small.program),
      secondsOf(small.floor),
      'report',
      small.program.failure,
    ),
  )
  const nd: Record<string, { program: CaseResult; floor: CaseResult }> = {}
  for (const [label, runs, timeoutMs] of [
    ['10k', 3, 60_000],
    ['100k', 1, 120_000],
    // the 1M run gets what keeps the whole bench under 5 minutes
    ['1M', 1, 75_000],
  ] as const) {
    nd[label] = await runCase(
      root,
      fleet,
      inputs.ndjson[label],
      out(`ndjson-${label}`),
      runs,
      timeoutMs,
    )
    const result = nd[label]!
    info[`ndjson${label}`] = {
      ...result,
      output: label === '1M' ? undefined : decisionsIn(out(`ndjson-${label}`)),
    }
    const perEvent = secondsOf(result.program)
    const events = label === '10k' ? 1e4 : label === '100k' ? 1e5 : 1e6
    rows.push(
      row(
        'throughput',
        `${label}-event NDJSON: time (floor: streaming parse)`,
        's',
        secondsOf(result.program),
        secondsOf(result.floor),
        'report',
        result.program.failure ??
          (perEvent === null ? undefined : `${((perEvent * 1e6) / events).toFixed(1)} µs/event`),
      ),
    )
  }
  const m10k = megabytesOf(nd['10k']!.program)
  const m1M = megabytesOf(nd['1M']!.program)
  rows.push(
    row(
      'throughput',
      '10k-event NDJSON: peak memory',
      'MB',
      m10k,
      megabytesOf(nd['10k']!.floor),
      'report',
    ),
    row(
      'throughput',
      '1M-event NDJSON: peak memory (floor: the 10k run)',
      'MB',
      m1M,
      m10k,
      '≤ 1.2',
      nd['1M']!.program.failure,
    ),
  )
}

// ─── 3. Requests ────────────────────────────────────────────────────────────────────────────────

const LATENCY_MS = 50
const CONCURRENCY = 8

async function requests(root: string, work: string, rows: Row[], details: Record<string, unknown>) {
  const dir = join(work, 'requests')
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const github = await startLatencyGitHub(LATENCY_MS)
  const receiver = await startLatencyReceiver(LATENCY_MS)
  try {
    const fleet = await writeRequestsFleet(dir, github.url, receiver.url)
    for (const seed of fleet.seeds) {
      github.seedStatus(seed.repo, seed.sha, {
        context: seed.context,
        state: seed.state,
        description: seed.description,
      })
    }
    const outFile = join(dir, 'results.json')
    const timeoutMs = 150_000
    const run = await measure(
      [
        join(root, 'dist/cli.js'),
        '--manifests',
        fleet.manifestsDir,
        '--events',
        fleet.eventsFile,
        '--json',
      ],
      { cwd: root, env: baseEnv(), timeoutMs, stdoutFile: outFile },
    )
    const failure = run.timedOut
      ? `timeout after ${timeoutMs / 1000} s`
      : run.code !== 0
        ? `exit ${run.code}: ${firstLine(run.stderr)}`
        : undefined

    const all: TimedRequest[] = [...github.requests, ...receiver.requests]
    const reads = github.requests.filter(
      (r) => r.method === 'GET' && /\/commits\/[^/]+\/status(es)?\b/u.test(r.path),
    )
    const writes = github.requests.filter(
      (r) => r.method === 'POST' && /\/statuses\//u.test(r.path),
    )
    const otherGitHub = github.requests.length - reads.length - writes.length
    const posts = receiver.requests.filter((r) => r.method === 'POST')
    const minimum = fleet.minimum
    const minTotal = minimum.statusReads + minimum.statusWrites + minimum.chatPosts
    const span =
      all.length > 0
        ? Math.max(...all.map((r) => r.end)) - Math.min(...all.map((r) => r.start))
        : null
    const bound = (minTotal / CONCURRENCY) * LATENCY_MS
    const output = decisionsIn(outFile)

    rows.push(
      row(
        'requests',
        `status reads (${fleet.commits} commits)`,
        'count',
        reads.length,
        minimum.statusReads,
        '= 1',
        failure,
      ),
      row(
        'requests',
        `status writes (${fleet.statusDecisions} decisions)`,
        'count',
        writes.length,
        minimum.statusWrites,
        '= 1',
        otherGitHub > 0 ? `${otherGitHub} other GitHub requests` : undefined,
      ),
      row(
        'requests',
        `chat POSTs (${fleet.chatNotifications} notifications)`,
        'count',
        posts.length,
        minimum.chatPosts,
        '= 1',
      ),
      row('requests', 'all requests', 'count', all.length, minTotal, '= 1'),
      row(
        'requests',
        `delivery time vs requests ÷ ${CONCURRENCY} × ${LATENCY_MS} ms`,
        's',
        span === null ? null : span / 1000,
        bound / 1000,
        '< 1.3',
        failure ?? `process ${(run.wallMs / 1000).toFixed(1)} s`,
      ),
    )
    details.requests = {
      latencyMs: LATENCY_MS,
      concurrency: CONCURRENCY,
      minimum,
      made: {
        statusReads: reads.length,
        statusWrites: writes.length,
        otherGitHub,
        chatPosts: posts.length,
      },
      deliverySpanMs: span,
      processWallMs: run.wallMs,
      githubViolations: github.violations.slice(0, 10),
      output,
    }
  } finally {
    await github.close()
    await receiver.close()
  }
}

// ─── CPU profile (opt-in) ───────────────────────────────────────────────────────────────────────

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

/**
 * Builds an unminified copy of the CLI (same esbuild settings as scripts/bundle.mjs, names kept),
 * profiles it on the 100k EventList and lists the functions with the most self time, each with
 * the source module esbuild's `// src/…` markers place it in.
 */
async function profile(
  root: string,
  work: string,
  details: Record<string, unknown>,
): Promise<string> {
  const { build } = await import('esbuild')
  const outdir = join(work, 'dist-profile')
  await rm(outdir, { recursive: true, force: true })
  await build({
    absWorkingDir: root,
    entryPoints: { cli: 'src/cli.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: false,
    chunkNames: 'chunks/[name]-[hash]',
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  })
  const inputs = await throughputInputs(work)
  const profiles: Record<string, unknown> = {}
  details.profile = profiles
  let text = ''
  for (const [label, events] of [
    ['100k events, kubectl -o json', inputs.eventList['100k']],
    ['100k events, NDJSON', inputs.ndjson['100k']],
  ] as const) {
    const profDir = join(work, 'profile', label.replace(/\W+/gu, '-'))
    await rm(profDir, { recursive: true, force: true })
    const result = await measure(
      [
        '--cpu-prof',
        '--cpu-prof-dir',
        profDir,
        join(outdir, 'cli.js'),
        '--dry-run',
        '--manifests',
        inputs.fleet.manifestsDir,
        '--events',
        events,
        '--json',
      ],
      { cwd: root, env: baseEnv(), timeoutMs: 180_000, stdoutFile: `${profDir}.out.json` },
    )
    const file = existsSync(profDir)
      ? readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
      : undefined
    if (result.code !== 0 || !file) {
      text += `CPU profile, ${label}: the run failed (exit ${result.code}: ${firstLine(result.stderr)})\n`
      continue
    }
    const summary = topSelfTime(join(profDir, file))
    profiles[label] = summary
    text +=
      `CPU profile, ${label} (unminified build of src/, ${(summary.totalMs / 1000).toFixed(1)} s sampled), top self time:\n` +
      summary.top
        .map(
          (t) =>
            `  ${t.selfMs.toFixed(0).padStart(6)} ms  ${t.percent.toFixed(1).padStart(5)}%  ${t.name}`,
        )
        .join('\n') +
      '\n\n'
  }
  return text
}

/** The 20 functions with the most self time in a `.cpuprofile`, with their source module. */
function topSelfTime(file: string): {
  totalMs: number
  top: { name: string; selfMs: number; percent: number }[]
} {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[]
    samples: number[]
    timeDeltas: number[]
  }
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  prof.samples.forEach((id, i) => {
    const node = byId.get(id)
    const delta = prof.timeDeltas[i] ?? 0
    total += delta
    if (!node) return
    const { functionName, url, lineNumber } = node.callFrame
    const key = `${functionName || '(anonymous)'}  ${url === '' ? '' : moduleAt(url, lineNumber)}`
    self.set(key, (self.get(key) ?? 0) + delta)
  })
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20)
  return {
    totalMs: total / 1000,
    top: top.map(([name, us]) => ({ name, selfMs: us / 1000, percent: (100 * us) / total })),
  }
}

const moduleMarkers = new Map<string, { line: number; module: string }[]>()

/** The `// src/…` (or `// node_modules/…`) marker esbuild writes above each module, before `line`. */
function moduleAt(url: string, line: number): string {
  if (!url.startsWith('file:')) return url
  const path = fileURLToPath(url)
  let markers = moduleMarkers.get(path)
  if (!markers) {
    markers = []
    try {
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((text, i) => {
          const m = /^\/\/ ((?:src|node_modules)\/\S+)$/u.exec(text)
          if (m) markers!.push({ line: i, module: m[1]! })
        })
    } catch {
      // not readable: fall back to the URL
    }
    moduleMarkers.set(path, markers)
  }
  let found = ''
  for (const marker of markers) {
    if (marker.line > line) break
    found = marker.module
  }
  return found === '' ? url.slice(url.lastIndexOf('/') + 1) : found
}

// ─── Main ───────────────────────────────────────────────────────────────────────────────────────

function machine() {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    date: new Date().toISOString(),
  }
}

export async function main(root: string, argv: string[]): Promise<number> {
  const onlyIndex = argv.indexOf('--only')
  const only = new Set(
    (onlyIndex >= 0 ? (argv[onlyIndex + 1] ?? '') : 'startup,throughput,requests').split(','),
  )
  const work = join(root, '.tmp/bench')
  await mkdir(work, { recursive: true })
  const started = performance.now()
  const rows: Row[] = []
  const details: Record<string, unknown> = {}
  const info = machine()
  process.stderr.write(
    `bench: ${info.cpu}, ${info.cores} cores, ${info.memoryGB} GB, Node ${info.node}, load ${info.loadAverage.join(' ')}\n`,
  )
  if (!existsSync(TIME_BIN))
    process.stderr.write(`bench: ${TIME_BIN} not found: peak memory is not measured\n`)

  const sections: [
    string,
    (root: string, work: string, rows: Row[], details: Record<string, unknown>) => Promise<void>,
  ][] = [
    ['startup', startup],
    ['throughput', throughput],
    ['requests', requests],
  ]
  for (const [name, section] of sections) {
    if (!only.has(name)) continue
    const t = performance.now()
    process.stderr.write(`bench: ${name} …\n`)
    await section(root, work, rows, details)
    process.stderr.write(
      `bench: ${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
    )
  }
  const table = renderTable(rows)
  process.stdout.write(`\n${table}`)
  const totalSeconds = (performance.now() - started) / 1000
  process.stdout.write(
    `\n${info.cpu}, ${info.cores} cores, ${info.memoryGB} GB, Node ${info.node}; bench took ${totalSeconds.toFixed(0)} s\n`,
  )

  if (only.has('profile') || argv.includes('--profile'))
    process.stdout.write(`\n${await profile(root, work, details)}`)

  const results = { machine: info, durationSeconds: Math.round(totalSeconds), rows, table, details }
  const complete = sections.every(([name]) => only.has(name))
  if (complete)
    await writeFile(join(root, 'bench/results.json'), JSON.stringify(results, null, 2) + '\n')
  else await writeFile(join(work, 'results-partial.json'), JSON.stringify(results, null, 2) + '\n')
  return 0
}
