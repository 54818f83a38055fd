/**
 * Prometheus text format 0.0.4 from OpenTelemetry ResourceMetrics, written for scrape speed.
 *
 * The output is byte for byte what OpenTelemetry's `PrometheusSerializer('', false,
 * undefined, true, true)` writes after units are removed (no `# UNIT`, no `otel_scope_*`
 * labels, no `target_info`, no timestamps): same families, order, names (`_total` added to
 * monotonic sums), histogram lines (`_count`, `_sum`, then cumulative `_bucket{le}`), label
 * escaping, and the same handling of name clashes. It is several times faster (bench/: 4 ms
 * instead of 28 ms for 13,800 series) because a label set is rendered once per data point,
 * not once per bucket line, the histogram `le` suffixes once per boundary list, and
 * sanitized names are remembered between scrapes.
 */
import { diag, type Attributes } from '@opentelemetry/api';
import { DataPointType, type Histogram, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

type PrometheusType = 'counter' | 'gauge' | 'histogram' | 'untyped';

interface Family {
  /** undefined once two metrics of one name disagree on the type: the family is dropped. */
  type: PrometheusType | undefined;
  help: string;
  readonly metrics: MetricData[];
}

const NO_REGISTERED_METRICS = '# no registered metrics';
/** Names are few and fixed in code; the bound only guards against a misbehaving producer. */
const NAME_CACHE_LIMIT = 10_000;

const metricNames = new Map<string, string | undefined>();
const labelNames = new Map<string, string>();

/** Backslash and newline escaped (HELP text and, before sanitizing, metric names). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

const NEEDS_ESCAPE = /[\\\n"]/;

/** A label value as it goes between double quotes; non-strings are JSON-encoded first. */
export function escapeLabelValue(value: unknown = ''): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Characters Prometheus does not allow become `_`, and runs of `_` collapse to one. */
export function sanitizeName(name: string): string {
  return name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
}

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= NAME_CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/** The exposed family name, or undefined when the name sanitizes to nothing usable. */
function familyName(metric: MetricData): string | undefined {
  const descriptorName = metric.descriptor.name;
  let base = metricNames.get(descriptorName);
  if (base === undefined && !metricNames.has(descriptorName)) {
    let name: string | undefined = sanitizeName(escapeHelp(descriptorName));
    if (name === '') {
      diag.error(`Normalization for metric "${descriptorName}" resulted in empty name`);
      name = undefined;
    } else if (name === '_') {
      diag.error(`Normalization for metric "${descriptorName}" resulted in an invalid name: "_"`);
      name = undefined;
    } else if (name[0] >= '0' && name[0] <= '9') {
      name = `_${name}`;
    }
    base = remember(metricNames, descriptorName, name);
  }
  if (base === undefined) return undefined;
  const isCounter = metric.dataPointType === DataPointType.SUM && metric.isMonotonic;
  return isCounter && !base.endsWith('_total') ? `${base}_total` : base;
}

function prometheusType(metric: MetricData): PrometheusType {
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return metric.isMonotonic ? 'counter' : 'gauge';
    case DataPointType.GAUGE:
      return 'gauge';
    case DataPointType.HISTOGRAM:
      return 'histogram';
    default:
      return 'untyped';
  }
}

function labelName(key: string): string {
  return labelNames.get(key) ?? remember(labelNames, key, sanitizeName(key));
}

/** `a="1",b="2"` in attribute order ('' when there are none). */
function labelList(attributes: Attributes): string {
  let out = '';
  for (const key of Object.keys(attributes)) {
    out += `${out.length > 0 ? ',' : ''}${labelName(key)}="${escapeLabelValue(attributes[key])}"`;
  }
  return out;
}

function valueText(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}

function quoted(text: string): string {
  return JSON.stringify(text);
}

/** Per boundary list: the `le` part of each bucket line, with and without other labels before it. */
class BucketSuffixes {
  private boundaries: readonly number[] | undefined;
  private withLabels: string[] = [];
  private alone: string[] = [];
  /** How many buckets are written (OpenTelemetry stops after an explicit +Inf boundary). */
  private written = 0;

  for(boundaries: readonly number[], bucketCount: number): { withLabels: readonly string[]; alone: readonly string[]; written: number } {
    if (!this.same(boundaries) || this.withLabels.length !== bucketCount) {
      this.boundaries = boundaries;
      this.withLabels = [];
      this.alone = [];
      let infinityDefined = false;
      let written = 0;
      for (let i = 0; i < bucketCount; i++) {
        const upper = boundaries[i];
        if (upper === undefined && infinityDefined) break;
        if (upper === Infinity) infinityDefined = true;
        const le = upper === undefined || upper === Infinity ? '+Inf' : String(upper);
        this.withLabels.push(`,le="${le}"} `);
        this.alone.push(`{le="${le}"} `);
        written++;
      }
      this.written = written;
      // Pad so the length check above matches the count array next time.
      while (this.withLabels.length < bucketCount) {
        this.withLabels.push('');
        this.alone.push('');
      }
    }
    return { withLabels: this.withLabels, alone: this.alone, written: this.written };
  }

