// CommonJS app: loads node-redis (or the redis4/redis5 alias) with require, then serves the scripted steps.
'use strict';
const redis = require(process.env.AP_NODE_REDIS || 'redis');
require('./cache-node-redis-steps.js').serve(redis);
