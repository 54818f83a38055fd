/** The sum of several processes' collections (export/aggregate.ts) and who belongs to a service (export/group.ts). */
import { strict as assert } from 'node:assert';
import { Departed, gaugeRule, sumCollections } from '../src/export/aggregate';
import { groupSocketPath, hostKey, memberOf } from '../src/export/group';
import { RenderedCollection } from '../src/export/render';
import { POINT_TYPE } from '../src/export/serialize';
import type { PlainMetric, Snapshot } from '../src/export/snapshot';

const counter = (name: string, points: Array<[Record<string, string>, number]>): PlainMetric => ({
  descriptor: { name, description: `${name} help` },
  dataPointType: POINT_TYPE.SUM,
  isMonotonic: true,
  dataPoints: points.map(([attributes, value]) => ({ attributes, value })),
});
const gauge = (name: string, value: number, attributes: Record<string, string> = {}): PlainMetric => ({
  descriptor: { name, description: `${name} help` },
  dataPointType: POINT_TYPE.GAUGE,
  dataPoints: [{ attributes, value }],
});
const histogram = (name: string, counts: number[], sum: number, boundaries = [0.1, 1]): PlainMetric => ({
  descriptor: { name, description: `${name} help` },
  dataPointType: POINT_TYPE.HISTOGRAM,
  dataPoints: [{ attributes: { view: 'v' }, value: { count: counts.reduce((a, b) => a + b, 0), sum, buckets: { boundaries, counts } } }],
});
const snapshot = (...metrics: PlainMetric[]): Snapshot => ({ scopeMetrics: [{ metrics }] });

function text(s: Snapshot): string {
  return new RenderedCollection(s, '').render('text', false, 0).body.toString('utf8');
}

