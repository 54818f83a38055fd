// The ES module preload: `node --import autoprom/register app.mjs`. The CommonJS preload does
// everything, the ES module hook included (src/module-hook.ts), so that `--require`,
// `--import` and both together behave the same (in the main thread and in any other).
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./register.js');
