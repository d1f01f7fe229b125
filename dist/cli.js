#!/usr/bin/env node
import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{e as i,f as a,h as l,j as p,l as c,p as m,q as d}from"./chunks/chunk-B6TLG25B.js";import"./chunks/chunk-J4VYZHJC.js";import"./chunks/chunk-2CRCMDR6.js";import"./chunks/chunk-4D3ZXSHO.js";import"./chunks/chunk-KD7DJ7QC.js";import"./chunks/chunk-7TVBTN2I.js";import"./chunks/chunk-MNR7IINF.js";import"./chunks/chunk-4CKMHRNL.js";import"./chunks/chunk-7U7RJZIH.js";import"./chunks/chunk-MI7KVY3Y.js";import"./chunks/chunk-5ACYMRY2.js";import"./chunks/chunk-BD7Z5SMG.js";import"./chunks/chunk-HZKTACTZ.js";import"./chunks/chunk-2GK4F3PP.js";import"./chunks/chunk-SI4I4Q4V.js";import"./chunks/chunk-MUZKCZNV.js";import"./chunks/chunk-NZFBHKDD.js";import"./chunks/chunk-LA7SXQJU.js";import"./chunks/chunk-J2MVBAN7.js";import"./chunks/chunk-JDYDARYH.js";import"./chunks/chunk-XY7QUVLB.js";import{readFile as w}from"node:fs/promises";import{parseArgs as h}from"node:util";var u=`Usage: flux-notify [options]

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
  --wait-for-revision REV   poll mode: re-read the events until the awaited objects
                            reconciled this commit (a SHA or main@sha1:<sha>)
  --wait-for OBJ            Kind/namespace/name or Kind/name to wait for (repeatable;
                            default: the named sources of commit-status alerts)
  --poll-interval D         time between reads in poll mode (default 15s)
  --timeout D               how long poll mode waits (default 10m)
  --json                    print the results as JSON instead of the table
  -h, --help                show this help
`;async function g(n){let e;try{e=h({args:n,options:{manifests:{type:"string",multiple:!0},namespace:{type:"string"},events:{type:"string",multiple:!0},"events-command":{type:"string"},"secrets-file":{type:"string",multiple:!0},secrets:{type:"string"},"github-token":{type:"string"},"rate-limit-interval":{type:"string"},"no-cross-namespace-refs":{type:"boolean"},"dry-run":{type:"boolean"},"fail-on-error":{type:"string"},state:{type:"string"},"wait-for-revision":{type:"string"},"wait-for":{type:"string",multiple:!0},"poll-interval":{type:"string"},timeout:{type:"string"},json:{type:"boolean"},help:{type:"boolean",short:"h"}},strict:!0,allowPositionals:!1}).values}catch(r){return process.stderr.write(`flux-notify: ${r.message}

${u}`),2}if(e.help)return process.stdout.write(u),0;try{let r=[];for(let t of e["secrets-file"]??[])r.push({text:await v(t),label:t});e.secrets&&r.push({text:e.secrets,label:"--secrets"});let o=a({manifests:(e.manifests??[]).join(`
`),namespace:e.namespace??"",events:(e.events??[]).join(`
`),eventsCommand:e["events-command"]??"",secrets:r,githubToken:e["github-token"]??process.env.GITHUB_TOKEN??"",rateLimitInterval:e["rate-limit-interval"]??"",noCrossNamespaceRefs:String(e["no-cross-namespace-refs"]??!1),dryRun:String(e["dry-run"]??!1),failOnError:e["fail-on-error"]??"",state:e.state??"",waitForRevision:e["wait-for-revision"]??"",waitFor:(e["wait-for"]??[]).join(`
`),pollInterval:e["poll-interval"]??"",timeout:e.timeout??"",cwd:process.cwd()}),f=[],s=await l(o,{setSecret:t=>f.push(t),info:t=>process.stderr.write(`${t}
`),env:process.env.GITHUB_ACTIONS==="true"?process.env:{},readStdin:async()=>process.stdin});for(let t of s.problems)process.stderr.write(`${p(t)}
`);for(let t of s.warnings)process.stderr.write(`warning: ${t}
`);return s.poll&&process.stderr.write(d(s.poll)),e.json?process.stdout.write(`${c(s.decisions).results}
`):process.stdout.write(m(s.decisions,{width:process.stdout.columns})),s.exitCode}catch(r){let o=r instanceof Error?r.message:String(r);return process.stderr.write(`flux-notify: ${o.split(`
`)[0]}
`),2}}async function v(n){try{return await w(n,"utf8")}catch(e){throw new i(`--secrets-file ${n}: ${e.code??"unreadable"}`)}}process.exitCode=await g(process.argv.slice(2));
