import { strict as assert } from 'node:assert';
import { context } from '@opentelemetry/api';
import { AggregationType } from '@opentelemetry/sdk-metrics';
import { boundedAttributes, OVERFLOW_ATTRIBUTES, renameView } from '../src/core/otel-views';

describe('OpenTelemetry Views (unit)', () => {
  it('boundedAttributes passes the first limit-1 label sets, then folds every new one into the overflow series', () => {
    const p = boundedAttributes(4);
    const run = (host: string) => p.process({ host, method: 'GET' }, context.active());
    assert.deepEqual(run('a'), { host: 'a', method: 'GET' });
    assert.deepEqual(run('b'), { host: 'b', method: 'GET' });
    assert.deepEqual(run('c'), { host: 'c', method: 'GET' });
    assert.equal(run('d'), OVERFLOW_ATTRIBUTES);
    assert.equal(run('e'), OVERFLOW_ATTRIBUTES);
    // Known label sets keep passing, however many new ones came since.
    assert.deepEqual(run('a'), { host: 'a', method: 'GET' });
    assert.deepEqual(p.process({}, context.active()), OVERFLOW_ATTRIBUTES);
  });

  it('a renamed stream gets the catalogue name, help, buckets, limit, and the bound as its last processor', () => {
    const relabel = { process: () => ({ alias: 'x', vendor: 'postgresql' }) };
    const view = renameView(
      'django_db_query_duration_seconds',
      { meterName: 'm', instrumentName: 'db.client.operation.duration' },
      { namespace: 'ns', cardinalityLimit: 3, latencyBuckets: [0.5, 1] },
      [relabel],
    );
    assert.equal(view.name, 'ns_django_db_query_duration_seconds');
    assert.equal(view.description, 'Histogram of query duration by database and vendor.');
    assert.equal(view.aggregationCardinalityLimit, 3);
    assert.deepEqual(view.aggregation, {
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: [0.5, 1], recordMinMax: false },
    });
    assert.equal(view.attributesProcessors?.length, 2);
    assert.equal(view.attributesProcessors?.[0], relabel);
  });
});
