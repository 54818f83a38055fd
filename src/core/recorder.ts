/**
 * Pre-bound counters and histograms for autoprom's own hot paths.
 *
 * OpenTelemetry's sdk-metrics hashes the attribute set on every `add`/`record` (about a
 * microsecond); a request moves a dozen families, so that alone would cost more than the
 * whole overhead budget. Here a caller resolves a label set to a series once (cached by
 * the caller) and then only adds numbers. The series reach the OpenTelemetry pipeline at
 * collection time through a MetricProducer (the Registry, `src/core/registry.ts`), so readers,
 * exporters and the Prometheus serializer stay OpenTelemetry's.
 */
import type { FamilySpec } from './catalogue-types';

export class CounterSeries {
  value = 0;
  constructor(readonly labelValues: readonly string[]) {}
  inc(by = 1): void {
    this.value += by;
  }
}

export class HistogramSeries {
  /** counts[i] is the number of observations <= boundaries[i]; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labelValues: readonly string[],
    readonly boundaries: readonly number[],
  ) {
    this.counts = new Float64Array(boundaries.length + 1);
  }
  observe(value: number): void {
    const b = this.boundaries;
    // Linear scan: 16-31 boundaries, and most observations land in the first few.
    let i = 0;
    const n = b.length;
    while (i < n && value > b[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

export type Series = CounterSeries | HistogramSeries;

abstract class Family<S extends Series> {
  /** Label set → series, in creation order; never shrinks (the metrics worker keeps label values by position). */
  readonly series = new Map<string, S>();
  private overflow: S | undefined;
  /** The series with no labels, for label-less families (created eagerly so it is always exposed). */
  readonly only: S | undefined;

  // Bucket boundaries (histograms) are a base field: the base constructor already calls make().
  constructor(
    readonly spec: FamilySpec,
    readonly exposedName: string,
    readonly limit: number,
    readonly boundaries: readonly number[] = [],
  ) {
    if (spec.labels.length === 0) {
      this.only = this.make([]);
      this.series.set('', this.only);
    }
  }

  protected abstract make(labelValues: readonly string[]): S;

  /**
   * The series for these label values (in the order of `spec.labels`). Past `limit`
   * distinct label sets, every new set folds into one overflow series.
   */
  labels(...values: string[]): S {
    const key = values.length === 1 ? values[0] : values.join('\u0001');
    let s = this.series.get(key);
    if (s !== undefined) return s;
    if (this.series.size >= this.limit - 1) {
      if (this.overflow === undefined) this.overflow = this.make([]);
      return this.overflow;
    }
    s = this.make(values);
    this.series.set(key, s);
    return s;
  }

  /** The series that every label set past the limit folds into, once there is one. */
  get overflowSeries(): S | undefined {
    return this.overflow;
  }

  /** Series in a stable order, the overflow series last when there is one. */
  *all(): Iterable<[S, boolean]> {
    for (const s of this.series.values()) yield [s, false];
    if (this.overflow !== undefined) yield [this.overflow, true];
  }
}

export class CounterFamily extends Family<CounterSeries> {
  protected make(labelValues: readonly string[]): CounterSeries {
    return new CounterSeries(labelValues);
  }
}

export class HistogramFamily extends Family<HistogramSeries> {
  constructor(spec: FamilySpec, exposedName: string, limit: number, boundaries: readonly number[]) {
    super(spec, exposedName, limit, boundaries);
  }
  protected make(labelValues: readonly string[]): HistogramSeries {
    return new HistogramSeries(labelValues, this.boundaries);
  }
}

export type AnyFamily = CounterFamily | HistogramFamily;
