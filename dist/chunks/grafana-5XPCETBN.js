import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c}from"./chunk-6EDEIUT3.js";import"./chunk-3UGHOPLV.js";import"./chunk-7XV56YY4.js";import"./chunk-J3CTCWO4.js";import"./chunk-FSVTC6RY.js";import"./start-9DDA19CE.js";export{a as eventUnixSeconds,c as grafana,b as grafanaBody};
