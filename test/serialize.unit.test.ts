import { strict as assert } from 'node:assert';
import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { Registry } from '../src/core/registry';
import { escapeLabelValue, sanitizeName, serializePrometheus } from '../src/export/serialize';

/** OpenTelemetry's serializer as exposition.ts configured it before serialize.ts, units removed first. */
function reference(rm: ResourceMetrics): string {
  const withoutUnits: ResourceMetrics = {
    resource: rm.resource,
    scopeMetrics: rm.scopeMetrics.map((sm) => ({
      scope: sm.scope,
      metrics: sm.metrics.map((m) => ({ ...m, descriptor: { ...m.descriptor, unit: '' } })),
    })),
  };
  return new PrometheusSerializer('', false, undefined, true, true).serialize(withoutUnits);
}

async function collect(record: (meterProvider: MeterProvider) => void, registry?: Registry): Promise<ResourceMetrics> {
  const reader = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    withoutTargetInfo: true,
    metricProducers: registry ? [registry] : [],
  });
  const provider = new MeterProvider({ readers: [reader] });
  record(provider);
  const { resourceMetrics, errors } = await reader.collect();
  assert.deepEqual(errors, []);
  await provider.shutdown();
  return resourceMetrics;
}

const meterOf = (p: MeterProvider, name = 'test'): Meter => p.getMeter(name);
const AWKWARD = ['back\\slash', 'new\nline', 'say "hi"', 'all \\ "of"\nthem', 'ünïcødé ✓', '', ' spaced '];

type Case = [name: string, record: (p: MeterProvider) => void];

const CASES: Case[] = [
  ['nothing registered', () => undefined],
  [
    'counters with and without _total, labelled and not',
    (p) => {
      const m = meterOf(p);
      m.createCounter('requests', { description: 'Requests.' }).add(3, { method: 'GET', status: '200' });
      m.createCounter('jobs_total', { description: 'Jobs.' }).add(2);
      const c = m.createCounter('http.server.hits', { description: 'Dotted name.', unit: 's' });
      c.add(1, { 'http.route': '/a/:id' });
      c.add(5, { 'http.route': '/b' });
      m.createCounter('1st-counter', { description: 'Starts with a digit.' }).add(1);
    },
  ],
  [
    'gauges: up-down counter, observable gauge, observable up-down counter',
    (p) => {
      const m = meterOf(p);
      m.createUpDownCounter('in_flight', { description: 'In flight.' }).add(-4, { pool: 'a' });
      m.createObservableGauge('temperature', { description: 'Temp.', unit: 'Cel' }).addCallback((r) => {
        r.observe(21.5, { room: 'x' });
        r.observe(-0.25, { room: 'y' });
        r.observe(Infinity, { room: 'z' });
        r.observe(-Infinity, { room: 'w' });
      });
      m.createObservableUpDownCounter('queue_depth', { description: 'Depth.' }).addCallback((r) => r.observe(7));
      m.createGauge('last_value', { description: 'Synchronous gauge.' }).record(1e21, { k: 'v' });
    },
  ],
  [
    'histograms: labelled, label-less, custom and default buckets, empty buckets, unit',
    (p) => {
      const m = meterOf(p);
      const h = m.createHistogram('latency_seconds', {
        description: 'Latency.',
        unit: 's',
        advice: { explicitBucketBoundaries: [0.01, 0.1, 1, 10] },
      });
      for (const v of [0.001, 0.05, 0.05, 2, 100]) h.record(v, { view: '/users/:id', method: 'GET' });
      h.record(0.2, { view: '<unnamed view>', method: 'POST' });
      m.createHistogram('sizes', { description: 'Sizes.' }).record(1234);
      m.createHistogram('one_bucket', { description: 'Single boundary.', advice: { explicitBucketBoundaries: [0] } }).record(-1);
      m.createHistogram('no_buckets', { description: 'No boundaries.', advice: { explicitBucketBoundaries: [] } }).record(3);
    },
  ],
  [
    'escaping of label values, label names and help texts; non-string attributes',
    (p) => {
      const m = meterOf(p);
      const c = m.createCounter('escapes', { description: 'Help with \\ backslash\nand newline and "quotes".' });
      AWKWARD.forEach((v, i) => c.add(i + 1, { value: v, 'weird-key.name': 'k', 'a..b': 'double dot' }));
      const h = m.createHistogram('escaped_histogram', { description: 'H.', advice: { explicitBucketBoundaries: [1] } });
      AWKWARD.forEach((v) => h.record(0.5, { value: v }));
      const g = m.createUpDownCounter('typed_attributes', { description: 'Non-string attribute values.' });
      g.add(1, { n: 42, b: true, list: ['x', 'y"z'], f: 1.5 });
    },
  ],
  [
    'empty families: instruments with no data, help missing',
    (p) => {
      const m = meterOf(p);
      m.createCounter('never_incremented', { description: 'Nothing yet.' });
      m.createHistogram('never_observed', { description: 'Nothing yet.' });
      m.createCounter('no_help').add(1);
      m.createObservableGauge('silent_gauge', { description: 'Callback observes nothing.' }).addCallback(() => undefined);
    },
  ],
  [
    'same name from two meters: merged family; type clash: dropped',
    (p) => {
      meterOf(p, 'a').createCounter('shared', { description: 'From a.' }).add(1, { from: 'a' });
      meterOf(p, 'b').createCounter('shared', { description: 'From b.' }).add(2, { from: 'b' });
      meterOf(p, 'c').createCounter('shared_help_late').add(1, { from: 'c' });
      meterOf(p, 'd').createCounter('shared_help_late', { description: 'Help from the second.' }).add(1, { from: 'd' });
      meterOf(p, 'a').createCounter('clash', { description: 'Counter.' }).add(1);
      meterOf(p, 'b').createHistogram('clash', { description: 'Histogram.' }).record(1);
      meterOf(p, 'c').createCounter('clash', { description: 'Counter again.' }).add(1);
    },
  ],
];

