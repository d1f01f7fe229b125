import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a as t,e as o,f as n}from"./chunk-BQOCBEPH.js";import"./chunk-P4QFP47T.js";import"./chunk-ZFMNFQUM.js";import"./chunk-HREFLPLK.js";import"./chunk-XY7QUVLB.js";var x=new t;function s(e,i,...r){let c=o.plugin(...r);return new c(n(e,i))}export{x as context,s as getOctokit};
