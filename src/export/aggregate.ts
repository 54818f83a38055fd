/**
 * The sum of several processes' collections, for one endpoint serving every process of a
 * service (node:cluster, PM2 cluster mode). Pure: the metrics worker and the aggregator
 * process load it.
 *
 * - Counters and histograms are summed per label set; no process label is added.
 * - A process that has gone keeps its last collected counters and histograms in the sum
 *   (`Departed`), so that a worker's crash or restart never makes a counter go backwards.
 * - Gauges and up-down sums are taken over the processes alive now, by the family's rule:
 *   `sum` (memory, handles, pool connections...), `max` (event-loop lag, migration counts, the
 *   fd limit, version info) or `min` (the process start time: when the service started).
 */
import type { PromFamily } from '../app-metrics/prom-text';
import { POINT_TYPE, type MetricsInput } from './serialize';
import type { PlainMetric, PlainPoint, Snapshot } from './snapshot';

export type GaugeRule = 'sum' | 'max' | 'min';

/** Gauge families whose sum over processes would mislead; every other gauge is summed. */
const GAUGE_RULES: ReadonlyMap<string, GaugeRule> = new Map<string, GaugeRule>([
  ['process_start_time_seconds', 'min'],
  ['process_max_fds', 'max'],
  ['nodejs_version_info', 'max'],
  ['nodejs_eventloop_lag_seconds', 'max'],
  ['nodejs_eventloop_lag_min_seconds', 'max'],
  ['nodejs_eventloop_lag_max_seconds', 'max'],
  ['nodejs_eventloop_lag_mean_seconds', 'max'],
  ['nodejs_eventloop_lag_stddev_seconds', 'max'],
  ['nodejs_eventloop_lag_p50_seconds', 'max'],
  ['nodejs_eventloop_lag_p90_seconds', 'max'],
  ['nodejs_eventloop_lag_p99_seconds', 'max'],
  // Every process reads the same migration table: the count, not a multiple of it.
  ['django_migrations_applied_total', 'max'],
  ['django_migrations_unapplied_total', 'max'],
]);

/** The rule for a gauge family, its name with or without the configured namespace prefix. */
export function gaugeRule(name: string, namespace: string): GaugeRule {
  const bare = namespace !== '' && name.startsWith(`${namespace}_`) ? name.slice(namespace.length + 1) : name;
  return GAUGE_RULES.get(bare) ?? GAUGE_RULES.get(name) ?? 'sum';
}

/** The rules table, for the README and its test. */
export function gaugeRules(): ReadonlyMap<string, GaugeRule> {
  return GAUGE_RULES;
}

interface Histogram {
  count: number | undefined;
  sum: number | undefined;
  buckets: { boundaries: readonly number[]; counts: number[] };
}

/** Whether a metric's points add up across processes and stay after a process has gone. */
function isCumulative(m: PlainMetric): boolean {
  return m.dataPointType === POINT_TYPE.HISTOGRAM || (m.dataPointType === POINT_TYPE.SUM && m.isMonotonic === true);
}

function pointKey(attributes: PlainPoint['attributes']): string {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return '';
  keys.sort();
  let out = '';
  for (const k of keys) out += `${k}\u0001${String(attributes[k])}\u0002`;
  return out;
}

/** One family being summed: its first description, and its points by label set. */
interface Sum {
  readonly descriptor: PlainMetric['descriptor'];
  readonly dataPointType: number;
  readonly isMonotonic: boolean | undefined;
  readonly rule: GaugeRule;
  readonly points: Map<string, { attributes: PlainPoint['attributes']; value: number | Histogram }>;
}

function copyHistogram(h: Histogram): Histogram {
  return { count: h.count, sum: h.sum, buckets: { boundaries: h.buckets.boundaries, counts: h.buckets.counts.slice() } };
}

function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Adds a histogram into another; false when their buckets differ (then it is left out). */
function addHistogram(into: Histogram, h: Histogram): boolean {
  if (!sameBoundaries(into.buckets.boundaries, h.buckets.boundaries)) return false;
  if (h.count !== undefined) into.count = (into.count ?? 0) + h.count;
  if (h.sum !== undefined) into.sum = (into.sum ?? 0) + h.sum;
  const counts = into.buckets.counts;
  for (let i = 0; i < counts.length; i++) counts[i] += h.buckets.counts[i] ?? 0;
  return true;
}

function combine(rule: GaugeRule, a: number, b: number): number {
  if (rule === 'max') return a > b ? a : b;
  if (rule === 'min') return a < b ? a : b;
  return a + b;
}

/** A running sum of collections; `add` each, then `result`. */
class Summation {
  private readonly families = new Map<string, Sum>();
  private readonly app = new Map<string, { family: PromFamily; values: Map<string, NonNullable<PromFamily['values']>[number]> }>();
  /** Families left out of the sum because processes disagree on their shape (type or buckets). */
  readonly conflicts = new Set<string>();

  constructor(private readonly namespace: string) {}

