import { pathOf } from '../core/url';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { warn } from '../core/log';

export interface MetricsEndpointOptions {
  /** Ports to try in order; the first free one wins. */
  readonly ports: readonly number[];
  /** undefined: all interfaces. */
  readonly host: string | undefined;
  readonly path: string;
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Where a busy port is reported (default: autoprom's stderr line). */
  readonly warn?: (line: string) => void;
  /** Told of each port as it is tried, and undefined once none is held (every port busy, or closed). */
  readonly onAttempt?: (port: number | undefined) => void;
  /** autoprom's own servers (never the application's): this one joins them before it listens. */
  readonly ownServers?: Set<object>;
}

export interface MetricsEndpoint {
  readonly server: Server;
  /** The port it listens on, once listening; undefined when every port was busy. */
  readonly port: Promise<number | undefined>;
  /** The port it is binding or has bound right now (listen with a host resolves it first), if any. */
  attempted(): number | undefined;
  /** Give the port up: no further port of the range is tried; resolves once the port is free. */
  close(): Promise<void>;
}

/**
 * The port the metrics worker holds, shared with the application thread (an Int32Array on a
 * SharedArrayBuffer), so that the application's `listen` can tell at once whether it asks for
 * autoprom's port (port-yield.ts): the port being bound or held (0: none), and 1 once the
 * application thread has asked for the port to be given up.
 */
export const PORT_STATE_HELD = 0;
export const PORT_STATE_RELEASED = 1;

/** Connections the endpoint holds at once; more are closed as they arrive (Prometheus needs one per target). */
export const MAX_CONNECTIONS = 64;
/** A connection that sends no complete request for this long is closed. */
export const IDLE_TIMEOUT_MS = 10_000;

/**
 * autoprom's own HTTP server for the metrics endpoint: in the metrics worker thread
 * (worker-host.ts), on the application thread only when no worker can run, and in the
 * aggregator process. It never keeps the process alive (unref), and a busy port is a warning,
 * never a crash: with a range, the next port is tried.
 */
export function startMetricsEndpoint(options: MetricsEndpointOptions): MetricsEndpoint {
  const report = options.warn ?? warn;
  const server = createServer((req, res) => {
    if (pathOf(req.url) === options.path && (req.method === 'GET' || req.method === 'HEAD')) {
      options.handle(req, res);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  options.ownServers?.add(server);
  server.unref();
  // Keep-alive scrapes must not hold the process open either.
  server.on('connection', (socket) => socket.unref());
  // The endpoint never takes the application's file descriptors: a bounded number of connections,
  // and an idle one (a client that connects and sends nothing) is closed after a while.
  server.maxConnections = MAX_CONNECTIONS;
  server.timeout = IDLE_TIMEOUT_MS;
  server.headersTimeout = IDLE_TIMEOUT_MS;
  server.requestTimeout = IDLE_TIMEOUT_MS;

  let attempting: number | undefined;
  let closed = false;
  const attempt = (p: number | undefined) => {
    attempting = p;
    options.onAttempt?.(p);
  };
  const port = new Promise<number | undefined>((resolve) => {
    let i = 0;
    const where = (p: number) => `${options.host ?? '0.0.0.0'}:${p}`;
    const tryNext = () => {
      const p = options.ports[i];
      attempt(p);
      server.listen({ port: p, host: options.host, exclusive: true });
    };
    server.on('listening', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : options.ports[i]);
    });
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (server.listening) return; // errors after listening are the client's problem, not ours
      const busy = err.code === 'EADDRINUSE' || err.code === 'EACCES';
      if (closed) {
        attempt(undefined);
        resolve(undefined);
        return;
      }
      if (busy && i + 1 < options.ports.length) {
        i++;
        tryNext();
        return;
      }
      if (options.ports.length > 1) {
        report(
          `no free port in PROMETHEUS_METRICS_EXPORT_PORT_RANGE (${options.ports[0]}-${options.ports[options.ports.length - 1]}, last error ${err.code ?? err.message}); metrics endpoint not started, the application runs on`,
        );
      } else {
        report(
          `cannot listen on ${where(options.ports[0])} (${err.code ?? err.message}); metrics endpoint not started, the application runs on`,
        );
      }
      attempt(undefined);
      resolve(undefined);
    });
    tryNext();
  });
  const close = (): Promise<void> => {
    closed = true;
    // Once its bind has landed (listen with a host looks the host up first), closing the
    // listening socket frees the port at once; connections already open finish.
    return port.then((p) => {
      if (p !== undefined && server.listening) server.close();
      attempt(undefined);
    });
  };
  return { server, port, attempted: () => attempting, close };
}