  private same(boundaries: readonly number[]): boolean {
    const known = this.boundaries;
    if (known === boundaries) return true;
    if (known === undefined || known.length !== boundaries.length) return false;
    for (let i = 0; i < known.length; i++) if (known[i] !== boundaries[i]) return false;
    return true;
  }
}

function singularLines(name: string, metric: MetricData): string {
  let out = '';
  for (const point of metric.dataPoints) {
    const labels = labelList(point.attributes);
    out += `${labels === '' ? name : `${name}{${labels}}`} ${valueText(point.value as number)}\n`;
  }
  return out;
}

function histogramLines(name: string, metric: MetricData, suffixes: BucketSuffixes): string {
  let out = '';
  const countName = `${name}_count`;
  const sumName = `${name}_sum`;
  const bucketName = `${name}_bucket`;
  for (const point of metric.dataPoints) {
    const labels = labelList(point.attributes);
    const value = point.value as Histogram;
    if (value.count != null) out += `${labels === '' ? countName : `${countName}{${labels}}`} ${valueText(value.count)}\n`;
    if (value.sum != null) out += `${labels === '' ? sumName : `${sumName}{${labels}}`} ${valueText(value.sum)}\n`;
    const counts = value.buckets.counts;
    const le = suffixes.for(value.buckets.boundaries, counts.length);
    const head = labels === '' ? bucketName : `${bucketName}{${labels}`;
    const tails = labels === '' ? le.alone : le.withLabels;
    let cumulative = 0;
    for (let i = 0; i < le.written; i++) {
      cumulative += counts[i];
      out += `${head}${tails[i]}${valueText(cumulative)}\n`;
    }
  }
  return out;
}

function warnConflict(seen: Set<string>, kind: string, name: string, first: string, second: string, selected: string | undefined): void {
  const key = `${kind}:${name}:${selected ?? ''}`;
  if (seen.has(key)) return;
  seen.add(key);
  const values = `${quoted(first)}, ${quoted(second)}`;
  diag.warn(
    selected === undefined
      ? `Conflicting ${kind} comments for metric "${name}": ${values}; dropping the metric.`
      : `Conflicting ${kind} comments for metric "${name}": ${values}; exporting ${quoted(selected)}.`,
  );
}

/** Metrics grouped by exposed name in first-seen order; a type clash drops the name. */
function familiesOf(resourceMetrics: ResourceMetrics): Map<string, Family> {
  const families = new Map<string, Family>();
  const conflicts = new Set<string>();
  for (const scopeMetrics of resourceMetrics.scopeMetrics) {
    for (const metric of scopeMetrics.metrics) {
      const name = familyName(metric);
      if (name === undefined) continue;
      const type = prometheusType(metric);
      const family = families.get(name);
      if (family === undefined) {
        families.set(name, { type, help: metric.descriptor.description, metrics: [metric] });
        continue;
      }
      if (family.type === undefined) continue;
      if (family.type !== type) {
        warnConflict(conflicts, 'TYPE', name, family.type, type, undefined);
        family.type = undefined;
        family.metrics.length = 0;
        continue;
      }
      family.metrics.push(metric);
    }
  }
  for (const [name, family] of families) {
    if (family.type === undefined) continue;
    for (const metric of family.metrics) {
      const help = metric.descriptor.description;
      if (!help) continue;
      if (!family.help) family.help = help;
      else if (family.help !== help) warnConflict(conflicts, 'HELP', name, family.help, help, family.help);
    }
  }
  return families;
}

/** The whole exposition: one `# HELP`/`# TYPE` pair per family, then its samples. */
export function serializePrometheus(resourceMetrics: ResourceMetrics): string {
  let out = '';
  const suffixes = new BucketSuffixes();
  for (const [name, family] of familiesOf(resourceMetrics)) {
    if (family.type === undefined) continue;
    let writeMetadata = true;
    for (const metric of family.metrics) {
      let samples = '';
      switch (metric.dataPointType) {
        case DataPointType.SUM:
        case DataPointType.GAUGE:
          samples = singularLines(name, metric);
          break;
        case DataPointType.HISTOGRAM:
          samples = histogramLines(name, metric, suffixes);
          break;
        default:
          diag.error(`Unrecognizable DataPointType: ${metric.dataPointType} for metric "${name}"`);
      }
      if (writeMetadata) {
        out += `# HELP ${name} ${escapeHelp(family.help || 'description missing')}\n# TYPE ${name} ${family.type}\n${samples}`;
        writeMetadata = false;
      } else {
        out += samples;
      }
    }
  }
  return out === '' ? NO_REGISTERED_METRICS : out;
}
