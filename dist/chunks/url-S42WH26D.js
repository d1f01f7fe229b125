import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b}from"./chunk-J4VYZHJC.js";import"./chunk-2CRCMDR6.js";import"./chunk-BD7Z5SMG.js";import"./chunk-NZFBHKDD.js";import"./chunk-LA7SXQJU.js";import"./chunk-XY7QUVLB.js";export{a as EVENT_URL_TIMEOUT_MS,b as readEventUrl};
