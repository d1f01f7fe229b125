import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{c7_d as r}from"./start-9DDA19CE.js";var m="change_request";function c(t){return t==="error"?"\u26A0\uFE0F":"\u2139\uFE0F"}function d(t){let{kind:s="",namespace:a="",name:i=""}=t.involvedObject,e=`## Flux Status

${c(t.severity)} ${s}/${a}/${i}

`;e+=`${t.message}

Metadata:
`;let o=t.metadata??{};for(let n of r(Object.keys(o)))n!==m&&(e+=`* \`${n}\`: ${o[n]}
`);return e}export{m as a,d as b};
