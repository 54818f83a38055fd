/**
 * The application thread's side of the metrics endpoint.
 *
 * The metrics worker starts on the first turn of the event loop (unref'd, no preload, no
 * environment, stdout discarded) and takes the port itself (first free port of the range, a
 * busy port is one warning): one listener for the process's life, so no scrape ever finds the
 * port changing hands. The worker answers every scrape by asking this thread only for numbers.
 * The port it binds is shared memory, set from the preload on, so that the application's
 * `listen` on that port is seen at once (port-yield.ts). This thread also prints the worker's
 * warnings and serves the in-app handler through it. It serves and serializes itself only when
 * no worker can run.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Worker } from 'node:worker_threads';
import { warn } from '../core/log';
import { packageFile } from '../core/package-root';
import { busyPortReporter, groupSocketPath, hostKey, type GroupIdentity } from './group';
import { PORT_STATE_HELD, PORT_STATE_RELEASED, startMetricsEndpoint, type MetricsEndpoint } from './endpoint';
import type { Exposition, Gathered } from './exposition';
import { acceptsGzip, negotiateFormat } from './negotiate';
import { RenderedCollection } from './render';
import { transferList, type EncodedCollection } from './snapshot';
import type { FromWorker, ToWorker, WorkerOptions } from './worker';

/** Scrapes that arrive within this long of the last collection's start share the next one. */
export const SHARING_WINDOW_MS = 250;
/** A scrape waits this long for the application thread before it gets the last collection. */
export const ANSWER_DEADLINE_MS = 600;
/** A scrape of a service's sum waits this long for each other process (then takes its last numbers). */
export const GROUP_DEADLINE_MS = 800;
/** The aggregator process (no primary with autoprom) ends once no worker has been joined for this long. */
export const AGGREGATOR_IDLE_MS = 60_000;
/**
 * The worker's young generation is capped: rendering a large collection allocates megabytes of
 * short-lived strings, and V8 would otherwise grow it to its default maximum and keep those pages
 * (bench: 14k series scraped 30 times, the process's RSS 177 → 147 MB), at about the same render time.
 */
export const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8 } as const;

export interface MetricsWorkerOptions {
  readonly ports: readonly number[];
  readonly host: string | undefined;
  readonly path: string;
  readonly namespace: string;
  /** Open autoprom's own port (false: the worker starts on the first in-app scrape). */
  readonly listen: boolean;
  /** Sum this process's node:cluster workers on its port (one port configured, no range). */
  readonly group: boolean;
  /** This process is a worker of a service (node:cluster, PM2): it joins the process serving the port. */
  readonly member: GroupIdentity | undefined;
  /** autoprom's own servers, whose requests are never the application's: a server this thread runs is added. */
  readonly ownServers?: Set<object>;
}

type Reply = (message: Extract<FromWorker, { kind: 'rendered' }> | undefined) => void;

export class MetricsWorker {
  /** The port autoprom's endpoint listens on; undefined when it does not (busy, off, given up, or a worker of a service). */
  get boundPort(): Promise<number | undefined> {
    return this.port;
  }
  readonly port: Promise<number | undefined>;
  private resolvePort: (port: number | undefined) => void = () => undefined;
  private worker: Worker | undefined;
  /** The worker could not start or has ended: this thread serializes instead. */
  private unavailable = false;
  /** Shared with the worker: the port it binds or holds, and whether it was given up (endpoint.ts). */
  private readonly portState: Int32Array | undefined;
  /** Whether the worker listens, once it has said (undefined until then). */
  private workerListens: boolean | undefined;
  /** This thread's own server, only when no worker can run. */
  private local: MetricsEndpoint | undefined;
  /** The port was given up to the application (it listens on it): never taken again. */
  private released = false;
  private onReleased: (() => void) | undefined;
  private readonly replies = new Map<number, Reply>();
  private nextRender = 1;
  /** A worker process: the pid of the process that sums its numbers on the port, once joined. */
  readonly joined: Promise<number>;
  private resolveJoined: (pid: number) => void = () => undefined;

  constructor(
    private readonly exposition: Exposition,
    private readonly options: MetricsWorkerOptions,
  ) {
    this.port = new Promise((resolve) => (this.resolvePort = resolve));
    this.joined = new Promise((resolve) => (this.resolveJoined = resolve));
    if (!options.listen) {
      this.resolvePort(undefined);
      return;
    }
    if (options.member !== undefined) {
      // A worker of a service: it never takes the port; its worker thread joins whoever serves it.
      this.resolvePort(undefined);
      setImmediate(() => this.start()).unref();
      return;
    }
    // The port is as good as taken from now: the application's listen on it is seen (port-yield.ts).
    const state = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    Atomics.store(state, PORT_STATE_HELD, options.ports[0]);
    this.portState = state;
    // The worker starts on the first turn of the event loop, not during the application's own
    // start-up: its boot does not compete with it, and a process that ends at once never starts
    // one (nor binds the port). It binds the port as soon as it has loaded.
    setImmediate(() => {
      if (!this.released) this.start();
    }).unref();
  }

