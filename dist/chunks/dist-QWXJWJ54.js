import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d,e}from"./chunk-YS6BAGEM.js";import"./start-9470DB5D.js";export{a as convertPathToPattern,b as escapePath,d as glob,e as globSync,c as isDynamicPattern};
