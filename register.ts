/**
 * The preload: `node --require autoprom/register app.js`. Node also runs `--require`
 * preloads inside the module-loader hooks thread and the application's worker threads; only
 * the main thread starts autoprom (another thread only notes a server it cannot measure), and
 * never in a package manager that only launches the application (src/launcher.ts).
 */
import { isMainThread } from 'node:worker_threads';
import { isPackageManagerLauncher } from './src/launcher';

if (!isMainThread) {
  // An application's worker thread: a server there is not measured, and says so.
  (require('./src/worker-thread') as typeof import('./src/worker-thread')).noteServersInThread();
} else if (!isPackageManagerLauncher(process.argv[1])) {
  try {
    (require('./src/preload') as typeof import('./src/preload')).start();
  } catch (err) {
    process.stderr.write(`autoprom: could not start (the application runs on unmeasured): ${String(err)}\n`);
  }
}