  private start(): Worker | undefined {
    if (this.worker !== undefined || this.unavailable) return this.worker;
    const workerData: { -readonly [K in keyof WorkerOptions]: WorkerOptions[K] } = {
      host: this.options.host,
      path: this.options.path,
      namespace: this.options.namespace,
      windowMs: SHARING_WINDOW_MS,
      deadlineMs: ANSWER_DEADLINE_MS,
      groupDeadlineMs: GROUP_DEADLINE_MS,
    };
    const port = this.options.ports[0];
    if (this.options.listen && this.options.member !== undefined) {
      const member = this.options.member;
      const socketPath = groupSocketPath(port);
      workerData.member = {
        socketPath,
        identity: member,
        port,
        aggregator: {
          script: packageFile('export', 'aggregator.js'),
          options: {
            port,
            host: this.options.host,
            path: this.options.path,
            namespace: this.options.namespace,
            key: member.key,
            anchorPid: member.anchorPid,
            socketPath,
            windowMs: SHARING_WINDOW_MS,
            deadlineMs: GROUP_DEADLINE_MS,
            idleMs: AGGREGATOR_IDLE_MS,
          },
        },
      };
    } else if (this.portState !== undefined) {
      workerData.listen = { ports: this.options.ports, state: this.portState };
      if (this.options.group) workerData.hostGroup = { socketPath: groupSocketPath(port), key: hostKey(process.pid) };
    }
    let worker: Worker;
    try {
      // No execArgv and no environment: the application's --require/--import preloads (and
      // NODE_OPTIONS) stay out of the worker, which loads only what it serves with.
      worker = new Worker(packageFile('export', 'worker.js'), {
        workerData,
        resourceLimits: WORKER_LIMITS,
        execArgv: [],
        env: {},
        stdout: true,
        stderr: false,
        name: 'autoprom metrics',
      });
    } catch (err) {
      this.fail(
        `could not start the metrics worker (${(err as Error)?.message ?? String(err)}); the endpoint is served from the application thread`,
      );
      return undefined;
    }
    // stdout: true and never read: the worker prints nothing, and if anything ever did, it would
    // not reach the application's stdout (reading the stream would keep the process alive).
    worker.on('message', (message: FromWorker) => this.onMessage(worker, message));
    worker.on('error', (err) => this.fail(`the metrics worker failed (${err?.message ?? String(err)}); the application runs on`));
    worker.on('exit', () => this.fail(undefined));
    // After the listeners (adding a 'message' listener refs the worker again): it never keeps the process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** The port autoprom holds or is binding (the worker's, or this thread's server), if any. */
  heldPort(): number | undefined {
    if (this.released) return undefined;
    if (this.local !== undefined) return this.local.attempted();
    const held = this.portState === undefined ? 0 : Atomics.load(this.portState, PORT_STATE_HELD);
    return held === 0 ? undefined : held;
  }

  /**
   * Give the port up because the application is about to listen on it: the worker closes its
   * server (or never binds it), or this thread closes its own. Resolves once the port is free
   * (at most a second).
   */
  release(): Promise<void> {
    if (this.released) return Promise.resolve();
    this.released = true;
    if (this.portState !== undefined) Atomics.store(this.portState, PORT_STATE_RELEASED, 1);
    this.resolvePort(undefined);
    const local = this.local;
    if (local !== undefined) {
      this.local = undefined;
      return local.close();
    }
    const worker = this.worker;
    if (worker === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // Referenced: the application's listen waits on it, and would keep the process alive itself.
      const timer = setTimeout(resolve, 1000);
      this.onReleased = () => {
        clearTimeout(timer);
        resolve();
      };
      this.post(worker, { kind: 'release' });
    });
  }

  private fail(line: string | undefined): void {
    if (this.unavailable) return;
    if (line !== undefined) warn(line);
    this.unavailable = true;
    this.worker = undefined;
    for (const reply of this.replies.values()) reply(undefined);
    this.replies.clear();
    // The released wait ends: the worker's server went with it.
    this.onReleased?.();
    this.onReleased = undefined;
    // The port the worker would have served (or served until it failed) is served from here.
    if (this.portState !== undefined && !this.released && this.workerListens !== false) this.serveHere();
    else this.resolvePort(undefined);
  }

