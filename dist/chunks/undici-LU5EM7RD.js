import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a}from"./chunk-BOJWNHIZ.js";import"./start-9DDA19CE.js";export default a();
