import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import"./start-9DDA19CE.js";import{setFlagsFromString as o}from"node:v8";var t=50;function e(){o(`--heap-growing-percent=${t}`)}export{t as HEAP_GROWING_PERCENT,e as limitHeapGrowth};
