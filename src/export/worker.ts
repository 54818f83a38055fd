/**
 * The metrics worker thread: it owns autoprom's metrics HTTP server, asks the application
 * thread for collections (plain numbers), serializes, compresses and answers, so that a
 * scrape is answered even while the application's event loop is blocked. It never writes to
 * stdout or stderr itself: warnings go to the application thread, which prints them.
 * Started by worker-host.ts with no preload, no execArgv and an empty environment.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { PORT_STATE_HELD, PORT_STATE_RELEASED, startMetricsEndpoint, type MetricsEndpoint } from './endpoint';
import {
  busyPortReporter,
  GroupHost,
  GroupMember,
  groupFamiliesText,
  prepareSocketDirectory,
  type GroupIdentity,
  type OwnPart,
} from './group';
import { acceptsGzip, negotiateFormat } from './negotiate';
import { RenderedCollection, respond } from './render';
import { setSerializerDiagnostics } from './serialize';
import { SharedCollections } from './shared-collections';
import { decodeCollection, LabelDictionary, type EncodedCollection, type Snapshot } from './snapshot';

export interface WorkerOptions {
  readonly host: string | undefined;
  readonly path: string;
  readonly namespace: string;
  readonly windowMs: number;
  readonly deadlineMs: number;
  /** How long a scrape waits for the other processes of the service (their last numbers after that). */
  readonly groupDeadlineMs: number;
  /**
   * Serve the first free port of `ports` from the start. `state` is shared with the application
   * thread: the port being bound or held, and whether the application asked for it (endpoint.ts).
   */
  readonly listen?: { readonly ports: readonly number[]; readonly state: Int32Array };
  /** This process serves the port and sums the service's other processes that join it on this socket. */
  readonly hostGroup?: { readonly socketPath: string; readonly key: string };
  /** This process is a worker of a service: it joins the process that serves the port instead of listening. */
  readonly member?: {
    readonly socketPath: string;
    readonly identity: GroupIdentity;
    readonly port: number;
    /** The aggregator's script and its options (when no process of the service serves the port yet). */
    readonly aggregator: { readonly script: string; readonly options: unknown };
  };
}

/** Application thread -> worker. */
export type ToWorker =
  /** Give the port up: the application listens on it. */
  | { readonly kind: 'release' }
  | { readonly kind: 'collected'; readonly id: number; readonly collection: EncodedCollection; readonly costMs?: number }
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
  /** A worker process: its numbers are summed by the process (pid) that serves the port. */
  | { readonly kind: 'joined'; readonly hostPid: number }
  | { readonly kind: 'listening'; readonly port: number | undefined }
  /** The port is closed (after a release). */
  | { readonly kind: 'released' }
  /** A collection lacked label values this worker should have held: post them all again (and render that in-app scrape there). */
  | { readonly kind: 'resend'; readonly render?: number }
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

/** This process's own collections: one request to the application thread at a time, answered within the deadline. */
const own = new SharedCollections<EncodedCollection>({
  windowMs: 0,
  deadlineMs: options.deadlineMs,
  requestCollection: (id) => send({ kind: 'collect', id }),
});

/** The label values of autoprom's own series, which the application thread posts once. */
const labels = new LabelDictionary();

/** A posted collection with every label value (undefined when one was missing: the application thread is asked for them all). */
function complete(collection: EncodedCollection, render?: number): EncodedCollection | undefined {
  try {
    return labels.complete(collection);
  } catch (err) {
    labels.clear();
    warnOnce(`metrics worker: ${(err as Error)?.message ?? String(err)}; asking for every label value again`);
    send({ kind: 'resend', render });
    return undefined;
  }
}

const decoded = new WeakMap<EncodedCollection, Snapshot>();
function decode(encoded: EncodedCollection): Snapshot {
  let snapshot = decoded.get(encoded);
  if (snapshot === undefined) {
    snapshot = decodeCollection(encoded);
    decoded.set(encoded, snapshot);
  }
  return snapshot;
}

const ownPart: OwnPart = (answer) => own.scrape((encoded, blocked, error) => answer(encoded && decode(encoded), blocked, error));

/** The other processes of the service, when this one serves the port for them. */
let group: GroupHost | undefined;

/**
 * The sharing window follows what a collection costs the application thread: back-to-back
 * scrapes wait at most COST_FACTOR times that cost (so a flood of scrapes takes at most about
 * 2% of the thread), at least MIN_WINDOW_MS, at most `windowMs` (also until a first cost is
 * known, and while other processes of the service are summed here).
 */
const COST_FACTOR = 50;
const MIN_WINDOW_MS = 10;
let lastCostMs: number | undefined;
// The sum of a service's processes keeps the whole window: each of them collects for every answer.
const sharingWindow = () =>
  lastCostMs === undefined || (group !== undefined && group.size > 0)
    ? options.windowMs
    : Math.min(options.windowMs, Math.max(MIN_WINDOW_MS, COST_FACTOR * lastCostMs));

/** What scrapes are answered with: this process's collection, or the sum of the service's. */
const collections: SharedCollections<RenderedCollection> = new SharedCollections<RenderedCollection>({
  windowMs: sharingWindow,
  // A safety net only: each part has its own deadline, within this one.
  deadlineMs: Math.max(options.deadlineMs, options.groupDeadlineMs) + 400,
  requestCollection: (id) => {
    if (group === undefined || group.size === 0) {
      ownPart((snapshot, blocked, error) => {
        if (error !== undefined) collections.failed(id, error);
        else collections.collected(id, new RenderedCollection(snapshot, options.namespace, { blocked }));
      });
      return;
    }
    group.gather(ownPart, options.groupDeadlineMs, (gathered) => {
      for (const name of gathered.conflicts)
        warnOnce(`processes of this service disagree on the type or buckets of ${name}: it is left out of the sum`);
      collections.collected(
        id,
        new RenderedCollection(gathered.snapshot, options.namespace, {
          blocked: gathered.blocked,
          trailer: (openMetrics) => groupFamiliesText(gathered, openMetrics),
        }),
      );
    });
  },
});