  /** No worker: this thread takes the port itself, as the worker would have. */
  private serveHere(): void {
    const ports = this.options.ports;
    const local = startMetricsEndpoint({
      ports,
      host: this.options.host,
      path: this.options.path,
      handle: (req, res) => this.renderHere(req, res),
      warn: busyPortReporter(ports, warn),
      ownServers: this.options.ownServers,
    });
    this.local = local;
    void local.port.then((p) => this.resolvePort(this.released ? undefined : p));
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    switch (message.kind) {
      case 'collect': {
        // What the collection cost this thread (collecting and encoding): the worker's sharing window follows it.
        const started = performance.now();
        this.exposition.gather().then(
          (gathered) => {
            const collection = this.encode(gathered);
            const costMs = performance.now() - started;
            if (collection === undefined || !this.post(worker, { kind: 'collected', id: message.id, collection, costMs }))
              this.post(worker, { kind: 'failed', id: message.id, error: 'the collection could not be handed to the metrics worker' });
          },
          (err: unknown) => this.post(worker, { kind: 'failed', id: message.id, error: String(err) }),
        );
        break;
      }
      case 'resend': {
        // The worker's label dictionary lost step: post every label value again.
        this.exposition.resendLabels();
        if (message.render === undefined) break;
        const reply = this.replies.get(message.render);
        this.replies.delete(message.render);
        reply?.(undefined);
        break;
      }
      case 'listening':
        this.workerListens = message.port !== undefined;
        this.resolvePort(message.port);
        break;
      case 'joined':
        this.resolveJoined(message.hostPid);
        break;
      case 'released':
        this.onReleased?.();
        this.onReleased = undefined;
        break;
      case 'rendered': {
        const reply = this.replies.get(message.id);
        this.replies.delete(message.id);
        reply?.(message);
        break;
      }
      case 'warn':
        warn(message.line);
        break;
    }
  }

  /** The Registry's numbers as of now with the rest of a collection, for posting at once (undefined: could not be encoded, already said). */
  private encode(gathered: Gathered): EncodedCollection | undefined {
    try {
      return this.exposition.encode(gathered);
    } catch (err) {
      warn(`could not encode a collection for the metrics worker: ${(err as Error)?.message ?? String(err)}`);
      this.exposition.resendLabels();
      return undefined;
    }
  }

  /** postMessage that never throws into the application; a collection that could not be posted is posted in full next time. */
  private post(worker: Worker, message: ToWorker): boolean {
    if (post(worker, message)) return true;
    if ('collection' in message && message.collection !== undefined) this.exposition.resendLabels();
    return false;
  }

  /** Collect and render on this thread: the fallback without a worker. */
  private renderHere(req: IncomingMessage, res: ServerResponse): void {
    this.exposition.collect().then(
      (collection) => {
        const r = new RenderedCollection(collection, this.options.namespace).render(
          negotiateFormat(req.headers.accept),
          acceptsGzip(req.headers['accept-encoding']),
          0,
        );
        answer(req, res, r.contentType, r.contentEncoding, r.body);
      },
      (err: unknown) => collectionFailed(res, err),
    );
  }

  /** The in-app handler: collect here, serialize and compress in the worker, answer here. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const worker = this.start();
    if (worker === undefined) {
      this.renderHere(req, res);
      return;
    }
    this.exposition.gather().then(
      (gathered) => {
        const here = () => {
          const r = new RenderedCollection(this.exposition.plain(gathered), this.options.namespace).render(
            negotiateFormat(req.headers.accept),
            acceptsGzip(req.headers['accept-encoding']),
            0,
          );
          answer(req, res, r.contentType, r.contentEncoding, r.body);
        };
        if (this.unavailable) return here();
        const collection = this.encode(gathered);
        if (collection === undefined) return here();
        const id = this.nextRender++;
        this.replies.set(id, (m) => (m === undefined ? here() : answer(req, res, m.contentType, m.contentEncoding, m.body)));
        if (
          !this.post(worker, {
            kind: 'render',
            id,
            collection,
            accept: req.headers.accept,
            acceptEncoding: req.headers['accept-encoding'],
          })
        ) {
          this.replies.delete(id);
          here();
        }
      },
      (err: unknown) => collectionFailed(res, err),
    );
  };
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  contentType: string,
  contentEncoding: string | undefined,
  body: Uint8Array,
): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', contentType);
  if (contentEncoding !== undefined) res.setHeader('Content-Encoding', contentEncoding);
  res.setHeader('Vary', 'Accept, Accept-Encoding');
  res.end(req.method === 'HEAD' ? undefined : body);
}

function collectionFailed(res: ServerResponse, err: unknown): void {
  res.statusCode = 500;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`# autoprom: metrics collection failed: ${String(err)}\n`);
}

/** postMessage (numbers transferred) that never throws into the application (an attribute value that cannot be cloned). */
function post(worker: Worker, message: ToWorker): boolean {
  try {
    worker.postMessage(message, 'collection' in message && message.collection !== undefined ? transferList(message.collection) : undefined);
    return true;
  } catch (err) {
    warn(`could not hand a collection to the metrics worker: ${(err as Error)?.message ?? String(err)}`);
    return false;
  }
}
