import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b}from"./chunk-33HTK4LM.js";import"./chunk-C4S5JLUU.js";import"./chunk-BD7Z5SMG.js";import"./chunk-NZFBHKDD.js";import"./chunk-LA7SXQJU.js";import"./chunk-XY7QUVLB.js";export{a as EVENT_URL_TIMEOUT_MS,b as readEventUrl};
