// ES module app: loads ioredis (or the ioredis5 alias) with import, then serves the scripted steps.
import steps from './cache-steps.js';

const { default: Redis } = await import(process.env.AP_IOREDIS || 'ioredis');
steps.serve(Redis);
