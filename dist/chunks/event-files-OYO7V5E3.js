import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d}from"./chunk-3SXUY7MP.js";import"./chunk-WN5RKA36.js";import"./chunk-YS6BAGEM.js";import"./start-1061FD79.js";export{a as MAX_EVENT_SOURCE_BYTES,b as STDIN_LABEL,c as readEventFiles,d as readTextFileLimited};
