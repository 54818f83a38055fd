/**
 * Pure parts of the metrics endpoint: negotiation, django-prometheus's bucket bounds, the
 * OpenMetrics serialization, and which collection answers which scrape.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { DataPointType, MeterProvider } from '@opentelemetry/sdk-metrics';
import { DEFAULT_LATENCY_BUCKETS, parseConfig } from '../src/config';
import { POW2_BUCKETS } from '../src/catalogue';
import { Registry } from '../src/core/registry';
import { acceptsGzip, negotiateFormat } from '../src/export/negotiate';
import { blockedGaugeText, isDjangoFamily, RenderedCollection } from '../src/export/render';
import { POINT_TYPE, pythonBucketBound, pythonFloatRepr, serializePrometheus } from '../src/export/serialize';
import { SharedCollections } from '../src/export/shared-collections';
import { decodeCollection, encodeCollection, transferList } from '../src/export/snapshot';
import { MessageChannel } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';

// django-prometheus 2.5.0's exposition, captured from it (test/fixtures): the bucket bounds as django writes them.
const REFERENCE = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'django-prometheus-2.5.0-exposition.txt');

describe('export: negotiation (unit)', () => {
  const formats: Array<[string | undefined, 'text' | 'openmetrics']> = [
    [undefined, 'text'],
    ['', 'text'],
    ['*/*', 'text'],
    ['text/*', 'text'],
    ['text/plain', 'text'],
    ['text/plain;version=0.0.4', 'text'],
    ['text/plain;version=0.0.3', 'text'],
    ['application/openmetrics-text', 'openmetrics'],
    ['Application/OpenMetrics-Text; Version="1.0.0"', 'openmetrics'],
    [
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      'openmetrics',
    ],
    ['text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=1.0.0', 'openmetrics'],
    ['application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4', 'text'],
    ['application/openmetrics-text;q=0.5,text/plain;q=0.5', 'openmetrics'],
    ['text/plain;q=0.5,application/openmetrics-text;q=0.5', 'text'],
    ['application/openmetrics-text;q=0', 'text'],
    ['application/openmetrics-text;q=2', 'text'],
    ['application/openmetrics-text;version=0.0.1', 'text'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited', 'text'],
    ['application/json, */*;q=0.1', 'text'],
  ];
  for (const [accept, want] of formats) {
    it(`Accept ${JSON.stringify(accept)} -> ${want}`, () => assert.equal(negotiateFormat(accept), want));
  }

  const encodings: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['', false],
    ['identity', false],
    ['gzip', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['deflate, gzip;q=0.5', true],
    ['gzip;q=0', false],
    ['gzip;q=0.000', false],
    ['*', true],
    ['*;q=0', false],
    ['br, *;q=0.1', true],
    ['gzip;q=0, *', false],
    ['br', false],
  ];
  for (const [header, want] of encodings) {
    it(`Accept-Encoding ${JSON.stringify(header)} -> gzip ${want}`, () => assert.equal(acceptsGzip(header), want));
  }
});

