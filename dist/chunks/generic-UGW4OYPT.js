import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d}from"./chunk-EVF36YPP.js";import"./chunk-XCAP6SQO.js";import"./chunk-FSVTC6RY.js";import"./start-9DDA19CE.js";export{a as canonicalHeaderKey,c as generic,d as genericHmac,b as hmacSha256Hex};
