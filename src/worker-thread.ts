/**
 * The preload in a thread other than the main one: an application's own `worker_threads`
 * worker (or Node's module-hooks thread). autoprom measures the main thread only: the patches
 * and diagnostics channels it installs there do not reach another thread's http, pg or Redis.
 * So that a server here is not silently left out, its first `listen` says so, once per thread,
 * and the patch is taken off again. Nothing else is loaded in such a thread.
 */
import { Server } from 'node:net';
import { threadId } from 'node:worker_threads';
import { warn } from './core/log';
import { patchMethod, unpatchMethod, type AnyFunction } from './core/patch';

export function noteServersInThread(): void {
  try {
    patchMethod(
      Server.prototype,
      'listen',
      (original: AnyFunction) =>
        function listen(this: Server, ...args: unknown[]) {
          try {
            unpatchMethod(Server.prototype, 'listen');
            warn(
              `a server listens in worker thread ${threadId}: its requests are not measured (autoprom measures the main thread's servers, database and cache clients only)`,
            );
          } catch {
            // Saying so never changes what the application's listen does.
          }
          return original.apply(this, args);
        },
    );
  } catch {
    // The application runs on as without autoprom.
  }
}
