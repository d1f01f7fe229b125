import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import"./chunk-XY7QUVLB.js";async function n(e,t,r){return{events:[],problems:[{severity:"error",message:`artifact:${e}: not implemented yet`}],ignored:{nonFlux:0,trace:0}}}export{n as readArtifactEvents};
