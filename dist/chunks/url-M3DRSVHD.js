import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{r as a,s as b}from"./chunk-52D27K75.js";import"./chunk-5HZCQGEP.js";import"./chunk-WPL23CHO.js";import"./chunk-XY7QUVLB.js";export{a as EVENT_URL_TIMEOUT_MS,b as readEventUrl};
