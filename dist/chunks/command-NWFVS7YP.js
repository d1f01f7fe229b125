import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d,e}from"./chunk-UJNUFK5U.js";import"./chunk-WN5RKA36.js";import"./start-1061FD79.js";export{a as EVENTS_COMMAND_LABEL,c as MAX_COMMAND_OUTPUT_BYTES,e as lastLines,b as readEventsCommand,d as runShellCommand};
