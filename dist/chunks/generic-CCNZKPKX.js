import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d}from"./chunk-7GQ4TQ73.js";import"./chunk-MNR7IINF.js";import"./chunk-J2MVBAN7.js";import"./chunk-JDYDARYH.js";import"./chunk-XY7QUVLB.js";export{a as canonicalHeaderKey,c as generic,d as genericHmac,b as hmacSha256Hex};
