/**
 * The metrics worker thread: it owns autoprom's metrics HTTP server, asks the application
 * thread for collections (plain numbers), serializes, compresses and answers, so that a
 * scrape is answered even while the application's event loop is blocked. It never writes to
 * stdout or stderr itself: warnings go to the application thread, which prints them.
 * Started by worker-host.ts with no preload, no execArgv and an empty environment.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { startMetricsEndpoint } from './endpoint';
import { acceptsGzip, negotiateFormat } from './negotiate';
import { RenderedCollection, type RenderedBody } from './render';
import { setSerializerDiagnostics } from './serialize';
import { SharedCollections } from './shared-collections';
import { decodeCollection, type EncodedCollection } from './snapshot';

export interface WorkerOptions {
  readonly host: string | undefined;
  readonly path: string;
  readonly namespace: string;
  readonly windowMs: number;
  readonly deadlineMs: number;
}

/** Application thread -> worker. */
export type ToWorker =
  /** Take over the port the application thread held while this worker started (then the rest of the range). */
  | { readonly kind: 'listen'; readonly ports: readonly number[]; readonly collection: EncodedCollection | undefined }
  /** Give the port up: the application listens on it. */
  | { readonly kind: 'release' }
  | { readonly kind: 'collected'; readonly id: number; readonly collection: EncodedCollection }
  | { readonly kind: 'failed'; readonly id: number; readonly error: string }
  | {
      readonly kind: 'render';
      readonly id: number;
      readonly collection: EncodedCollection;
      readonly accept: string | undefined;
      readonly acceptEncoding: string | undefined;
    };

/** Worker -> application thread. */
export type FromWorker =
  /** Loaded: ready to take over the port. */
  | { readonly kind: 'ready' }
  | { readonly kind: 'listening'; readonly port: number | undefined }
  /** The port is closed (after a release). */
  | { readonly kind: 'released' }
  | { readonly kind: 'collect'; readonly id: number }
  | {
      readonly kind: 'rendered';
      readonly id: number;
      readonly contentType: string;
      readonly contentEncoding: string | undefined;
      readonly body: Uint8Array;
    }
  | { readonly kind: 'warn'; readonly line: string };

const port = parentPort;
if (port === null) throw new Error('autoprom: export/worker.js runs only as a worker thread');
const options = workerData as WorkerOptions;
const send = (message: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
const warn = (line: string) => send({ kind: 'warn', line });

// Name clashes go to the application thread, in the words its diag logger uses (no api loaded here: 8 MB).
setSerializerDiagnostics({ warn: (m) => warn(`otel warn: ${m}`), error: (m) => warn(`otel error: ${m}`) });

const collections = new SharedCollections<RenderedCollection>({
  windowMs: options.windowMs,
  deadlineMs: options.deadlineMs,
  requestCollection: (id) => send({ kind: 'collect', id }),
});

function respond(req: IncomingMessage, res: ServerResponse, rendered: RenderedBody): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', rendered.contentType);
  if (rendered.contentEncoding !== undefined) res.setHeader('Content-Encoding', rendered.contentEncoding);
  res.setHeader('Vary', 'Accept, Accept-Encoding');
  res.setHeader('Content-Length', rendered.body.length);
  res.end(req.method === 'HEAD' ? undefined : rendered.body);
}

function scrape(req: IncomingMessage, res: ServerResponse): void {
  const format = negotiateFormat(req.headers.accept);
  const gzip = acceptsGzip(req.headers['accept-encoding']);
  collections.scrape((collection, blockedSeconds, error) => {
    try {
      if (error !== undefined) {
        res.statusCode = 500;
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(`# autoprom: metrics collection failed: ${error}\n`);
        return;
      }
      respond(req, res, (collection ?? new RenderedCollection(undefined, options.namespace)).render(format, gzip, blockedSeconds));
    } catch (err) {
      warn(`metrics endpoint: could not answer a scrape: ${(err as Error)?.message ?? String(err)}`);
      res.destroy();
    }
  });
}

/** The worker's server, while it holds the port. */
let listening: Server | undefined;

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'listen': {
      // The collection made at hand-over: what a scrape gets should the loop block before any other.
      if (message.collection !== undefined)
        collections.offer(new RenderedCollection(decodeCollection(message.collection), options.namespace));
      const endpoint = startMetricsEndpoint({ ports: message.ports, host: options.host, path: options.path, handle: scrape, warn });
      listening = endpoint.server;
      void endpoint.port.then((p) => send({ kind: 'listening', port: p }));
      break;
    }
    case 'release':
      // Closing the listening socket frees the port at once; connections already open finish.
      listening?.close();
      listening = undefined;
      send({ kind: 'released' });
      break;
    case 'collected':
      collections.collected(message.id, new RenderedCollection(decodeCollection(message.collection), options.namespace));
      break;
    case 'failed':
      collections.failed(message.id, message.error);
      break;
    case 'render': {
      // The in-app handler: the application thread collected; the worker serializes and compresses.
      const collection = new RenderedCollection(decodeCollection(message.collection), options.namespace);
      collections.offer(collection);
      const r = collection.render(negotiateFormat(message.accept), acceptsGzip(message.acceptEncoding), 0);
      // A copy of its own, moved to the application thread (the cached body stays here).
      const body = new Uint8Array(r.body);
      send({ kind: 'rendered', id: message.id, contentType: r.contentType, contentEncoding: r.contentEncoding, body }, [
        body.buffer as ArrayBuffer,
      ]);
      break;
    }
  }
});

send({ kind: 'ready' });