describe('export: django-prometheus bucket bounds (unit)', () => {
  const reprs: Array<[number, string]> = [
    [0, '0.0'],
    [1, '1.0'],
    [-2, '-2.0'],
    [0.025, '0.025'],
    [0.1, '0.1'],
    [2.5, '2.5'],
    [75, '75.0'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [123456789, '123456789.0'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [1.2345e22, '1.2345e+22'],
    [0.1 + 0.2, '0.30000000000000004'],
  ];
  for (const [x, want] of reprs) it(`repr(${x}) is ${want}`, () => assert.equal(pythonFloatRepr(x), want));

  const bounds: Array<[number, string]> = [
    [0, '0.0'],
    [1, '1.0'],
    [0.025, '0.025'],
    [10, '10.0'],
    [524288, '524288.0'],
    [1048576, '1.048576e+06'],
    [1000000, '1e+06'],
    [2 ** 29, '5.36870912e+08'],
    [1e10, '1e+010'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [-1048576, '-1048576.0'],
  ];
  for (const [x, want] of bounds) it(`le of ${x} is ${want}`, () => assert.equal(pythonBucketBound(x), want));

  it('writes every bound of the default latency and POW2 buckets exactly as the django-prometheus capture does', () => {
    const captured = new Set([...readFileSync(REFERENCE, 'utf8').matchAll(/le="([^"]+)"/g)].map((m) => m[1]));
    for (const b of [...DEFAULT_LATENCY_BUCKETS, ...POW2_BUCKETS])
      assert.ok(captured.has(pythonBucketBound(b)), `${b} -> ${pythonBucketBound(b)} not in the capture`);
  });

  it('applies to django families only (namespaced too), not to prom-client or OpenTelemetry ones', () => {
    assert.equal(isDjangoFamily('django_db_query_duration_seconds', ''), true);
    assert.equal(isDjangoFamily('shop_django_db_query_duration_seconds', 'shop'), true);
    assert.equal(isDjangoFamily('shop_django_db_query_duration_seconds', ''), false);
    assert.equal(isDjangoFamily('nodejs_gc_duration_seconds', 'shop'), false);
    assert.equal(isDjangoFamily('http_client_request_duration_seconds', ''), false);
  });
});

async function collected(record: (p: MeterProvider, r: Registry) => void) {
  const registry = new Registry({ namespace: '', cardinalityLimit: 10, latencyBuckets: [0.5, 1, 75] });
  const reader = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    withoutTargetInfo: true,
    metricProducers: [registry],
  });
  const provider = new MeterProvider({ readers: [reader] });
  record(provider, registry);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

describe('export: OpenMetrics and the plain snapshot (unit)', () => {
  it('POINT_TYPE matches sdk-metrics DataPointType', () => {
    assert.deepEqual(POINT_TYPE, {
      HISTOGRAM: DataPointType.HISTOGRAM,
      EXPONENTIAL_HISTOGRAM: DataPointType.EXPONENTIAL_HISTOGRAM,
      GAUGE: DataPointType.GAUGE,
      SUM: DataPointType.SUM,
    });
  });

  it('writes OpenMetrics 1.0.0: counter families without _total, buckets before _count and _sum, quotes escaped in HELP, # EOF', async () => {
    const rm = await collected((p, r) => {
      r.counter('django_http_requests_total_by_method_total').labels('GET').inc(3);
      r.histogram('django_http_requests_latency_including_middlewares_seconds').labels().observe(0.7);
      const m = p.getMeter('app');
      m.createUpDownCounter('queue_depth', { description: 'Say "depth".' }).add(2);
      m.createHistogram('app_seconds', { description: 'App.', advice: { explicitBucketBoundaries: [1, 5] } }).record(2);
    });
    const pythonBuckets = (n: string) => isDjangoFamily(n, '');
    assert.equal(
      serializePrometheus(rm, { format: 'openmetrics', pythonBuckets, trailer: blockedGaugeText(0) }),
      [
        '# HELP queue_depth Say \\"depth\\".',
        '# TYPE queue_depth gauge',
        'queue_depth 2',
        '# HELP app_seconds App.',
        '# TYPE app_seconds histogram',
        'app_seconds_bucket{le="1"} 0',
        'app_seconds_bucket{le="5"} 1',
        'app_seconds_bucket{le="+Inf"} 1',
        'app_seconds_count 1',
        'app_seconds_sum 2',
        '# HELP django_http_requests_total_by_method Count of requests by method.',
        '# TYPE django_http_requests_total_by_method counter',
        'django_http_requests_total_by_method_total{method="GET"} 3',
        '# HELP django_http_requests_latency_including_middlewares_seconds Histogram of requests processing time (including middleware processing time).',
        '# TYPE django_http_requests_latency_including_middlewares_seconds histogram',
        'django_http_requests_latency_including_middlewares_seconds_bucket{le="0.5"} 0',
        'django_http_requests_latency_including_middlewares_seconds_bucket{le="1.0"} 1',
        'django_http_requests_latency_including_middlewares_seconds_bucket{le="75.0"} 1',
        'django_http_requests_latency_including_middlewares_seconds_bucket{le="+Inf"} 1',
        'django_http_requests_latency_including_middlewares_seconds_count 1',
        'django_http_requests_latency_including_middlewares_seconds_sum 0.7',
        "# HELP autoprom_eventloop_blocked_seconds Seconds the application thread has left the metrics endpoint's collection request unanswered: 0 while it answers; above 0, the values are those of the last collection.",
        '# TYPE autoprom_eventloop_blocked_seconds gauge',
        'autoprom_eventloop_blocked_seconds 0',
        '# EOF',
        '',
      ].join('\n'),
    );
    assert.equal(serializePrometheus({ scopeMetrics: [] }, { format: 'openmetrics' }), '# EOF\n');
  });

  it('the columnar collection crosses to another thread (numbers transferred) and renders the same bytes as the collection it came from', async () => {
    const rm = await collected((p, r) => {
      r.counter('django_http_requests_total_by_method_total').labels('GET').inc(2);
      r.histogram('django_db_query_duration_seconds').labels('test', 'postgresql').observe(0.2);
      for (let i = 0; i < 12; i++) r.counter('django_http_requests_total_by_method_total').labels(`M${i}`).inc(); // past the limit: an overflow series, other label names
      const m = p.getMeter('app');
      const jobs = m.createCounter('jobs', { description: 'J.' });
      jobs.add(1, { n: 4, ok: true, list: ['a'] });
      jobs.add(2);
      jobs.add(3, { queue: 'q"1' });
      m.createHistogram('sizes', { description: 'S.', advice: { explicitBucketBoundaries: [1, 10] } }).record(5, { kind: 'a' });
      m.createHistogram('no_bounds', { description: 'N.', advice: { explicitBucketBoundaries: [] } }).record(3);
      m.createUpDownCounter('depth', { description: 'D.' }).add(-2.5, { pool: 'p' });
      m.createObservableGauge('temperature', { description: 'T.' }).addCallback((o) => o.observe(-Infinity, { room: 'x' }));
    });
    const encoded = encodeCollection(rm);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<unknown>((resolve) => port2.once('message', resolve));
    port1.postMessage(encoded, transferList(encoded));
    const snapshot = decodeCollection((await received) as ReturnType<typeof encodeCollection>);
    port1.close();
    assert.ok(transferList(encoded).length === 0, 'the number buffers were moved, not copied');
    for (const format of ['text', 'openmetrics'] as const) {
      assert.equal(serializePrometheus(snapshot, { format }), serializePrometheus(rm, { format }));
    }
    const rendered = new RenderedCollection(snapshot, '');
    const text = rendered.render('text', false, 0).body;
    assert.ok(gunzipSync(rendered.render('text', true, 0).body).equals(text));
    assert.equal(rendered.render('text', false, 0).body, text, 'cached: rendered once per collection');
    assert.match(text.toString(), /^django_db_query_duration_seconds_bucket\{alias="test",vendor="postgresql",le="0.5"\} 1$/m);
    assert.match(rendered.render('text', false, 2.5).body.toString(), /^autoprom_eventloop_blocked_seconds 2.5$/m);
    assert.equal(new RenderedCollection(undefined, '').render('text', false, 1).body.toString(), blockedGaugeText(1));
  });
});

describe('export: which collection answers which scrape (unit)', () => {
  function harness() {
    const requests: number[] = [];
    const answers: Array<[string | undefined, number, string | undefined]> = [];
    let clock = 0;
    const shared = new SharedCollections<string>({
      windowMs: 0,
      deadlineMs: 60_000,
      requestCollection: (id) => requests.push(id),
      now: () => clock,
    });
    const scrape = () => shared.scrape((c, blocked, error) => answers.push([c, blocked, error]));
    return { shared, requests, answers, scrape, tick: (ms: number) => (clock += ms) };
  }

  it('scrapes that arrive while a collection is being made share the next one; each answer is newer than its scrape', () => {
    const h = harness();
    h.scrape();
    assert.deepEqual(h.requests, [1]);
    h.scrape();
    h.scrape();
    assert.deepEqual(h.requests, [1], 'no second request while one is pending');
    h.shared.collected(1, 'c1');
    assert.deepEqual(h.answers, [['c1', 0, undefined]]);
    assert.deepEqual(h.requests, [1, 2], 'the two later scrapes get a collection made after they arrived');
    h.shared.collected(2, 'c2');
    assert.deepEqual(h.answers, [
      ['c1', 0, undefined],
      ['c2', 0, undefined],
      ['c2', 0, undefined],
    ]);
    h.shared.collected(2, 'late duplicate');
    assert.equal(h.answers.length, 3);
  });

  it('a scrape the application thread does not answer by its deadline gets the last collection and the seconds the request has waited', async () => {
    const requests: number[] = [];
    const answers: Array<[string | undefined, number, string | undefined]> = [];
    let clock = 0;
    const shared = new SharedCollections<string>({
      windowMs: 0,
      deadlineMs: 0,
      requestCollection: (id) => requests.push(id),
      now: () => clock,
    });
    const scrape = () => shared.scrape((c, blocked, error) => answers.push([c, blocked, error]));
    const deadlinesPass = () => new Promise((r) => setTimeout(r, 5));
    scrape();
    shared.collected(1, 'c1');
    scrape();
    assert.deepEqual(requests, [1, 2]);
    clock += 1500;
    await deadlinesPass();
    scrape();
    clock += 2000;
    await deadlinesPass();
    assert.deepEqual(answers, [
      ['c1', 0, undefined],
      ['c1', 1.5, undefined],
      ['c1', 3.5, undefined],
    ]);
    assert.deepEqual(requests, [1, 2], 'one request outstanding, however many scrapes');
    shared.collected(2, 'c2');
    scrape();
    assert.deepEqual(requests, [1, 2, 3]);
    shared.failed(3, 'boom');
    assert.deepEqual(answers.slice(3), [[undefined, 0, 'boom']]);
    scrape();
    shared.collected(4, 'c4');
    assert.deepEqual(answers.slice(4), [['c4', 0, undefined]]);
  });
});

describe('export: PROMETHEUS_METRICS_EXPORT_SERVER (unit)', () => {
  const cases: Array<[string | undefined, boolean, string[]]> = [
    [undefined, true, []],
    ['true', true, []],
    ['FALSE', false, []],
    [' false ', false, []],
    [
      '0',
      true,
      ['autoprom: PROMETHEUS_METRICS_EXPORT_SERVER="0" is not a boolean (expected true or false); autoprom\'s own metrics port stays open'],
    ],
  ];
  for (const [value, server, problems] of cases) {
    it(`${JSON.stringify(value)} -> server ${server}`, () => {
      const parsed = parseConfig({ PROMETHEUS_METRICS_EXPORT_SERVER: value });
      assert.equal(parsed.config.server, server);
      assert.deepEqual(parsed.problems, problems);
      assert.equal(parsed.config.prometheus, true, 'the exporter (and metricsHandler) stay on');
    });
  }
});
