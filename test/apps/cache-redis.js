// CommonJS app: loads ioredis (or the ioredis5 alias) with require, then serves the scripted steps.
'use strict';
const Redis = require(process.env.AP_IOREDIS || 'ioredis');
require('./cache-steps.js').serve(Redis);
