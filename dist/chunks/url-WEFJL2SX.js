import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{k as a,l as b}from"./chunk-UHV7RX43.js";import"./chunk-5HZCQGEP.js";import"./chunk-WPL23CHO.js";import"./chunk-XY7QUVLB.js";export{a as EVENT_URL_TIMEOUT_MS,b as readEventUrl};