describe('serializePrometheus (unit)', () => {
  for (const [name, record] of CASES) {
    it(`renders exactly what OpenTelemetry's serializer renders: ${name}`, async () => {
      const rm = await collect(record);
      // One deliberate difference: the empty exposition ends in a newline (promtool rejects it without one).
      const expected = reference(rm);
      assert.equal(serializePrometheus(rm), expected === '# no registered metrics' ? `${expected}\n` : expected);
    });
  }

  it("renders autoprom's registry (labelled, label-less, empty and overflow series) as OpenTelemetry does", async () => {
    const registry = new Registry({ namespace: 'ns', cardinalityLimit: 3, latencyBuckets: [0.1, 1] });
    const byStatus = registry.counter('django_http_responses_total_by_status_total');
    byStatus.labels('200').inc();
    byStatus.labels('404').inc(2);
    byStatus.labels('500').inc(); // past the limit of 3 (overflow included): folds into the overflow series
    registry.counter('django_http_requests_total_by_method_total'); // labelled, no series yet
    const latency = registry.histogram('django_http_requests_latency_seconds_by_view_method');
    latency.labels('/a "quoted"\\view', 'GET').observe(0.05);
    latency.labels('/b', 'POST').observe(5);
    registry.histogram('django_http_requests_latency_including_middlewares_seconds').only!.observe(0.5);
    registry.counter('django_http_requests_before_middlewares_total');
    const rm = await collect(() => undefined, registry);
    const text = serializePrometheus(rm);
    assert.equal(text, reference(rm));
    assert.match(text, /^ns_django_http_responses_total_by_status_total\{otel_metric_overflow="true"\} 1$/m);
    assert.match(text, /^# TYPE ns_django_http_requests_total_by_method_total counter$/m);
    assert.doesNotMatch(text, /^ns_django_http_requests_total_by_method_total[{ ]/m);
  });

  it('writes no unit, scope or target_info lines, and exact sample lines', async () => {
    const rm = await collect((p) => {
      const m = meterOf(p);
      m.createHistogram('d', { description: 'D.', unit: 's', advice: { explicitBucketBoundaries: [1, 2] } }).record(1.5, { a: 'x"y' });
      m.createCounter('c', { description: 'C.', unit: 'By' }).add(2);
    });
    assert.equal(
      serializePrometheus(rm),
      [
        '# HELP d D.',
        '# TYPE d histogram',
        'd_count{a="x\\"y"} 1',
        'd_sum{a="x\\"y"} 1.5',
        'd_bucket{a="x\\"y",le="1"} 0',
        'd_bucket{a="x\\"y",le="2"} 1',
        'd_bucket{a="x\\"y",le="+Inf"} 1',
        '# HELP c_total C.',
        '# TYPE c_total counter',
        'c_total 2',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values and sanitizes names as the Prometheus text format requires', () => {
    const rows: Array<[unknown, string]> = [
      ['plain', 'plain'],
      ['a\\b', 'a\\\\b'],
      ['a\nb', 'a\\nb'],
      ['a"b', 'a\\"b'],
      [7, '7'],
      [true, 'true'],
      [['x'], '[\\"x\\"]'],
      [undefined, ''],
    ];
    for (const [value, expected] of rows) assert.equal(escapeLabelValue(value), expected, String(value));
    assert.equal(sanitizeName('http.server.request-duration'), 'http_server_request_duration');
    assert.equal(sanitizeName('a..b__c'), 'a_b_c');
  });

  it('renders the same text again on a second scrape (caches do not change the output)', async () => {
    const rm = await collect(CASES[3][1]);
    assert.equal(serializePrometheus(rm), serializePrometheus(rm));
    assert.equal(serializePrometheus(rm), reference(rm));
  });
});
