import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
function o(n){let t=n.default;return t!==null&&typeof t=="object"?t:n}export{o as a};
