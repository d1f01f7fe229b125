#!/usr/bin/env node
import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a as i,b as a,d as l,f as c,h as p,l as f}from"./chunks/chunk-O27V7JOZ.js";import"./chunks/chunk-4D3ZXSHO.js";import"./chunks/chunk-52D27K75.js";import"./chunks/chunk-Q5Z6EVJB.js";import"./chunks/chunk-7TVBTN2I.js";import"./chunks/chunk-FC7LWACM.js";import"./chunks/chunk-Y5ZH5OSE.js";import"./chunks/chunk-HZKTACTZ.js";import"./chunks/chunk-JRQYMASR.js";import"./chunks/chunk-5HZCQGEP.js";import"./chunks/chunk-COSC7KWV.js";import"./chunks/chunk-SI4I4Q4V.js";import"./chunks/chunk-MUZKCZNV.js";import"./chunks/chunk-WPL23CHO.js";import"./chunks/chunk-MNR7IINF.js";import"./chunks/chunk-J2MVBAN7.js";import"./chunks/chunk-JDYDARYH.js";import"./chunks/chunk-XY7QUVLB.js";import{readFile as d}from"node:fs/promises";import{parseArgs as h}from"node:util";var m=`Usage: flux-notify [options]

Reads Flux Alert/Provider manifests and Flux events, matches them as notification-controller
does, and sends the commit statuses and notifications.

  --manifests PATH          manifest file, directory or glob (repeatable; default .)
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
  --json                    print the results as JSON instead of the table
  -h, --help                show this help
`;async function g(s){let e;try{e=h({args:s,options:{manifests:{type:"string",multiple:!0},namespace:{type:"string"},events:{type:"string",multiple:!0},"events-command":{type:"string"},"secrets-file":{type:"string",multiple:!0},secrets:{type:"string"},"github-token":{type:"string"},"rate-limit-interval":{type:"string"},"no-cross-namespace-refs":{type:"boolean"},"dry-run":{type:"boolean"},"fail-on-error":{type:"string"},state:{type:"string"},json:{type:"boolean"},help:{type:"boolean",short:"h"}},strict:!0,allowPositionals:!1}).values}catch(t){return process.stderr.write(`flux-notify: ${t.message}

${m}`),2}if(e.help)return process.stdout.write(m),0;try{let t=[];for(let r of e["secrets-file"]??[])t.push({text:await w(r),label:r});e.secrets&&t.push({text:e.secrets,label:"--secrets"});let o=a({manifests:(e.manifests??[]).join(`
`),namespace:e.namespace??"",events:(e.events??[]).join(`
`),eventsCommand:e["events-command"]??"",secrets:t,githubToken:e["github-token"]??process.env.GITHUB_TOKEN??"",rateLimitInterval:e["rate-limit-interval"]??"",noCrossNamespaceRefs:String(e["no-cross-namespace-refs"]??!1),dryRun:String(e["dry-run"]??!1),failOnError:e["fail-on-error"]??"",state:e.state??"",cwd:process.cwd()}),u=[],n=await l(o,{setSecret:r=>u.push(r),info:r=>process.stderr.write(`${r}
`),env:process.env.GITHUB_ACTIONS==="true"?process.env:{},readStdin:()=>y(process.stdin)});for(let r of n.problems)process.stderr.write(`${c(r)}
`);for(let r of n.warnings)process.stderr.write(`warning: ${r}
`);return e.json?process.stdout.write(`${p(n.decisions).results}
`):process.stdout.write(f(n.decisions,{width:process.stdout.columns})),n.exitCode}catch(t){let o=t instanceof Error?t.message:String(t);return process.stderr.write(`flux-notify: ${o.split(`
`)[0]}
`),2}}async function w(s){try{return await d(s,"utf8")}catch(e){throw new i(`--secrets-file ${s}: ${e.code??"unreadable"}`)}}async function y(s){let e=[];for await(let t of s)e.push(Buffer.from(t));return Buffer.concat(e).toString("utf8")}process.exitCode=await g(process.argv.slice(2));