  add(snapshot: MetricsInput, only?: (m: PlainMetric) => boolean): void {
    for (const scope of snapshot.scopeMetrics) {
      for (const m of scope.metrics as readonly PlainMetric[]) {
        if (only !== undefined && !only(m)) continue;
        this.addMetric(m);
      }
    }
    for (const family of snapshot.appFamilies ?? []) this.addAppFamily(family, only === undefined ? undefined : isCumulativeApp);
  }

  private addMetric(m: PlainMetric): void {
    const name = m.descriptor.name;
    let sum = this.families.get(name);
    if (sum === undefined) {
      sum = {
        descriptor: { name, description: m.descriptor.description },
        dataPointType: m.dataPointType,
        isMonotonic: m.isMonotonic,
        rule:
          m.dataPointType === POINT_TYPE.GAUGE || (m.dataPointType === POINT_TYPE.SUM && m.isMonotonic !== true)
            ? gaugeRule(name, this.namespace)
            : 'sum',
        points: new Map(),
      };
      this.families.set(name, sum);
    } else if (sum.dataPointType !== m.dataPointType || sum.isMonotonic !== m.isMonotonic) {
      this.conflicts.add(name);
      return;
    }
    const histogram = m.dataPointType === POINT_TYPE.HISTOGRAM;
    if (!histogram && m.dataPointType !== POINT_TYPE.SUM && m.dataPointType !== POINT_TYPE.GAUGE) {
      // Exponential histograms are not summed: the first process's points stand.
      if (sum.points.size === 0)
        for (const p of m.dataPoints) sum.points.set(pointKey(p.attributes), { attributes: p.attributes, value: p.value as number });
      return;
    }
    for (const p of m.dataPoints) {
      const key = pointKey(p.attributes);
      const known = sum.points.get(key);
      if (known === undefined) {
        sum.points.set(key, { attributes: p.attributes, value: histogram ? copyHistogram(p.value as Histogram) : (p.value as number) });
      } else if (histogram) {
        if (!addHistogram(known.value as Histogram, p.value as Histogram)) this.conflicts.add(name);
      } else {
        known.value = combine(sum.rule, known.value as number, p.value as number);
      }
    }
  }

  private addAppFamily(family: PromFamily, only: ((f: PromFamily) => boolean) | undefined): void {
    if (only !== undefined && !only(family)) return;
    let known = this.app.get(family.name);
    if (known === undefined) {
      known = { family: { name: family.name, help: family.help, type: family.type, values: [] }, values: new Map() };
      this.app.set(family.name, known);
    } else if (known.family.type !== family.type) {
      this.conflicts.add(family.name);
      return;
    }
    for (const v of family.values ?? []) {
      const key = `${v.metricName ?? ''}\u0003${pointKey((v.labels ?? {}) as PlainPoint['attributes'])}`;
      const seen = known.values.get(key);
      if (seen === undefined) {
        const copy = { ...v };
        known.values.set(key, copy);
        known.family.values!.push(copy);
      } else {
        seen.value += v.value;
      }
    }
  }

  result(): Snapshot {
    const metrics: PlainMetric[] = [];
    for (const [name, sum] of this.families) {
      if (this.conflicts.has(name)) continue;
      const dataPoints: PlainPoint[] = [];
      for (const p of sum.points.values()) dataPoints.push({ attributes: p.attributes, value: p.value });
      metrics.push({ descriptor: sum.descriptor, dataPointType: sum.dataPointType, isMonotonic: sum.isMonotonic, dataPoints });
    }
    const appFamilies: PromFamily[] = [];
    for (const [name, { family }] of this.app) if (!this.conflicts.has(name)) appFamilies.push(family);
    const scopeMetrics = [{ metrics }];
    return appFamilies.length === 0 ? { scopeMetrics } : { scopeMetrics, appFamilies };
  }
}

/** prom-client families that only grow (counters, histograms; a summary's count and sum). */
function isCumulativeApp(f: PromFamily): boolean {
  return f.type === 'counter' || f.type === 'histogram';
}

/** The counters and histograms of processes that have gone, kept in every later sum. */
export class Departed {
  private snapshot: Snapshot | undefined;
  /** Processes folded in so far. */
  count = 0;

  constructor(private readonly namespace: string) {}

  /** Fold in a process's last collection (its gauges are dropped: it is not alive). */
  add(last: MetricsInput | undefined): void {
    this.count++;
    if (last === undefined) return;
    const s = new Summation(this.namespace);
    if (this.snapshot !== undefined) s.add(this.snapshot);
    s.add(last, isCumulative);
    this.snapshot = s.result();
  }

  get collection(): Snapshot | undefined {
    return this.snapshot;
  }
}

export interface SumResult {
  readonly snapshot: Snapshot;
  /** Families that processes disagree on (left out of the answer). */
  readonly conflicts: readonly string[];
}

/**
 * The sum of the live processes' collections (the first one's family order first) and of the
 * departed processes' counters and histograms.
 */
export function sumCollections(
  live: ReadonlyArray<MetricsInput | undefined>,
  departed: Departed | undefined,
  namespace: string,
): SumResult {
  const s = new Summation(namespace);
  for (const c of live) if (c !== undefined) s.add(c);
  const gone = departed?.collection;
  if (gone !== undefined) s.add(gone);
  return { snapshot: s.result(), conflicts: [...s.conflicts] };
}
