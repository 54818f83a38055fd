/**
 * The metrics endpoint never takes a port the application is about to listen on. autoprom
 * counts the port as its own from the preload on (the metrics worker binds it on the first turn
 * of the event loop); should the application listen on that same port (an app that serves on
 * 9464 itself), autoprom gives the port up first, or never binds it, and the application's
 * `listen` goes ahead as it would without autoprom (one stderr line says so; `metricsHandler`
 * still serves in-app). The application's `listen` is deferred by the moment the port takes to
 * close: its result and events are what they would be, a moment later.
 */
import { Server } from 'node:net';
import { internalError, warn } from '../core/log';
import { patchMethod, type AnyFunction } from '../core/patch';

/** What the patch needs of the endpoint: the port it holds, and a way to give it up. */
export interface YieldingEndpoint {
  heldPort(): number | undefined;
  release(): Promise<void>;
}

/** The TCP port a `listen(…)` call asks for, or undefined (a pipe, a handle, port 0, no port). */
export function requestedPort(args: readonly unknown[]): number | undefined {
  let p: unknown = args[0];
  if (p !== null && typeof p === 'object') {
    const options = p as { port?: unknown; path?: unknown; fd?: unknown; handle?: unknown; _handle?: unknown };
    if (options.path !== undefined || options.fd !== undefined || options.handle !== undefined || options._handle !== undefined)
      return undefined;
    p = options.port;
  }
  if (typeof p === 'string' && /^\d{1,5}$/.test(p)) p = Number(p);
  return typeof p === 'number' && Number.isInteger(p) && p > 0 && p <= 65535 ? p : undefined;
}

/** Patch `net.Server#listen` (http, https and every framework listen through it) for `endpoint`. */
export function yieldPortToApplication(endpoint: YieldingEndpoint, ownServers: ReadonlySet<object>): void {
  patchMethod(
    Server.prototype,
    'listen',
    (original: AnyFunction) =>
      function listen(this: Server, ...args: unknown[]) {
        let held: number | undefined;
        try {
          held = ownServers.has(this) ? undefined : endpoint.heldPort();
          if (held === undefined || requestedPort(args) !== held) return original.apply(this, args);
          warn(
            `the application listens on port ${held}, autoprom's metrics port: the metrics endpoint gave it up (set PROMETHEUS_METRICS_EXPORT_PORT or PROMETHEUS_METRICS_EXPORT_PORT_RANGE to a port the application does not use; metricsHandler still serves inside the app)`,
          );
        } catch (err) {
          internalError('the metrics port check of listen()', err);
          return original.apply(this, args);
        }
        const go = () => {
          try {
            original.apply(this, args);
          } catch (err) {
            // What listen() would have thrown at once (bad arguments) reaches the server's error listeners.
            this.emit('error', err);
          }
        };
        endpoint.release().then(go, go);
        return this;
      },
  );
}
