/**
 * What the application thread hands the metrics worker: the numbers of one collection, in a
 * columnar form that is cheap to post (per metric: label names once, label values in one
 * array, every number in one Float64Array that is transferred, not copied), and the plain
 * shape the serializer reads, rebuilt in the worker. Type-only imports: the worker loads this.
 *
 * autoprom's own families (the Registry's pre-bound series) are written into the columns
 * straight from their series, without OpenTelemetry's collection and without an object per
 * point, and their label values cross once: a family's series are only ever appended, so each
 * collection carries the label values of the series created since the last one, and the
 * worker (`LabelDictionary`) keeps the rest. What it hands on (to the serializer, to the
 * process summing a service) is complete again.
 */
import type { Attributes } from '@opentelemetry/api';
import type { AnyFamily } from '../core/recorder';
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
  /** Label values of every point, in key-set order (after the first `dictionary.known`, when there is a dictionary). */
  readonly labelValues: unknown[];
  /**
   * Set on the way to the metrics worker only: the first `known` label values are those that
   * earlier collections carried for the family `id` (`LabelDictionary` completes them).
   */
  readonly dictionary?: { readonly id: number; readonly known: number };
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

/** What the worker already holds of one Registry family's label values. */
interface SentLabels {
  readonly id: number;
  /** Series (in creation order) whose label values have been posted. */
  series: number;
  /** How many label values those are. */
  values: number;
  /** The overflow series' value has been posted (it comes after every other series). */
  overflow: boolean;
}

const OVERFLOW_KEYS: readonly string[] = ['otel_metric_overflow'];

/**
 * The application thread's side: autoprom's Registry families straight into columns (what
 * `encodeCollection` makes of their MetricData, byte for byte once serialized), label values
 * posted once per series. A collection must reach the worker in the order it was encoded:
 * encode right before posting, and `forget` when a post failed or the worker asks again.
 */
export class RegistryColumns {
  private sent = new Map<AnyFamily, SentLabels>();
  private nextId = 1;

  constructor(private readonly families: () => Iterable<AnyFamily>) {}

  /** The next collection posts every label value again (the worker starts its dictionary over). */
  forget(): void {
    this.sent = new Map();
  }

  /** The other metrics of a collection (OpenTelemetry's streams) in columns, then the Registry's families. */
  encode(others: MetricsInput): EncodedCollection {
    const metrics: Array<ColumnarMetric | OtherMetric> = [];
    for (const scope of others.scopeMetrics) for (const m of scope.metrics) metrics.push(encodeMetric(m));
    for (const f of this.families()) metrics.push(this.encodeFamily(f));
    return others.appFamilies === undefined ? { metrics } : { metrics, appFamilies: others.appFamilies };
  }

