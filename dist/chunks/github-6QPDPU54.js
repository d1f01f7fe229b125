import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a as t,e as o,f as n}from"./chunk-4IL5W5TT.js";import"./chunk-T37XUIR2.js";import"./chunk-5VXZ7LDQ.js";import"./chunk-BOJWNHIZ.js";import"./start-9DDA19CE.js";var x=new t;function s(e,i,...r){let c=o.plugin(...r);return new c(n(e,i))}export{x as context,s as getOctokit};