describe('export: sum of processes (unit)', () => {
  it('sums counters per label set, whatever the label order, and adds no label', () => {
    const a = snapshot(
      counter('django_http_requests_total_by_method', [
        [{ method: 'GET' }, 3],
        [{ method: 'POST' }, 1],
      ]),
    );
    const b = snapshot(counter('django_http_requests_total_by_method', [[{ method: 'GET' }, 4]]));
    const c = snapshot(
      counter('x_by_two', [[{ a: '1', b: '2' }, 1]]),
      counter('django_http_requests_total_by_method', [[{ method: 'DELETE' }, 2]]),
    );
    const d = snapshot(counter('x_by_two', [[{ b: '2', a: '1' }, 5]]));
    const out = text(sumCollections([a, b, c, d], undefined, '').snapshot);
    assert.match(out, /^django_http_requests_total_by_method_total\{method="GET"\} 7$/m);
    assert.match(out, /^django_http_requests_total_by_method_total\{method="POST"\} 1$/m);
    assert.match(out, /^django_http_requests_total_by_method_total\{method="DELETE"\} 2$/m);
    assert.match(out, /^x_by_two_total\{a="1",b="2"\} 6$/m);
    assert.equal(out.match(/^# TYPE django_http_requests_total_by_method_total counter$/gm)?.length, 1);
  });

  it('sums histograms bucket by bucket, with count and sum; differing buckets leave the family out and say so', () => {
    const out = sumCollections([snapshot(histogram('h', [1, 2, 0], 1.5)), snapshot(histogram('h', [0, 1, 3], 9))], undefined, '');
    const point = out.snapshot.scopeMetrics[0].metrics[0].dataPoints[0].value as {
      count: number;
      sum: number;
      buckets: { counts: number[] };
    };
    assert.deepEqual([point.count, point.sum, point.buckets.counts], [7, 10.5, [1, 3, 3]]);
    const clash = sumCollections([snapshot(histogram('h', [1, 0, 0], 1)), snapshot(histogram('h', [1, 0, 0], 1, [0.5]))], undefined, '');
    assert.deepEqual(clash.conflicts, ['h']);
    assert.equal(clash.snapshot.scopeMetrics[0].metrics.length, 0);
  });

  it('gauges by rule: memory summed, event-loop lag and migration counts the max, the start time the min', () => {
    const p = (rss: number, lag: number, start: number, applied: number) =>
      snapshot(
        gauge('process_resident_memory_bytes', rss),
        gauge('nodejs_eventloop_lag_seconds', lag),
        gauge('process_start_time_seconds', start),
        gauge('django_migrations_applied_total', applied, { connection: 'default' }),
      );
    const out = text(sumCollections([p(100, 0.002, 1000, 7), p(50, 0.009, 990, 7), p(25, 0.001, 995, 7)], undefined, '').snapshot);
    assert.match(out, /^process_resident_memory_bytes 175$/m);
    assert.match(out, /^nodejs_eventloop_lag_seconds 0\.009$/m);
    assert.match(out, /^process_start_time_seconds 990$/m);
    assert.match(out, /^django_migrations_applied_total\{connection="default"\} 7$/m);
    assert.equal(gaugeRule('myapp_nodejs_eventloop_lag_p99_seconds', 'myapp'), 'max');
    assert.equal(gaugeRule('django_db_pool_connections', ''), 'sum');
  });

  it("keeps a departed process's counters and histograms in every later sum, and drops its gauges", () => {
    const departed = new Departed('');
    departed.add(snapshot(counter('c', [[{ k: 'a' }, 10]]), histogram('h', [1, 1, 0], 0.7), gauge('process_resident_memory_bytes', 500)));
    departed.add(
      snapshot(
        counter('c', [
          [{ k: 'a' }, 5],
          [{ k: 'b' }, 1],
        ]),
      ),
    );
    departed.add(undefined);
    assert.equal(departed.count, 3);
    const live = snapshot(counter('c', [[{ k: 'a' }, 2]]), gauge('process_resident_memory_bytes', 40));
    const out = text(sumCollections([live], departed, '').snapshot);
    assert.match(out, /^c_total\{k="a"\} 17$/m);
    assert.match(out, /^c_total\{k="b"\} 1$/m);
    assert.match(out, /^h_count\{view="v"\} 2$/m);
    assert.match(out, /^process_resident_memory_bytes 40$/m);
  });

  it("sums the application's prom-client counters and histograms; its gauges over live processes", () => {
    const app = (n: number): Snapshot => ({
      scopeMetrics: [{ metrics: [] }],
      appFamilies: [
        { name: 'jobs_total', help: 'jobs', type: 'counter', values: [{ value: n, labels: { queue: 'q' } }] },
        { name: 'queue_depth', help: 'depth', type: 'gauge', values: [{ value: n }] },
      ],
    });
    const departed = new Departed('');
    departed.add(app(100));
    const sum = sumCollections([app(1), app(2)], departed, '').snapshot;
    assert.deepEqual(
      sum.appFamilies?.map((f) => [f.name, f.values?.map((v) => v.value)]),
      [
        ['jobs_total', [103]],
        ['queue_depth', [3]],
      ],
    );
  });

  it('who belongs together: node:cluster workers by primary, PM2 cluster instances by daemon and app name', () => {
    assert.deepEqual(memberOf({}, 10, true), { key: 'cluster:10', anchorPid: 10 });
    assert.equal(memberOf({}, 10, false), undefined);
    assert.deepEqual(memberOf({ pm_id: '3', exec_mode: 'cluster_mode', name: 'api' }, 20, true), { key: 'pm2:20:api', anchorPid: 20 });
    // PM2 fork mode: a process on its own.
    assert.equal(memberOf({ pm_id: '3', exec_mode: 'fork_mode', name: 'api' }, 20, false), undefined);
    assert.equal(hostKey(10), 'cluster:10');
    if (process.platform !== 'win32') assert.match(groupSocketPath(9464), /autoprom-\d+\/9464\.sock$/);
  });
});
