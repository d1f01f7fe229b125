import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{b as a,c as b,d as c,e as d,f as e}from"./chunk-TJHVWMZM.js";import"./chunk-QZ3HXNKD.js";import"./chunk-T37XUIR2.js";import"./chunk-XY7QUVLB.js";export{d as GitHub,b as context,c as defaults,e as getOctokitOptions,a as getUserAgentWithOrchestrationId};
