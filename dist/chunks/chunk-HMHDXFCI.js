import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
var t="event.toolkit.fluxcd.io";function r(e){if(!e)return"";let n=e.indexOf("/");return n<0||e.indexOf("/",n+1)>=0?"":e.slice(0,n)}function i(e){return`${e.kind??""}/${e.namespace??""}/${e.name??""}`}export{t as a,r as b,i as c};
