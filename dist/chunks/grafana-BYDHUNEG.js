import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c}from"./chunk-IYJEZNER.js";import"./chunk-ASIS53VS.js";import"./chunk-DTRKKVFL.js";import"./chunk-J3CTCWO4.js";import"./chunk-KEPPT6LZ.js";import"./chunk-JDYDARYH.js";import"./chunk-XY7QUVLB.js";export{a as eventUnixSeconds,c as grafana,b as grafanaBody};
