import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
var o="postMessage failed: ";function r(e){return e===void 0?{postMessage:!0}:{postMessage:!0,errorPrefix:e}}function p(e,t,s={},n){return{requests:[{method:"POST",url:e,headers:{"Content-Type":"application/json",...s},body:t,...r(n)}]}}export{o as a,r as b,p as c};
