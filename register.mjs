// The ES module preload: `node --import autoprom/register app.mjs`. The CommonJS preload does
// everything, the ES module hook included (src/module-hook.ts), so that `--require`,
// `--import` and both together behave the same.
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) createRequire(import.meta.url)('./register.js');
