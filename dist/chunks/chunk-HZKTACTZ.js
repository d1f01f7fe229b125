import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
function o(e){return e.token!==""?e.token:e.password}function r(e,n){return o(e)===""?`${n} token cannot be empty`:void 0}export{o as a,r as b};
