import * as assert from 'node:assert/strict';
import { AggregationTemporality, AggregationType, DataPointType } from '@opentelemetry/sdk-metrics';
import { CUMULATIVE, DROP, EXPLICIT_BUCKET_HISTOGRAM, HISTOGRAM_POINTS, SUM_POINTS } from '../src/core/otel-enums';

describe('otel-enums: the sdk-metrics enum members written without loading sdk-metrics', () => {
  it('are the SDK’s own values', () => {
    assert.equal(CUMULATIVE, AggregationTemporality.CUMULATIVE);
    assert.equal(SUM_POINTS, DataPointType.SUM);
    assert.equal(HISTOGRAM_POINTS, DataPointType.HISTOGRAM);
    assert.equal(EXPLICIT_BUCKET_HISTOGRAM, AggregationType.EXPLICIT_BUCKET_HISTOGRAM);
    assert.equal(DROP, AggregationType.DROP);
  });
});
