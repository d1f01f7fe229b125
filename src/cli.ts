#!/usr/bin/env node
/**
 * The command-line tool: flags named like the Action's inputs → the same pipeline → the decision
 * table on the terminal. Exit codes: 0 all delivered or unchanged, 1 a delivery failed,
 * 2 bad configuration or input.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { OptionError, parseRunOptions } from './options.js'
import { runPipeline } from './pipeline.js'
import { lintTotals, problemLine } from './report/annotate.js'
import { ResultsJsonWriter } from './report/outputs.js'
import { pollLines, renderTable } from './report/table.js'

const USAGE = `Usage: flux-notify [options]
       flux-notify lint [options]

Reads Flux Alert/Provider manifests and Flux events, matches them as notification-controller
does, and sends the commit statuses and notifications. \`lint\` only loads and checks the
manifests (no events read, nothing sent) and exits 2 when it finds an error.

  --manifests PATH          manifest file, directory or glob (repeatable; default . unless
                            --manifests-command is given); !PATH excludes
  --manifests-command CMD   shell command whose output is a YAML stream of manifests, e.g.
                            'kubectl kustomize clusters/production' (repeatable)
  --substitute YAML         post-build variables, a map name: value
  --substitute-from REF     Kustomization/<namespace>/<name> whose postBuild supplies variables
  --namespace NS            namespace of manifests without one (default flux-system)
  --events PATH             event file, glob or http(s) URL, - for standard input (repeatable)
  --events-command CMD      shell command whose output is read as events
  --secrets-file FILE       YAML/JSON map secretName: {key: value} (repeatable)
  --secrets YAML            the same map inline
  --github-token TOKEN      token for GitHub providers without one (default $GITHUB_TOKEN)
  --rate-limit-interval D   the controller's duplicate window (default 5m)
  --no-cross-namespace-refs alerts only see events from their own namespace
  --dry-run                 decide and render everything, send nothing
  --fail-on-error BOOL      exit 1 when a delivery failed (default true)
  --state FILE              remember deliveries and rate-limit windows in FILE between runs;
                            none or auto (the default) keep no state
  --wait-for-revision REV   poll mode: re-read the events until the awaited objects
                            reconciled this commit (a SHA or main@sha1:<sha>)
  --wait-for OBJ            Kind/namespace/name or Kind/name to wait for (repeatable;
                            default: the named sources of commit-status alerts)
  --poll-interval D         time between reads in poll mode (default 15s)
  --timeout D               how long poll mode waits (default 10m)
  --json                    print the results as JSON instead of the table (lint: the
                            problems)
  -h, --help                show this help
`

async function main(argv: string[]): Promise<number> {
  let args
  let positionals: string[]
  try {
    ;({ values: args, positionals } = parseArgs({
      args: argv,
      options: {
        manifests: { type: 'string', multiple: true },
        'manifests-command': { type: 'string', multiple: true },
        substitute: { type: 'string' },
        'substitute-from': { type: 'string' },
        namespace: { type: 'string' },
        events: { type: 'string', multiple: true },
        'events-command': { type: 'string' },
        'secrets-file': { type: 'string', multiple: true },
        secrets: { type: 'string' },
        'github-token': { type: 'string' },
        'rate-limit-interval': { type: 'string' },
        'no-cross-namespace-refs': { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        'fail-on-error': { type: 'string' },
        state: { type: 'string' },
        'wait-for-revision': { type: 'string' },
        'wait-for': { type: 'string', multiple: true },
        'poll-interval': { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }))
  } catch (error) {
    process.stderr.write(`flux-notify: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  // the one subcommand: `flux-notify lint [options]`
  const [command, ...extra] = positionals
  if ((command !== undefined && command !== 'lint') || extra.length > 0) {
    const unexpected = command === 'lint' ? extra[0] : command
    process.stderr.write(`flux-notify: unexpected argument '${unexpected}'\n\n${USAGE}`)
    return 2
  }
  const lint = command === 'lint'
  if (args.help) {
    process.stdout.write(USAGE)
    return 0
  }

  try {
    const secrets: { text: string; label: string }[] = []
    for (const file of args['secrets-file'] ?? []) {
      secrets.push({ text: await readSecretsFile(file), label: file })
    }
    if (args.secrets) secrets.push({ text: args.secrets, label: '--secrets' })

    const options = parseRunOptions({
      manifests: (args.manifests ?? []).join('\n'),
      manifestsCommand: (args['manifests-command'] ?? []).join('\n'),
      substitute: args.substitute ?? '',
      substituteFrom: args['substitute-from'] ?? '',
      mode: lint ? 'lint' : 'run',
      namespace: args.namespace ?? '',
      events: (args.events ?? []).join('\n'),
      eventsCommand: args['events-command'] ?? '',
      secrets,
      githubToken: args['github-token'] ?? process.env.GITHUB_TOKEN ?? '',
      rateLimitInterval: args['rate-limit-interval'] ?? '',
      noCrossNamespaceRefs: String(args['no-cross-namespace-refs'] ?? false),
      dryRun: String(args['dry-run'] ?? false),
      failOnError: args['fail-on-error'] ?? '',
      state: args.state ?? '',
      waitForRevision: args['wait-for-revision'] ?? '',
      waitFor: (args['wait-for'] ?? []).join('\n'),
      pollInterval: args['poll-interval'] ?? '',
      timeout: args.timeout ?? '',
      cwd: process.cwd(),
    })
    const secretValues: string[] = []
    // --json: every decision written to standard output as it is made
    const results = args.json && !lint ? new ResultsJsonWriter(() => process.stdout) : undefined
    const report = await runPipeline(options, {
      results,
      setSecret: (value) => secretValues.push(value),
      info: (message) => process.stderr.write(`${message}\n`),
      // The CLI never reads a repository_dispatch payload by accident: only inside Actions.
      env: process.env.GITHUB_ACTIONS === 'true' ? process.env : {},
      readStdin: async () => process.stdin,
    })

    for (const problem of report.problems) process.stderr.write(`${problemLine(problem)}\n`)
    for (const warning of report.warnings) process.stderr.write(`warning: ${warning}\n`)
    if (report.poll) process.stderr.write(pollLines(report.poll))
    if (report.mode === 'lint') {
      process.stderr.write(`${lintTotals(report.problems)}\n`)
      if (args.json) process.stdout.write(`${JSON.stringify(report.problems)}\n`)
      return report.exitCode
    }
    if (results) {
      await results.end()
    } else {
      process.stdout.write(
        renderTable(report.decisions, { width: process.stdout.columns, totals: report.totals }),
      )
    }
    return report.exitCode
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    process.stderr.write(`flux-notify: ${message.split('\n')[0]}\n`)
    return 2
  }
}

async function readSecretsFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new OptionError(
      `--secrets-file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    )
  }
}

process.exitCode = await main(process.argv.slice(2))
