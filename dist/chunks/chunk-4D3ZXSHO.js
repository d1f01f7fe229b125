import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{createHash as e}from"node:crypto";function n(r,i){return e("sha256").update(`${r}/${i}`).digest("hex").slice(0,8)}function t(r){return r.uid||n(r.namespace,r.name)}export{t as a};
