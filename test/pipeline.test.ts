/**
 * The zero-code pipeline in real child processes: preload, configuration, exporter server,
 * exposition rules, process behaviour (signals, stdout, exit), OTLP push.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import * as path from 'node:path';
import { APPS, fetchMetrics, freePort, REGISTER_CJS, startApp, stderrWhen, type RunningApp } from './helpers/child';
import { parseExposition, valueOf } from './helpers/exposition';
import { promtoolCheck } from './helpers/promtool';
import { INSTRUMENTATION_NAMES } from '../src/config';

const STRICT = ['--unhandled-rejections=strict'];

async function get(port: number, pathname = '/'): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${pathname}`);
  await res.arrayBuffer();
  return res.status;
}

function refused(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/metrics`).then(
    () => false,
    () => true,
  );
}

function listenOn(port: number): Promise<NetServer> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('pipeline: preload, exporter and process behaviour', () => {
  const apps: RunningApp[] = [];
  const track = (a: RunningApp) => {
    apps.push(a);
    return a;
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop('SIGKILL')));
  });

  it('serves a django-style exposition: no target_info, no otel_scope labels, no UNIT lines, and promtool accepts it', async () => {
    const app = track(await startApp('pipeline-plain.js', { args: STRICT }));
    await get(app.ready.port as number, '/a');
    const text = await app.scrapeText();
    assert.doesNotMatch(text, /target_info/);
    assert.doesNotMatch(text, /otel_scope/);
    assert.doesNotMatch(text, /^# UNIT/m);
    assert.match(text, /^# TYPE django_http_requests_before_middlewares_total counter$/m);
    assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
    // No parse error and no lint finding beyond prom-client's own `_total` gauges.
    const check = promtoolCheck(text);
    assert.deepEqual(check.findings, []);
    assert.ok(check.status === 0 || check.status === 3, `promtool exit ${check.status}`);
  });

  it('serves text format 0.0.4 and 404 elsewhere on its port', async () => {
    const app = track(await startApp('pipeline-plain.js'));
    const res = await fetchMetrics(`http://127.0.0.1:${app.metricsPort}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    await res.text();
    const other = await fetch(`http://127.0.0.1:${app.metricsPort}/other`);
    assert.equal(other.status, 404);
  });

  it('keeps one listener: once it answered, no connection to its port is ever refused (no hand-over)', async () => {
    const app = track(await startApp('pipeline-plain.js'));
    const first = await fetchMetrics(`http://127.0.0.1:${app.metricsPort}/metrics`);
    assert.equal(first.status, 200);
    await first.text();
    // From the first answer on, every new connection (no retry, no keep-alive) is answered.
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`http://127.0.0.1:${app.metricsPort}/${i % 2 === 0 ? 'metrics' : 'other'}`, {
        headers: { connection: 'close' },
      });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    assert.deepEqual(
      statuses,
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 200 : 404)),
    );
  });

  it('no worker thread can start: one line says so, and the application thread serves the exact counts', async () => {
    const app = track(await startApp('export-no-worker.js'));
    await get(app.ready.port as number, '/x');
    await get(app.ready.port as number, '/y');
    const e = await app.scrape();
    assert.equal(valueOf(e, 'django_http_requests_before_middlewares_total'), 2);
    assert.equal(valueOf(e, 'django_http_responses_before_middlewares_total'), 2);
    assert.equal(valueOf(e, 'autoprom_eventloop_blocked_seconds'), 0);
    assert.equal(
      app.stderr(),
      'autoprom: could not start the metrics worker (no threads here); the endpoint is served from the application thread\n',
    );
  });

  for (const preload of ['require', 'import'] as const) {
    it(`a server in the application's own worker thread (--${preload}): it answers as without autoprom, and one line says it is not measured`, async () => {
      const bare = track(await startApp('worker-thread-server.js', { preload: 'none' }));
      assert.equal(await (await fetch(`http://127.0.0.1:${bare.ready.port as number}/x`)).text(), 'from a worker');
      assert.equal(bare.stderr(), '');
      const app = track(await startApp('worker-thread-server.js', { preload }));
      assert.equal(await (await fetch(`http://127.0.0.1:${app.ready.port as number}/x`)).text(), 'from a worker');
      const e = await app.scrape();
      assert.equal(valueOf(e, 'django_http_requests_before_middlewares_total'), 0);
      assert.equal(
        app.stderr(),
        `autoprom: a server listens in worker thread ${app.ready.threadId as number}: its requests are not measured (autoprom measures the main thread's servers, database and cache clients only)\n`,
      );
    });
  }

  it('never counts its own scrapes as application requests', async () => {
    const app = track(await startApp('pipeline-plain.js'));
    await app.scrape();
    await app.scrape();
    await get(app.ready.port as number, '/x');
    const e = await app.scrape();
    assert.equal(valueOf(e, 'django_http_requests_before_middlewares_total'), 1);
    assert.equal(valueOf(e, 'django_http_responses_before_middlewares_total'), 1);
  });

  it('prints nothing on stdout and nothing on stderr when all is well', async () => {
    const app = track(await startApp('pipeline-plain.js', { args: STRICT }));
    await get(app.ready.port as number);
    await app.scrape();
    assert.match(app.stdout(), /^READY \{.*\}\n$/);
    assert.equal(app.stderr(), '');
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`exits on ${signal} exactly as it would without autoprom`, async () => {
      const bare = await startApp('pipeline-plain.js', { preload: 'none' });
      bare.child.kill(signal);
      const bareExit = await bare.exited;
      const app = track(await startApp('pipeline-plain.js'));
      await get(app.ready.port as number);
      await app.scrape();
      app.child.kill(signal);
      const exit = await Promise.race([app.exited, new Promise((r) => setTimeout(() => r('still running'), 3000))]);
      assert.deepEqual(exit, bareExit);
      assert.deepEqual(bareExit, { code: null, signal });
    });
  }

  it('never keeps the process alive: an app that finishes exits by itself with code 0', async () => {
    const r = spawnSync(process.execPath, ['--require', REGISTER_CJS, ...STRICT, path.join(APPS, 'pipeline-oneshot.js')], {
      encoding: 'utf8',
      timeout: 10000,
      env: { ...process.env, PROMETHEUS_METRICS_EXPORT_PORT: String(await freePort()) },
    });
    assert.equal(r.signal, null, 'the app had to be killed: something kept it alive');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'done\n');
    assert.equal(r.stderr, '');
  });

  it('a busy port is one warning naming it, and the app runs on', async () => {
    const port = await freePort();
    const blocker = await listenOn(port);
    try {
      const app = track(await startApp('pipeline-plain.js', { env: { PROMETHEUS_METRICS_EXPORT_PORT: String(port) } }));
      assert.equal(await get(app.ready.port as number), 200);
      assert.equal(
        await stderrWhen(app, /\n/),
        `autoprom: cannot listen on 127.0.0.1:${port} (EADDRINUSE); metrics endpoint not started, the application runs on\n`,
      );
    } finally {
      blocker.close();
    }
  });

  it('a port range gives each process the first free port, and an exhausted range is one warning', async () => {
    const a = await freePort();
    let b = await freePort();
    while (b === a) b = await freePort();
    const range = `${a},${b}`;
    const env = { PROMETHEUS_METRICS_EXPORT_PORT: undefined, PROMETHEUS_METRICS_EXPORT_PORT_RANGE: range };
    // The range wins over the port that startApp sets; the apps start one after the other.
    // Each app starts once the one before serves its port (the metrics worker binds it after start-up).
    const first = track(await startApp('pipeline-plain.js', { env: { ...env, PROMETHEUS_METRICS_EXPORT_PORT: String(a) } }));
    await scrapePort(a);
    const second = track(await startApp('pipeline-plain.js', { env: { ...env, PROMETHEUS_METRICS_EXPORT_PORT: String(b) } }));
    await scrapePort(b);
    const third = track(await startApp('pipeline-plain.js', { env: { ...env, PROMETHEUS_METRICS_EXPORT_PORT: String(b) } }));
    // The range wins over the port: the first took a, the second b, the third found none.
    assert.equal(
      await stderrWhen(third, /\n/),
      `autoprom: no free port in PROMETHEUS_METRICS_EXPORT_PORT_RANGE (${a}-${b}, last error EADDRINUSE); metrics endpoint not started, the application runs on\n`,
    );
    assert.equal(first.stderr(), '');
    assert.equal(second.stderr(), '');
    assert.equal(await get(third.ready.port as number), 200);
    await get(first.ready.port as number, '/one');
    await get(second.ready.port as number, '/two');
    await get(second.ready.port as number, '/two');
    const ea = await scrapePort(a);
    const eb = await scrapePort(b);
    assert.equal(valueOf(ea, 'django_http_requests_before_middlewares_total'), 1);
    assert.equal(valueOf(eb, 'django_http_requests_before_middlewares_total'), 2);
  });

  it('PROMETHEUS_METRICS_EXPORT_PATH moves the endpoint', async () => {
    const app = track(await startApp('pipeline-plain.js', { env: { PROMETHEUS_METRICS_EXPORT_PATH: '/internal/prom' } }));
    const e = await app.scrape('/internal/prom');
    assert.ok(e.meta.has('django_http_requests_before_middlewares_total'));
    assert.equal((await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).status, 404);
  });

  it('PROMETHEUS_METRIC_NAMESPACE prefixes the django families, not the process ones', async () => {
    const app = track(await startApp('pipeline-plain.js', { env: { PROMETHEUS_METRIC_NAMESPACE: 'shop' } }));
    await get(app.ready.port as number);
    const e = await app.scrape();
    assert.equal(valueOf(e, 'shop_django_http_requests_before_middlewares_total'), 1);
    assert.equal(e.meta.has('django_http_requests_before_middlewares_total'), false);
    assert.equal(e.meta.has('process_cpu_seconds_total'), true);
  });

  it('every instrumentation disabled: a valid exposition of the endpoint gauge alone, that promtool accepts', async () => {
    const app = track(
      await startApp('pipeline-plain.js', { env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: INSTRUMENTATION_NAMES.join(',') } }),
    );
    const text = await app.scrapeText();
    // Nothing but the endpoint's own gauge, which every exposition carries.
    assert.deepEqual(
      text.split('\n').filter((l) => l !== '' && !l.startsWith('#')),
      ['autoprom_eventloop_blocked_seconds 0'],
    );
    const check = promtoolCheck(text);
    assert.deepEqual([check.status, check.findings], [0, []]);
  });

  it('OTEL_SDK_DISABLED=true does nothing at all', async () => {
    const app = track(await startApp('pipeline-plain.js', { env: { OTEL_SDK_DISABLED: 'true' } }));
    assert.equal(await get(app.ready.port as number), 200);
    assert.equal(await refused(app.metricsPort), true);
    assert.equal(app.stderr(), '');
  });

  it('OTEL_METRICS_EXPORTER=none serves nothing', async () => {
    const app = track(await startApp('pipeline-plain.js', { env: { OTEL_METRICS_EXPORTER: 'none' } }));
    assert.equal(await get(app.ready.port as number), 200);
    assert.equal(await refused(app.metricsPort), true);
  });

  it('bad configuration is one clear stderr line and the app keeps running', async () => {
    const app = track(await startApp('pipeline-plain.js', { env: { PROMETHEUS_METRICS_EXPORT_PORT: 'abc' } }));
    assert.equal(await get(app.ready.port as number), 200);
    assert.equal(app.stderr(), 'autoprom: PROMETHEUS_METRICS_EXPORT_PORT="abc" is not a port (1-65535); metrics export disabled\n');
  });

  it('bad buckets warn once and the default buckets are used', async () => {
    const app = track(await startApp('pipeline-plain.js', { env: { PROMETHEUS_LATENCY_BUCKETS: '1,a' } }));
    await get(app.ready.port as number);
    const e = await app.scrape();
    assert.equal(
      app.stderr(),
      'autoprom: PROMETHEUS_LATENCY_BUCKETS="1,a" is not a bucket list (expected comma-separated numbers in seconds, strictly increasing); using the default buckets\n',
    );
    // django families' bucket bounds are written as django-prometheus writes them (75.0).
    assert.equal(valueOf(e, 'django_http_requests_latency_including_middlewares_seconds_bucket', { le: '75.0' }), 1);
  });

  it('custom latency buckets apply to every latency histogram', async () => {
    const app = track(await startApp('pipeline-plain.js', { env: { PROMETHEUS_LATENCY_BUCKETS: '0.5,5' } }));
    await get(app.ready.port as number);
    const e = await app.scrape();
    const les = e.samples
      .filter((s) => s.name === 'django_http_requests_latency_including_middlewares_seconds_bucket')
      .map((s) => s.labels.le);
    assert.deepEqual(les, ['0.5', '5.0', '+Inf']);
  });

  it('works for an ES module app under --import', async () => {
    const app = track(await startApp('pipeline-plain.mjs', { preload: 'import', args: STRICT }));
    await get(app.ready.port as number, '/esm');
    const e = await app.scrape();
    assert.equal(valueOf(e, 'django_http_requests_before_middlewares_total'), 1);
    assert.equal(app.stderr(), '');
    assert.match(app.stdout(), /^READY \{.*\}\n$/);
  });

  it("metricsHandler serves the same exposition from the app's own server", async () => {
    const app = track(await startApp('pipeline-inapp.js'));
    const port = app.ready.port as number;
    await get(port, '/page');
    const inApp = parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    // As django's metrics view, the in-app scrape is itself a request of the app.
    assert.equal(valueOf(inApp, 'django_http_requests_before_middlewares_total'), 2);
    assert.equal(valueOf(inApp, 'django_http_responses_before_middlewares_total'), 1);
    const own = await app.scrape();
    assert.equal(valueOf(own, 'django_http_responses_before_middlewares_total'), 2);
  });

  it('metricsHandler answers 503 when autoprom is not running', async () => {
    const app = track(await startApp('pipeline-inapp.js', { preload: 'none' }));
    const res = await fetch(`http://127.0.0.1:${app.ready.port as number}/metrics`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /autoprom is not running/);
  });

  it('OTEL_METRICS_EXPORTER=otlp pushes the same families to an OTLP/HTTP receiver', async () => {
    const bodies: Buffer[] = [];
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/metrics') bodies.push(Buffer.concat(chunks));
        res.statusCode = 200;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const port = (receiver.address() as { port: number }).port;
    try {
      const app = track(
        await startApp('pipeline-plain.js', {
          env: {
            OTEL_METRICS_EXPORTER: 'otlp',
            OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
            OTEL_METRIC_EXPORT_INTERVAL: '300',
          },
        }),
      );
      await get(app.ready.port as number);
      const deadline = Date.now() + 10000;
      while (!bodies.some((b) => b.includes('django_http_requests_before_middlewares_total')) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(
        bodies.some((b) => b.includes('django_http_requests_before_middlewares_total')),
        `no OTLP export with the django family arrived (${bodies.length} bodies)`,
      );
      assert.equal(await refused(app.metricsPort), true, 'otlp alone must not serve the Prometheus endpoint');
    } finally {
      receiver.close();
    }
  });
});

async function scrapePort(port: number) {
  const res = await fetchMetrics(`http://127.0.0.1:${port}/metrics`);
  return parseExposition(await res.text());
}
