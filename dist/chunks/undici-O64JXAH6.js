import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a}from"./chunk-HREFLPLK.js";import"./chunk-XY7QUVLB.js";export default a();