  private encodeFamily(f: AnyFamily): ColumnarMetric {
    let sent = this.sent.get(f);
    const overflow = f.overflowSeries;
    // Series are appended before the overflow series only; anything else (never seen) starts over.
    if (sent === undefined || (sent.overflow && f.series.size !== sent.series)) {
      sent = { id: sent?.id ?? this.nextId++, series: 0, values: 0, overflow: false };
      this.sent.set(f, sent);
    }
    const known = sent.values;
    const labelCount = f.spec.labels.length;
    const labelValues: unknown[] = [];
    const points = f.series.size + (overflow === undefined ? 0 : 1);
    const histogram = f.spec.type === 'histogram';
    const perPoint = histogram ? 7 + f.boundaries.length + 1 : 2;
    const numbers = new Float64Array(points * perPoint);
    let at = 0;
    let index = 0;
    if (histogram) {
      for (const s of f.series.values()) {
        if (index++ >= sent.series) for (let i = 0; i < labelCount; i++) labelValues.push(s.labelValues[i]);
        at = histogramPoint(numbers, at, 0, s as HistogramNumbers);
      }
      if (overflow !== undefined) histogramPoint(numbers, at, 1, overflow as HistogramNumbers);
    } else {
      for (const s of f.series.values()) {
        if (index++ >= sent.series) for (let i = 0; i < labelCount; i++) labelValues.push(s.labelValues[i]);
        numbers[at++] = 0;
        numbers[at++] = (s as { value: number }).value;
      }
      if (overflow !== undefined) {
        numbers[at] = 1;
        numbers[at + 1] = (overflow as { value: number }).value;
      }
    }
    if (overflow !== undefined && !sent.overflow) labelValues.push('true');
    sent.series = f.series.size;
    sent.values = known + labelValues.length;
    sent.overflow = overflow !== undefined;
    return {
      name: f.exposedName,
      help: f.spec.help,
      dataPointType: histogram ? POINT_TYPE.HISTOGRAM : POINT_TYPE.SUM,
      isMonotonic: histogram ? undefined : true,
      points,
      keySets: overflow === undefined ? [f.spec.labels as string[]] : [f.spec.labels as string[], OVERFLOW_KEYS as string[]],
      labelValues,
      boundaries: histogram ? [f.boundaries] : [],
      numbers,
      dictionary: { id: sent.id, known },
    };
  }
}

interface HistogramNumbers {
  readonly counts: Float64Array;
  readonly count: number;
  readonly sum: number;
}

/** One histogram point as `encodeMetric` writes it: key set, bounds 0, count, sum, the bucket counts. */
function histogramPoint(numbers: Float64Array, from: number, keySet: number, s: HistogramNumbers): number {
  let at = from;
  numbers[at++] = keySet;
  numbers[at++] = 0;
  numbers[at++] = 1;
  numbers[at++] = s.count;
  numbers[at++] = 1;
  numbers[at++] = s.sum;
  numbers[at++] = s.counts.length;
  numbers.set(s.counts, at);
  return at + s.counts.length;
}

/**
 * The worker's side: every Registry family's label values so far, so that a collection that
 * carries only the new ones is complete again. Collections must be completed in the order
 * they were posted; one that does not fit (a value missing) throws, and the application
 * thread is then asked to post every label value again.
 */
export class LabelDictionary {
  private readonly families = new Map<number, unknown[]>();

  complete(encoded: EncodedCollection): EncodedCollection {
    let metrics: Array<ColumnarMetric | OtherMetric> | undefined;
    for (let i = 0; i < encoded.metrics.length; i++) {
      const m = encoded.metrics[i];
      if ('other' in m || m.dictionary === undefined) continue;
      metrics ??= encoded.metrics.slice();
      metrics[i] = this.completeMetric(m, m.dictionary);
    }
    if (metrics === undefined) return encoded;
    return encoded.appFamilies === undefined ? { metrics } : { metrics, appFamilies: encoded.appFamilies };
  }

  /** Forget everything (the application thread posts every label value again). */
  clear(): void {
    this.families.clear();
  }

  private completeMetric(m: ColumnarMetric, dictionary: { readonly id: number; readonly known: number }): ColumnarMetric {
    const held = this.families.get(dictionary.id) ?? [];
    if (dictionary.known > held.length)
      throw new Error(`label values of ${m.name} missing: ${dictionary.known} expected, ${held.length} received`);
    let labelValues: unknown[];
    if (m.labelValues.length === 0 && dictionary.known === held.length) labelValues = held;
    else {
      // A new array: collections already completed keep theirs.
      labelValues = held.slice(0, dictionary.known);
      for (const v of m.labelValues) labelValues.push(v);
      this.families.set(dictionary.id, labelValues);
    }
    return {
      name: m.name,
      help: m.help,
      dataPointType: m.dataPointType,
      isMonotonic: m.isMonotonic,
      points: m.points,
      keySets: m.keySets,
      labelValues,
      boundaries: m.boundaries,
      numbers: m.numbers,
    };
  }
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
