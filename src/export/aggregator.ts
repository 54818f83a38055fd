/**
 * The aggregator: a small process of its own that serves the metrics port for a service whose
 * primary runs no autoprom (PM2 cluster mode, whose daemon runs no application code; a
 * node:cluster primary started without the preload). The first worker of the service that
 * finds the port free starts it; every worker then joins it on the group socket (group.ts).
 * It outlives the workers, so that the counters of a worker that exits stay in the sums, and
 * it ends when the process that anchors the service (the primary, PM2's daemon) has ended, or
 * once no worker has been joined for `idleMs`.
 *
 * Started as `node aggregator.js '<options JSON>'`, with no environment and no preload. It
 * writes nothing anywhere; the workers say where their numbers are served.
 */
import { spawn } from 'node:child_process';
import { startMetricsEndpoint } from './endpoint';
import { GroupHost, groupFamiliesText } from './group';
import { acceptsGzip, negotiateFormat } from './negotiate';
import { RenderedCollection, respond } from './render';
import { SharedCollections } from './shared-collections';

export interface AggregatorOptions {
  readonly port: number;
  readonly host: string | undefined;
  readonly path: string;
  readonly namespace: string;
  readonly key: string;
  readonly anchorPid: number;
  readonly socketPath: string;
  readonly windowMs: number;
  readonly deadlineMs: number;
  /** Ends once no process has been joined for this long. */
  readonly idleMs: number;
  /** Start once more, detached, and exit (so that it is no child of the worker that started it). */
  readonly daemonize?: boolean;
}

function main(options: AggregatorOptions): void {
  if (options.daemonize) {
    const child = spawn(process.execPath, [__filename, JSON.stringify({ ...options, daemonize: false })], {
      detached: true,
      stdio: 'ignore',
      env: {},
      windowsHide: true,
    });
    child.unref();
    return;
  }
  const quiet = () => undefined;
  const group = new GroupHost({
    key: options.key,
    namespace: options.namespace,
    warn: quiet,
    onMembership: (n) => (n === 0 ? idle() : clearTimeout(idleTimer)),
  });
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const idle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => process.exit(0), options.idleMs);
  };

  const collections: SharedCollections<RenderedCollection> = new SharedCollections<RenderedCollection>({
    windowMs: options.windowMs,
    deadlineMs: options.deadlineMs + 400,
    requestCollection: (id) =>
      group.gather(undefined, options.deadlineMs, (gathered) =>
        collections.collected(
          id,
          new RenderedCollection(gathered.snapshot, options.namespace, {
            blocked: gathered.blocked,
            trailer: (openMetrics) => groupFamiliesText(gathered, openMetrics),
          }),
        ),
      ),
  });

  const endpoint = startMetricsEndpoint({
    ports: [options.port],
    host: options.host,
    path: options.path,
    warn: quiet,
    handle: (req, res) => {
      const format = negotiateFormat(req.headers.accept);
      const gzip = acceptsGzip(req.headers['accept-encoding']);
      collections.scrape((collection, blockedSeconds) => {
        respond(req, res, (collection ?? new RenderedCollection(undefined, options.namespace)).render(format, gzip, blockedSeconds));
      });
    },
  });
  // The endpoint's server is unref'd: this process lives by the anchor check below.
  void endpoint.port.then(async (port) => {
    // Another aggregator of the same service won the port in the same instant, or a program holds it.
    if (port === undefined) process.exit(0);
    if (!(await group.listen(options.socketPath))) process.exit(0);
    idle();
  });
  setInterval(() => {
    try {
      process.kill(options.anchorPid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') process.exit(0);
    }
  }, 1000);
}

if (require.main === module) {
  try {
    main(JSON.parse(process.argv[2] ?? '{}') as AggregatorOptions);
  } catch {
    process.exit(1);
  }
}
