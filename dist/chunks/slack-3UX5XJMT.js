import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d,e}from"./chunk-YTZRO32S.js";import"./chunk-J2MVBAN7.js";import"./chunk-JDYDARYH.js";import"./chunk-XY7QUVLB.js";export{a as SLACK_POST_MESSAGE_URL,d as checkSlackApiResponse,b as objName,e as slack,c as slackBody};
