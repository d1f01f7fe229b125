import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
function r(e,t){return`${e}/${t}`}export{r as a};
