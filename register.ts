/**
 * The preload: `node --require autoprom/register app.js`. Node also runs `--require`
 * preloads inside the module-loader hooks thread; only the main thread starts autoprom.
 */
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  try {
    (require('./src/preload') as typeof import('./src/preload')).start();
  } catch (err) {
    process.stderr.write(`autoprom: could not start (the application runs on unmeasured): ${String(err)}\n`);
  }
}
