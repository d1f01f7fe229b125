import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c}from"./chunk-L5YLMAAZ.js";import"./chunk-4VIFISEA.js";import"./chunk-KRQNTBNT.js";import"./chunk-J3CTCWO4.js";import"./chunk-J2MVBAN7.js";import"./chunk-JDYDARYH.js";import"./chunk-XY7QUVLB.js";export{a as eventUnixSeconds,c as grafana,b as grafanaBody};
