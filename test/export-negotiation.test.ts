/**
 * Content negotiation and gzip on the metrics endpoint of a real app under the preload, byte
 * for byte against the identity text; serving only inside the app (PROMETHEUS_METRICS_EXPORT_SERVER=false).
 */
import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { waitForWorker } from './export-helpers';
import { REGISTER_CJS, startApp, type RunningApp } from './helpers/child';
import { parseExposition, valueOf } from './helpers/exposition';

const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const PROMETHEUS_2_42 =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

interface Raw {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A request with exactly these headers (fetch would add Accept and decompress). */
function raw(port: number, headers: Record<string, string>, method = 'GET', pathname = '/metrics'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathname, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sample lines only (no comments), in order. */
function sampleLines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('export: content negotiation, gzip and the in-app endpoint', () => {
  let app: RunningApp;
  before(async () => {
    // HTTP families only, and no traffic between scrapes: every scrape has the same bytes.
    app = await startApp('export-block.js', { env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http' } });
    await waitForWorker(app);
    for (let i = 0; i < 2; i++) await (await fetch(`http://127.0.0.1:${app.ready.port as number}/page`)).text();
    await app.scrapeText();
  });
  after(async () => {
    await app?.stop('SIGKILL');
  });

  const cases: Array<[accept: string | undefined, contentType: string]> = [
    [undefined, TEXT],
    ['*/*', TEXT],
    ['text/plain', TEXT],
    ['text/plain;version=0.0.4', TEXT],
    [PROMETHEUS_2_42, OPENMETRICS],
    ['application/openmetrics-text', OPENMETRICS],
    ['application/openmetrics-text; version=1.0.0; q=0.4, text/plain; version=0.0.4; q=0.5', TEXT],
    ['text/plain;version=0.0.4;q=0.3, application/openmetrics-text;version=1.0.0;q=0.9', OPENMETRICS],
    ['application/openmetrics-text;version=1.0.0;q=0, text/plain', TEXT],
    ['application/openmetrics-text;version=0.0.1', TEXT],
    ['application/json', TEXT],
  ];

  it('answers each Accept header with the exact Content-Type, and gzip is the identity bytes compressed', async () => {
    const identity = new Map<string, Buffer>();
    for (const [accept, contentType] of cases) {
      const headers: Record<string, string> = accept === undefined ? {} : { accept };
      const plain = await raw(app.metricsPort, headers);
      assert.equal(plain.status, 200);
      assert.equal(plain.headers['content-type'], contentType, `Accept: ${accept}`);
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(Number(plain.headers['content-length']), plain.body.length);
      const zipped = await raw(app.metricsPort, { ...headers, 'accept-encoding': 'gzip, deflate, br' });
      assert.equal(zipped.headers['content-type'], contentType);
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.ok(zipped.body.length < plain.body.length / 3, `gzip ${zipped.body.length} B of ${plain.body.length} B`);
      assert.ok(gunzipSync(zipped.body).equals(plain.body), `gunzipped body differs from the identity body (Accept: ${accept})`);
      const known = identity.get(contentType);
      if (known !== undefined) assert.ok(known.equals(plain.body), `two ${contentType} bodies differ`);
      identity.set(contentType, plain.body);
    }
    const text = identity.get(TEXT)!.toString('utf8');
    const om = identity.get(OPENMETRICS)!.toString('utf8');
    assert.ok(om.endsWith('\nautoprom_eventloop_blocked_seconds 0\n# EOF\n'), om.slice(-200));
    assert.equal(om.split('\n').filter((l) => l === '# EOF').length, 1);
    assert.doesNotMatch(text, /# EOF/);
    // The same samples in the same order; OpenMetrics writes a histogram's buckets before _count and _sum.
    const order = (lines: string[]) => [...lines].sort();
    assert.deepEqual(order(sampleLines(om)), order(sampleLines(text)));
    assert.match(om, /^# TYPE django_http_requests_before_middlewares counter\n^django_http_requests_before_middlewares_total 2$/m);
    assert.match(text, /^# TYPE django_http_requests_before_middlewares_total counter\n^django_http_requests_before_middlewares_total 2$/m);
    assert.match(
      om,
      /^django_http_requests_latency_including_middlewares_seconds_bucket\{le="\+Inf"\} 2\ndjango_http_requests_latency_including_middlewares_seconds_count 2\n/m,
    );
    assert.match(text, /^django_http_requests_body_total_bytes_bucket\{le="1\.048576e\+06"\} 2$/m);
    assert.match(text, /^django_http_requests_latency_including_middlewares_seconds_bucket\{le="1\.0"\} 2$/m);
  });

  it('answers HEAD with the headers of GET and no body, and 404 elsewhere', async () => {
    const get = await raw(app.metricsPort, { accept: PROMETHEUS_2_42, 'accept-encoding': 'gzip' });
    const head = await raw(app.metricsPort, { accept: PROMETHEUS_2_42, 'accept-encoding': 'gzip' }, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], OPENMETRICS);
    assert.equal(head.headers['content-encoding'], 'gzip');
    assert.equal(head.headers['content-length'], String(get.body.length));
    assert.equal(head.body.length, 0);
    assert.equal((await raw(app.metricsPort, {}, 'GET', '/other')).status, 404);
    assert.equal((await raw(app.metricsPort, {}, 'POST')).status, 404);
  });

  it('the in-app handler negotiates and compresses the same way', async () => {
    const port = app.ready.port as number;
    const om = await raw(port, { accept: PROMETHEUS_2_42, 'accept-encoding': 'gzip' });
    assert.equal(om.status, 200);
    assert.equal(om.headers['content-type'], OPENMETRICS);
    assert.equal(om.headers['content-encoding'], 'gzip');
    const body = gunzipSync(om.body).toString('utf8');
    assert.ok(body.endsWith('\nautoprom_eventloop_blocked_seconds 0\n# EOF\n'));
    const text = await raw(port, {});
    assert.equal(text.headers['content-type'], TEXT);
    // As django's view, an in-app scrape is itself a request of the app: 2 pages, then these 2 scrapes.
    assert.equal(valueOf(parseExposition(text.body.toString('utf8')), 'django_http_requests_before_middlewares_total'), 4);
  });
});

describe('export: PROMETHEUS_METRICS_EXPORT_SERVER=false serves only inside the app', () => {
  const apps: RunningApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop('SIGKILL')));
  });

  it('opens no port of its own, and metricsHandler answers with the exposition', async () => {
    const app = await startApp('export-block.js', { env: { PROMETHEUS_METRICS_EXPORT_SERVER: 'false' } });
    apps.push(app);
    const port = app.ready.port as number;
    await (await fetch(`http://127.0.0.1:${port}/page`)).text();
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), TEXT);
    const e = parseExposition(await res.text());
    assert.equal(valueOf(e, 'django_http_requests_before_middlewares_total'), 2);
    assert.equal(valueOf(e, 'autoprom_eventloop_blocked_seconds'), 0);
    assert.ok(e.meta.has('process_cpu_seconds_total'));
    await assert.rejects(fetch(`http://127.0.0.1:${app.metricsPort}/metrics`), 'nothing listens on the metrics port');
    assert.equal(app.stderr(), '');
  });

  it('a value other than true or false is one stderr line, and the port stays open', async () => {
    const app = await startApp('export-block.js', { env: { PROMETHEUS_METRICS_EXPORT_SERVER: 'no' } });
    apps.push(app);
    const e = await app.scrape();
    assert.ok(e.meta.has('django_http_requests_before_middlewares_total'));
    assert.equal(
      app.stderr(),
      'autoprom: PROMETHEUS_METRICS_EXPORT_SERVER="no" is not a boolean (expected true or false); autoprom\'s own metrics port stays open\n',
    );
  });
});

describe('export: the metrics worker', () => {
  let app: RunningApp | undefined;
  afterEach(async () => {
    await app?.stop('SIGKILL');
    app = undefined;
  });

  it('runs no preload of its own when the app is preloaded through NODE_OPTIONS, and its scrapes are not app requests', async () => {
    app = await startApp('export-block.js', {
      preload: 'none',
      env: { NODE_OPTIONS: `--require ${REGISTER_CJS}`, OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http' },
    });
    await waitForWorker(app);
    await (await fetch(`http://127.0.0.1:${app.ready.port as number}/page`)).text();
    const e = await app.scrape();
    assert.equal(valueOf(e, 'django_http_requests_before_middlewares_total'), 1);
    assert.equal(valueOf(e, 'autoprom_eventloop_blocked_seconds'), 0);
    // A second autoprom inside the worker would have tried the same port and said so here.
    assert.equal(app.stderr(), '');
    assert.equal(app.stdout(), `READY ${JSON.stringify(app.ready)}\n`);
  });
});
