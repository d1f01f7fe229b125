#!/usr/bin/env node
import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{c0_a as c,c0_b as d,c0_d as f,c0_f as h,c0_h as g,c0_j as w,c0_n as b,c0_o as y}from"./chunks/start-9DDA19CE.js";import{readFile as x}from"node:fs/promises";import{parseArgs as E}from"node:util";var l=`Usage: flux-notify [options]
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
`;async function S(o){let e,m;try{({values:e,positionals:m}=E({args:o,options:{manifests:{type:"string",multiple:!0},"manifests-command":{type:"string",multiple:!0},substitute:{type:"string"},"substitute-from":{type:"string"},namespace:{type:"string"},events:{type:"string",multiple:!0},"events-command":{type:"string"},"secrets-file":{type:"string",multiple:!0},secrets:{type:"string"},"github-token":{type:"string"},"rate-limit-interval":{type:"string"},"no-cross-namespace-refs":{type:"boolean"},"dry-run":{type:"boolean"},"fail-on-error":{type:"string"},state:{type:"string"},"wait-for-revision":{type:"string"},"wait-for":{type:"string",multiple:!0},"poll-interval":{type:"string"},timeout:{type:"string"},json:{type:"boolean"},help:{type:"boolean",short:"h"}},strict:!0,allowPositionals:!0}))}catch(t){return process.stderr.write(`flux-notify: ${t.message}

${l}`),2}let[n,...p]=m;if(n!==void 0&&n!=="lint"||p.length>0){let t=n==="lint"?p[0]:n;return process.stderr.write(`flux-notify: unexpected argument '${t}'

${l}`),2}let u=n==="lint";if(e.help)return process.stdout.write(l),0;try{let t=[];for(let r of e["secrets-file"]??[])t.push({text:await O(r),label:r});e.secrets&&t.push({text:e.secrets,label:"--secrets"});let i=d({manifests:(e.manifests??[]).join(`
`),manifestsCommand:(e["manifests-command"]??[]).join(`
`),substitute:e.substitute??"",substituteFrom:e["substitute-from"]??"",mode:u?"lint":"run",namespace:e.namespace??"",events:(e.events??[]).join(`
`),eventsCommand:e["events-command"]??"",secrets:t,githubToken:e["github-token"]??process.env.GITHUB_TOKEN??"",rateLimitInterval:e["rate-limit-interval"]??"",noCrossNamespaceRefs:String(e["no-cross-namespace-refs"]??!1),dryRun:String(e["dry-run"]??!1),failOnError:e["fail-on-error"]??"",state:e.state??"",waitForRevision:e["wait-for-revision"]??"",waitFor:(e["wait-for"]??[]).join(`
`),pollInterval:e["poll-interval"]??"",timeout:e.timeout??"",cwd:process.cwd()}),v=[],a=e.json&&!u?new w(()=>process.stdout):void 0,s=await f(i,{results:a,setSecret:r=>v.push(r),info:r=>process.stderr.write(`${r}
`),env:process.env.GITHUB_ACTIONS==="true"?process.env:{},readStdin:async()=>process.stdin});for(let r of s.problems)process.stderr.write(`${h(r)}
`);for(let r of s.warnings)process.stderr.write(`warning: ${r}
`);return s.poll&&process.stderr.write(y(s.poll)),s.mode==="lint"?(process.stderr.write(`${g(s.problems)}
`),e.json&&process.stdout.write(`${JSON.stringify(s.problems)}
`),s.exitCode):(a?await a.end():process.stdout.write(b(s.decisions,{width:process.stdout.columns,totals:s.totals})),s.exitCode)}catch(t){let i=t instanceof Error?t.message:String(t);return process.stderr.write(`flux-notify: ${i.split(`
`)[0]}
`),2}}async function O(o){try{return await x(o,"utf8")}catch(e){throw new c(`--secrets-file ${o}: ${e.code??"unreadable"}`)}}process.exitCode=await S(process.argv.slice(2));
