import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a}from"./chunk-BOJWNHIZ.js";import"./start-D44FE6A2.js";export default a();
