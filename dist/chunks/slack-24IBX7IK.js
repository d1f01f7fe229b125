import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d,e,f}from"./chunk-7XV56YY4.js";import"./chunk-J3CTCWO4.js";import"./chunk-FSVTC6RY.js";import"./start-9DDA19CE.js";export{a as SLACK_POST_MESSAGE_URL,c as SLACK_TEXT_LIMIT,e as checkSlackApiResponse,b as objName,f as slack,d as slackBody};
