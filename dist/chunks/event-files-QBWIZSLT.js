import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d}from"./chunk-UOXZOHYZ.js";import"./chunk-LG24D5AL.js";import"./start-9DDA19CE.js";export{a as MAX_EVENT_SOURCE_BYTES,b as STDIN_LABEL,c as readEventFiles,d as readTextFileLimited};
