import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d,e,f}from"./chunk-ASIS53VS.js";import"./chunk-KEPPT6LZ.js";import"./chunk-JDYDARYH.js";import"./chunk-XY7QUVLB.js";export{a as GO_ZERO_TIME_RFC3339,f as alertmanager,d as alertmanagerBody,e as basicAuthorization,b as eventTimeRfc3339,c as goTitle};
