/**
 * What the application thread hands the metrics worker: the numbers of one collection as
 * plain data (structured-clone friendly, no class instances, no timestamps), in the shape
 * the serializer reads. Type-only imports: the worker loads this file too.
 */
import type { Attributes } from '@opentelemetry/api';
import type { MetricsInput } from './serialize';

export interface PlainPoint {
  readonly attributes: Attributes;
  /** A number, or a histogram's `{ count, sum, buckets: { boundaries, counts } }`. */
  readonly value: unknown;
}

export interface PlainMetric {
  readonly descriptor: { readonly name: string; readonly description: string };
  readonly dataPointType: number;
  readonly isMonotonic?: boolean;
  readonly dataPoints: readonly PlainPoint[];
}

export interface Snapshot extends MetricsInput {
  readonly scopeMetrics: ReadonlyArray<{ readonly metrics: readonly PlainMetric[] }>;
}

interface HistogramLike {
  readonly count?: number;
  readonly sum?: number;
  readonly buckets: { readonly boundaries: readonly number[]; readonly counts: readonly number[] };
}

function plainValue(value: unknown): unknown {
  if (typeof value === 'number' || value === null || typeof value !== 'object' || !('buckets' in value)) return value;
  // Histograms: only what the exposition shows (min and max are not in it).
  const h = value as HistogramLike;
  return { count: h.count, sum: h.sum, buckets: { boundaries: h.buckets.boundaries, counts: h.buckets.counts } };
}

/**
 * The plain copy of a collection (ResourceMetrics): one light pass that drops the resource,
 * scopes and timestamps, so that posting it to the worker clones only what is exposed.
 */
export function toSnapshot(collection: MetricsInput): Snapshot {
  const metrics: PlainMetric[] = [];
  for (const scope of collection.scopeMetrics) {
    for (const m of scope.metrics) {
      const dataPoints: PlainPoint[] = new Array(m.dataPoints.length);
      for (let i = 0; i < m.dataPoints.length; i++) {
        const point = m.dataPoints[i];
        dataPoints[i] = { attributes: point.attributes, value: plainValue(point.value) };
      }
      metrics.push({ descriptor: { name: m.descriptor.name, description: m.descriptor.description }, dataPointType: m.dataPointType, isMonotonic: m.isMonotonic, dataPoints });
    }
  }
  return { scopeMetrics: [{ metrics }] };
}
