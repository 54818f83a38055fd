/**
 * A real Prometheus (2.42, which asks for OpenMetrics first) scrapes the same app twice over:
 * job `om` as it asks (OpenMetrics), job `text` through a proxy that asks for text 0.0.4 only.
 * Every series and every value of the django families must be the same in both jobs.
 */
import { strict as assert } from 'node:assert';
import { createServer, request, type Server } from 'node:http';
import { waitForWorker } from './export-helpers';
import { freePort, startApp, type RunningApp } from './helpers/child';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus';

interface Proxy {
  readonly port: number;
  /** Content-Type of every answer that passed through. */
  readonly contentTypes: Set<string>;
  readonly server: Server;
}

/** Forwards scrapes to the app's metrics port, replacing Accept when `accept` is given. */
async function startProxy(target: number, accept: string | undefined): Promise<Proxy> {
  const contentTypes = new Set<string>();
  const server = createServer((req, res) => {
    const headers = { ...req.headers, ...(accept === undefined ? {} : { accept }) };
    const upstream = request({ host: '127.0.0.1', port: target, path: req.url, method: req.method, headers }, (up) => {
      contentTypes.add(String(up.headers['content-type']));
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { port, contentTypes, server };
}

type Vector = Array<{ metric: Record<string, string>; value: [number, string] }>;

/** Series keyed by name and labels without job and instance. */
function keyed(result: Vector): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of result) {
    const { job: _job, instance: _instance, ...labels } = s.metric;
    out.set(JSON.stringify(Object.entries(labels).sort()), s.value[1]);
  }
  return out;
}

describe('export: a real Prometheus scrapes OpenMetrics and text with the same results', () => {
  let app: RunningApp;
  let prom: PrometheusServer;
  let om: Proxy;
  let text: Proxy;

  before(async () => {
    app = await startApp('export-block.js', { env: { PROMETHEUS_LATENCY_BUCKETS: '0.005,0.5,1,2.5,5,100' } });
    await waitForWorker(app);
    om = await startProxy(app.metricsPort, undefined);
    text = await startProxy(app.metricsPort, 'text/plain;version=0.0.4');
    const extra = ['  - job_name: text', '    static_configs:', `      - targets: ['127.0.0.1:${text.port}']`].join('\n');
    prom = await startPrometheus([`127.0.0.1:${om.port}`], extra);
  });
  after(async () => {
    await prom?.stop();
    om?.server.close();
    text?.server.close();
    await app?.stop('SIGKILL');
  });

  it('stores the same django series, values and le labels from both formats', async () => {
    for (let i = 0; i < 5; i++)
      await (await fetch(`http://127.0.0.1:${app.ready.port as number}/item/${i}`, { method: i % 2 ? 'POST' : 'GET' })).text();
    await prom.waitFor('django_http_requests_before_middlewares_total{job="app"}', 5);
    await prom.waitFor('django_http_requests_before_middlewares_total{job="text"}', 5);
    await prom.waitFor('django_http_requests_latency_including_middlewares_seconds_count{job="app"}', 5);
    await prom.waitFor('django_http_requests_latency_including_middlewares_seconds_count{job="text"}', 5);
    assert.deepEqual([...om.contentTypes], ['application/openmetrics-text; version=1.0.0; charset=utf-8']);
    assert.deepEqual([...text.contentTypes], ['text/plain; version=0.0.4; charset=utf-8']);

    const fromOm = keyed(await prom.query('{job="app",__name__=~"django_.*"}'));
    const fromText = keyed(await prom.query('{job="text",__name__=~"django_.*"}'));
    assert.ok(fromOm.size > 50, `${fromOm.size} django series`);
    assert.deepEqual(fromOm, fromText);
    // django-prometheus's le values, as stored: rules that match le exactly work unchanged.
    const les = (await prom.query('django_http_requests_latency_including_middlewares_seconds_bucket{job="app"}'))
      .map((s) => s.metric.le)
      .sort();
    assert.deepEqual(les, ['+Inf', '0.005', '0.5', '1.0', '100.0', '2.5', '5.0']);
    const pow2 = (await prom.query('django_http_requests_body_total_bytes_bucket{job="app",le=~".*e.*"}')).map((s) => s.metric.le);
    assert.ok(pow2.includes('1.048576e+06'), pow2.join(','));
    assert.equal(Number((await prom.query('django_http_requests_total_by_method_total{job="app",method="POST"}'))[0].value[1]), 2);

    // Every other family: the same series (values move between scrapes: CPU, memory, lag). The
    // two jobs scrape a moment apart, so series that appear on their own (a first minor GC, a new
    // kind of active handle) may exist in one and not yet in the other: those families are left out.
    const lazy = 'scrape_.*|up|nodejs_gc_duration_seconds.*|nodejs_active_(handles|requests|resources)';
    const series = async (job: string) => new Set(keyed(await prom.query(`{job="${job}",__name__!~"${lazy}"}`)).keys());
    assert.deepEqual(await series('app'), await series('text'));
    const scraped = (await prom.query('scrape_samples_scraped')).map((s) => Number(s.value[1]));
    assert.equal(scraped.length, 2);
    assert.ok(
      scraped.every((n) => n > 50),
      `both jobs scraped every family: ${scraped.join(', ')} samples`,
    );
    const blocked = await prom.query('autoprom_eventloop_blocked_seconds');
    assert.deepEqual(blocked.map((s) => [s.metric.job, s.value[1]]).sort(), [
      ['app', '0'],
      ['text', '0'],
    ]);
  });
});
