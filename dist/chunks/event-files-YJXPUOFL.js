import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d}from"./chunk-4BE33CMK.js";import"./chunk-LG24D5AL.js";import"./chunk-YS6BAGEM.js";import"./start-9470DB5D.js";export{a as MAX_EVENT_SOURCE_BYTES,b as STDIN_LABEL,c as readEventFiles,d as readTextFileLimited};
