import * as assert from 'node:assert/strict';
import { DataPointType, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { LazyMeterProvider } from '../src/core/lazy-meters';

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Each data point by metric name and its attributes, as `name{k=v}`: value (a histogram gives count/sum). */
function points(rm: ResourceMetrics): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const sm of rm.scopeMetrics)
    for (const m of sm.metrics)
      for (const p of m.dataPoints as Array<{ attributes: Record<string, unknown>; value: unknown }>) {
        const key = `${m.descriptor.name}{${Object.entries(p.attributes)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(',')}}`;
        out[key] =
          m.dataPointType === DataPointType.HISTOGRAM
            ? { count: (p.value as { count: number }).count, sum: (p.value as { sum: number }).sum }
            : p.value;
      }
  return out;
}

function lazy(): { provider: LazyMeterProvider; reader: TestReader; created: () => number } {
  const reader = new TestReader();
  let created = 0;
  const provider = new LazyMeterProvider(() => {
    created++;
    return new MeterProvider({ readers: [reader] });
  });
  return { provider, reader, created: () => created };
}

describe('lazy-meters: the SDK created at its first use, exactly as if it had been there from the start', () => {
  it('meters, instruments and callbacks asked for before create nothing', () => {
    const { provider, created } = lazy();
    const meter = provider.getMeter('app');
    meter.createCounter('c');
    meter.createHistogram('h');
    meter.createObservableGauge('g').addCallback((r) => r.observe(1));
    meter.addBatchObservableCallback(() => {}, []);
    assert.equal(created(), 0);
    assert.equal(provider.created, false);
  });

  it('the first value recorded creates the SDK, and every value is collected', async () => {
    const { provider, reader, created } = lazy();
    const meter = provider.getMeter('app');
    const counter = meter.createCounter('requests');
    const histogram = meter.createHistogram('latency', { advice: { explicitBucketBoundaries: [1, 2] } });
    const upDown = meter.createUpDownCounter('in_flight');
    const gauge = meter.createGauge('temperature');
    counter.add(2, { route: '/a' });
    assert.equal(created(), 1);
    counter.add(3);
    histogram.record(1.5);
    histogram.record(0.5);
    upDown.add(4);
    upDown.add(-1);
    gauge.record(21);
    assert.deepEqual(points((await reader.collect()).resourceMetrics), {
      'requests{route=/a}': 2,
      'requests{}': 3,
      'latency{}': { count: 2, sum: 2 },
      'in_flight{}': 3,
      'temperature{}': 21,
    });
    assert.equal(created(), 1);
  });

  it('observable callbacks and batch callbacks added before are observed once the SDK exists; removed ones are not', async () => {
    const { provider, reader } = lazy();
    const meter = provider.getMeter('app');
    const gauge = meter.createObservableGauge('queue');
    const counter = meter.createObservableCounter('bytes');
    const upDown = meter.createObservableUpDownCounter('open');
    gauge.addCallback((r) => r.observe(7, { q: 'jobs' }));
    const removed = (r: { observe: (v: number) => void }) => r.observe(99);
    counter.addCallback(removed);
    counter.removeCallback(removed);
    let batchCalls = 0;
    const batch = (r: { observe: (o: typeof counter, v: number) => void }) => {
      batchCalls++;
      r.observe(counter, 10);
      r.observe(upDown, 2);
    };
    meter.addBatchObservableCallback(batch, [counter, upDown]);
    const dropped = (r: { observe: (o: typeof counter, v: number) => void }) => r.observe(upDown, 50);
    meter.addBatchObservableCallback(dropped, [upDown]);
    meter.removeBatchObservableCallback(dropped, [upDown]);
    provider.sdk();
    assert.deepEqual(points((await reader.collect()).resourceMetrics), { 'queue{q=jobs}': 7, 'bytes{}': 10, 'open{}': 2 });
    assert.equal(batchCalls, 1);
    // A batch callback removed after the SDK exists is no longer called.
    meter.removeBatchObservableCallback(batch, [counter, upDown]);
    await reader.collect();
    assert.equal(batchCalls, 1);
  });

  it('once the SDK exists, meters and instruments are its own', () => {
    const { provider } = lazy();
    const before = provider.getMeter('app');
    const sdk = provider.sdk();
    assert.equal(provider.getMeter('app'), sdk.getMeter('app'));
    assert.equal(before.createCounter('x').constructor, sdk.getMeter('app').createCounter('x').constructor);
  });

  it('a SDK that cannot be created: nothing reaches the application, sdk() says why', () => {
    const provider = new LazyMeterProvider(() => {
      throw new Error('no SDK here');
    });
    const counter = provider.getMeter('app').createCounter('c');
    const writes: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => (writes.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      counter.add(1);
      counter.add(1);
    } finally {
      process.stderr.write = write;
    }
    assert.throws(() => provider.sdk(), /no SDK here/);
    assert.equal(writes.length, 1);
    assert.match(writes[0]!, /creating OpenTelemetry's MeterProvider.*no SDK here/);
  });
});
