import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
function r(e,t,n={}){return{requests:[{method:"POST",url:e,headers:{"Content-Type":"application/json",...n},body:t}]}}export{r as a};
