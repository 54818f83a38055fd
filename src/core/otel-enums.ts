/**
 * The sdk-metrics enum members that code running at start writes (TypeScript numeric enums,
 * fixed by the SDK's API): importing them from sdk-metrics would load the whole SDK at start
 * (core/lazy-meters.ts). test/otel-enums.unit.test.ts checks each against sdk-metrics.
 */
import type { AggregationTemporality, AggregationType, DataPointType } from '@opentelemetry/sdk-metrics';

export const CUMULATIVE = 1 as AggregationTemporality.CUMULATIVE;
export const SUM_POINTS = 3 as DataPointType.SUM;
export const HISTOGRAM_POINTS = 0 as DataPointType.HISTOGRAM;
export const EXPLICIT_BUCKET_HISTOGRAM = 4 as AggregationType.EXPLICIT_BUCKET_HISTOGRAM;
export const DROP = 1 as AggregationType.DROP;
