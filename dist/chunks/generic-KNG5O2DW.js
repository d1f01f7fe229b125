import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d}from"./chunk-U5VQ7FHK.js";import"./chunk-XCAP6SQO.js";import"./chunk-FSVTC6RY.js";import"./chunk-PZKTMH3Q.js";import"./chunk-JDYDARYH.js";import"./chunk-XY7QUVLB.js";export{a as canonicalHeaderKey,c as generic,d as genericHmac,b as hmacSha256Hex};
