// ES module app: loads node-redis (or the redis4/redis5 alias) with import, then serves the scripted steps.
import steps from './cache-node-redis-steps.js';

const redis = await import(process.env.AP_NODE_REDIS || 'redis');
steps.serve(redis);
