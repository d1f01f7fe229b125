import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d,e}from"./chunk-K5TMMIR5.js";import"./chunk-LG24D5AL.js";import"./start-9DDA19CE.js";export{a as EVENTS_COMMAND_LABEL,c as MAX_COMMAND_OUTPUT_BYTES,e as lastLines,b as readEventsCommand,d as runShellCommand};
