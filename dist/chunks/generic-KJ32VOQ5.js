import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d}from"./chunk-IZ5QCYQX.js";import"./chunk-6MIGO2WQ.js";import"./chunk-FSVTC6RY.js";import"./chunk-KEPPT6LZ.js";import"./chunk-JDYDARYH.js";import"./chunk-XY7QUVLB.js";export{a as canonicalHeaderKey,c as generic,d as genericHmac,b as hmacSha256Hex};