const warned = new Set<string>();
function warnOnce(line: string): void {
  if (warned.has(line) || warned.size > 100) return;
  warned.add(line);
  warn(line);
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

/** The worker's endpoint, while it holds the port (or binds it). */
let endpoint: MetricsEndpoint | undefined;

/** Serve the first free port of the range; the application thread reads which one from `state`. */
function listen(ports: readonly number[], state: Int32Array): void {
  // The application asked for the port (before this thread got to bind it, or since): never taken again.
  const released = () => Atomics.load(state, PORT_STATE_RELEASED) === 1;
  if (released()) {
    send({ kind: 'listening', port: undefined });
    return;
  }
  const e = startMetricsEndpoint({
    ports,
    host: options.host,
    path: options.path,
    handle: scrape,
    warn: busyPortReporter(ports, warn),
    onAttempt: (p) => Atomics.store(state, PORT_STATE_HELD, p ?? 0),
  });
  endpoint = e;
  void e.port.then((p) => {
    send({ kind: 'listening', port: released() ? undefined : p });
    const hostGroup = options.hostGroup;
    // The port is this process's: so is the group socket of that port (its workers join there).
    if (p !== undefined && hostGroup !== undefined && p === ports[0] && endpoint === e) {
      // Silent when the socket cannot be made (a read-only /tmp, say): a process on its own needs
      // none, and a worker that finds no socket to join says why itself.
      const host = new GroupHost({ key: hostGroup.key, namespace: options.namespace, warn: () => undefined });
      group = host;
      void host.listen(hostGroup.socketPath).then((ok) => {
        if (!ok && group === host) group = undefined;
      });
    }
  });
}

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'release': {
      // Closing the listening socket frees the port at once; connections already open finish.
      const e = endpoint;
      endpoint = undefined;
      group?.close();
      group = undefined;
      const done = () => send({ kind: 'released' });
      if (e === undefined) done();
      else e.close().then(done, done);
      break;
    }
    case 'collected': {
      if (message.costMs !== undefined && Number.isFinite(message.costMs)) lastCostMs = message.costMs;
      const collection = complete(message.collection);
      // Incomplete: the same request again, answered in full after the 'resend'.
      if (collection === undefined) send({ kind: 'collect', id: message.id });
      else own.collected(message.id, collection);
      break;
    }
    case 'failed':
      own.failed(message.id, message.error);
      break;
    case 'render': {
      // The in-app handler: the application thread collected; the worker serializes and compresses.
      const completed = complete(message.collection, message.id);
      if (completed === undefined) break;
      own.offer(completed);
      const collection = new RenderedCollection(decode(completed), options.namespace);
      if (group === undefined || group.size === 0) collections.offer(collection);
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

/** Whether nothing listens on the port (a bind that succeeds is closed at once). */
function portFree(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen({ port: p, host: options.host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Starts the aggregator process, detached from this one (it outlives any worker of the service). */
function startAggregator(script: string, aggregatorOptions: unknown): void {
  try {
    // No environment and no flags: no preload in it. It re-starts itself once more, so that it is
    // no child of this process (PM2 and process managers stop a worker's whole tree).
    // Loaded here: only a worker process of a service ever starts one (node:child_process is 0.6 MB of this thread's RSS).
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const child = spawn(process.execPath, [script, JSON.stringify({ ...(aggregatorOptions as object), daemonize: true })], {
      detached: true,
      stdio: 'ignore',
      env: {},
      windowsHide: true,
    });
    child.on('error', (err) => warn(`could not start the metrics aggregator process: ${err.message}`));
    child.unref();
  } catch (err) {
    warn(`could not start the metrics aggregator process: ${(err as Error)?.message ?? String(err)}`);
  }
}

const member = options.member;
if (member !== undefined) {
  const where = `${options.host ?? '0.0.0.0'}:${member.port}`;
  new GroupMember({
    socketPath: member.socketPath,
    identity: member.identity,
    collect: (answer) => own.scrape(answer),
    portFree: () => portFree(member.port),
    startAggregator: () => startAggregator(member.aggregator.script, member.aggregator.options),
    joined: (hostPid) => send({ kind: 'joined', hostPid }),
    refused: (hostPid) =>
      warn(
        `cannot serve metrics on ${where}: autoprom in process ${hostPid}, of another service, holds it; this process's metrics are not served (give each service its own PROMETHEUS_METRICS_EXPORT_PORT, or a PROMETHEUS_METRICS_EXPORT_PORT_RANGE)`,
      ),
    busy: () => {
      const problem = prepareSocketDirectory(member.socketPath);
      warn(
        problem === undefined
          ? `cannot listen on ${where} (EADDRINUSE: another program holds it, not autoprom); metrics endpoint not started, the application runs on`
          : `cannot join the process serving ${where}: ${problem}; this process's metrics are not served (PROMETHEUS_METRICS_EXPORT_PORT_RANGE gives each process its own port)`,
      );
    },
  }).start();
}

if (options.listen !== undefined) listen(options.listen.ports, options.listen.state);
