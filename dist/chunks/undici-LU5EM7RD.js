import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a}from"./chunk-BOJWNHIZ.js";import"./start-9470DB5D.js";export default a();
