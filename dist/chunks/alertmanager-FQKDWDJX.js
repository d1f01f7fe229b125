import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d,e,f}from"./chunk-3UGHOPLV.js";import"./chunk-FSVTC6RY.js";import"./start-9DDA19CE.js";export{a as GO_ZERO_TIME_RFC3339,f as alertmanager,d as alertmanagerBody,e as basicAuthorization,b as eventTimeRfc3339,c as goTitle};
