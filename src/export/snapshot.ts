/**
 * What the application thread hands the metrics worker: the numbers of one collection, in a
 * columnar form that is cheap to post (per metric: label names once, label values in one
 * array, every number in one Float64Array that is transferred, not copied), and the plain
 * shape the serializer reads, rebuilt in the worker. Type-only imports: the worker loads this.
 */
import type { Attributes } from '@opentelemetry/api';
import type { MetricInput, MetricsInput } from './serialize';
import { POINT_TYPE } from './serialize';

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

/** One metric, columnar. Sums and gauges: per point [key set, value]; histograms: [key set, bounds, has count, count, has sum, sum, n, ...counts]. */
interface ColumnarMetric {
  readonly name: string;
  readonly help: string;
  readonly dataPointType: number;
  readonly isMonotonic: boolean | undefined;
  readonly points: number;
  /** Distinct label-name lists; points refer to them by index. */
  readonly keySets: string[][];
  /** Label values of every point, in key-set order. */
  readonly labelValues: unknown[];
  /** Distinct bucket-boundary lists (histograms). */
  readonly boundaries: (readonly number[])[];
  readonly numbers: Float64Array;
}

/** A metric of a kind the columns do not hold (exponential histograms): posted as it is. */
interface OtherMetric {
  readonly other: PlainMetric;
}

export interface EncodedCollection {
  readonly metrics: ReadonlyArray<ColumnarMetric | OtherMetric>;
  /** The application's own prom-client families, posted as they are (few, and plain data). */
  readonly appFamilies?: MetricsInput['appFamilies'];
}

interface HistogramLike {
  readonly count?: number;
  readonly sum?: number;
  readonly buckets: { readonly boundaries: readonly number[]; readonly counts: readonly number[] };
}

function encodeMetric(m: MetricInput): ColumnarMetric | OtherMetric {
  const histogram = m.dataPointType === POINT_TYPE.HISTOGRAM;
  if (!histogram && m.dataPointType !== POINT_TYPE.SUM && m.dataPointType !== POINT_TYPE.GAUGE) {
    return {
      other: {
        descriptor: { name: m.descriptor.name, description: m.descriptor.description },
        dataPointType: m.dataPointType,
        isMonotonic: m.isMonotonic,
        dataPoints: m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
      },
    };
  }
  const keySets: string[][] = [];
  const keySetIndex = new Map<string, number>();
  const boundaries: (readonly number[])[] = [];
  const labelValues: unknown[] = [];
  let size = 0;
  for (const p of m.dataPoints) size += histogram ? 7 + (p.value as HistogramLike).buckets.counts.length : 2;
  const numbers = new Float64Array(size);
  let at = 0;
  let lastKeys: string[] | undefined;
  let lastKeysIndex = -1;
  for (const p of m.dataPoints) {
    const keys = Object.keys(p.attributes);
    // Points of one metric nearly always share their label names: compare with the last first.
    let index = lastKeys !== undefined && sameKeys(lastKeys, keys) ? lastKeysIndex : keySetIndex.get(keys.join('\u0000'));
    if (index === undefined) {
      index = keySets.length;
      keySets.push(keys);
      keySetIndex.set(keys.join('\u0000'), index);
    }
    lastKeys = keys;
    lastKeysIndex = index;
    for (const k of keys) labelValues.push(p.attributes[k]);
    numbers[at++] = index;
    if (!histogram) {
      numbers[at++] = p.value as number;
      continue;
    }
    const h = p.value as HistogramLike;
    let b = boundaries.lastIndexOf(h.buckets.boundaries);
    if (b === -1) b = boundaries.push(h.buckets.boundaries) - 1;
    numbers[at++] = b;
    numbers[at++] = h.count == null ? 0 : 1;
    numbers[at++] = h.count ?? 0;
    numbers[at++] = h.sum == null ? 0 : 1;
    numbers[at++] = h.sum ?? 0;
    numbers[at++] = h.buckets.counts.length;
    for (const c of h.buckets.counts) numbers[at++] = c;
  }
  return {
    name: m.descriptor.name,
    help: m.descriptor.description,
    dataPointType: m.dataPointType,
    isMonotonic: m.isMonotonic,
    points: m.dataPoints.length,
    keySets,
    labelValues,
    boundaries,
    numbers,
  };
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A collection (ResourceMetrics) in columns, for postMessage with `transferList(encoded)`. */
export function encodeCollection(collection: MetricsInput): EncodedCollection {
  const metrics: Array<ColumnarMetric | OtherMetric> = [];
  for (const scope of collection.scopeMetrics) for (const m of scope.metrics) metrics.push(encodeMetric(m));
  return collection.appFamilies === undefined ? { metrics } : { metrics, appFamilies: collection.appFamilies };
}

/** The buffers to transfer with an encoded collection (it must not be used after posting). */
export function transferList(encoded: EncodedCollection): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const m of encoded.metrics) if ('numbers' in m && m.numbers.byteLength > 0) out.push(m.numbers.buffer as ArrayBuffer);
  return out;
}

function decodeMetric(m: ColumnarMetric): PlainMetric {
  const histogram = m.dataPointType === POINT_TYPE.HISTOGRAM;
  const dataPoints: PlainPoint[] = new Array(m.points);
  const n = m.numbers;
  let at = 0;
  let v = 0;
  for (let i = 0; i < m.points; i++) {
    const keys = m.keySets[n[at++]];
    const attributes: Record<string, unknown> = {};
    for (const k of keys) attributes[k] = m.labelValues[v++];
    if (!histogram) {
      dataPoints[i] = { attributes: attributes as Attributes, value: n[at++] };
      continue;
    }
    const boundaries = m.boundaries[n[at++]];
    const hasCount = n[at++] === 1;
    const count = n[at++];
    const hasSum = n[at++] === 1;
    const sum = n[at++];
    const length = n[at++];
    const counts = Array.from(n.subarray(at, at + length));
    at += length;
    dataPoints[i] = {
      attributes: attributes as Attributes,
      value: { count: hasCount ? count : undefined, sum: hasSum ? sum : undefined, buckets: { boundaries, counts } },
    };
  }
  return { descriptor: { name: m.name, description: m.help }, dataPointType: m.dataPointType, isMonotonic: m.isMonotonic, dataPoints };
}

/** The serializer's plain shape again, in the worker. */
export function decodeCollection(encoded: EncodedCollection): Snapshot {
  const scopeMetrics = [{ metrics: encoded.metrics.map((m) => ('other' in m ? m.other : decodeMetric(m))) }];
  return encoded.appFamilies === undefined ? { scopeMetrics } : { scopeMetrics, appFamilies: encoded.appFamilies };
}
