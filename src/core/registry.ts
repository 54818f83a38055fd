import { ValueType } from '@opentelemetry/api';
import type { CollectionResult, MetricData, MetricProducer } from '@opentelemetry/sdk-metrics';
import { CUMULATIVE, HISTOGRAM_POINTS, SUM_POINTS } from './otel-enums';
import type { HrTime } from '@opentelemetry/api';
import { family as catalogueRow, POW2_BUCKETS, type CounterName, type FamilyName, type HistogramName } from '../catalogue';
import type { BucketSpec, FamilySpec } from './catalogue-types';
import { CounterFamily, HistogramFamily, type AnyFamily } from './recorder';

export interface RegistryOptions {
  /** PROMETHEUS_METRIC_NAMESPACE ('' for none). */
  namespace: string;
  /** Series per family before new label sets fold into the overflow series. */
  cardinalityLimit: number;
  /** PROMETHEUS_LATENCY_BUCKETS, seconds. */
  latencyBuckets: readonly number[];
}

/** The exposed name of a catalogue family under a namespace. */
export function exposedName(spec: FamilySpec, namespace: string): string {
  return spec.namespaced && namespace !== '' ? `${namespace}_${spec.name}` : spec.name;
}

/** Bucket boundaries of a family under the configured latency buckets. */
export function resolveBuckets(buckets: BucketSpec | undefined, latency: readonly number[]): readonly number[] {
  if (buckets === undefined || buckets === 'latency') return latency;
  if (buckets === 'pow2') return POW2_BUCKETS;
  return buckets;
}

function hrNow(): HrTime {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

const SCOPE = { name: 'autoprom' };
const OVERFLOW_ATTRIBUTES = Object.freeze({ otel_metric_overflow: 'true' });

/**
 * autoprom's own families, recorded through pre-bound series and handed to OpenTelemetry
 * readers (the Prometheus exporter, an OTLP reader) as a MetricProducer.
 */
export class Registry implements MetricProducer {
  private readonly families = new Map<string, AnyFamily>();
  private readonly startTime = hrNow();

  constructor(readonly options: RegistryOptions) {}

  counter(name: CounterName): CounterFamily {
    return this.get(name, 'counter') as CounterFamily;
  }

  histogram(name: HistogramName): HistogramFamily {
    return this.get(name, 'histogram') as HistogramFamily;
  }

  private get(name: FamilyName, type: 'counter' | 'histogram'): AnyFamily {
    let f = this.families.get(name);
    if (f !== undefined) return f;
    const spec = catalogueRow(name);
    if (spec.type !== type) throw new Error(`autoprom: ${name} is a ${spec.type}, not a ${type}`);
    const exposed = exposedName(spec, this.options.namespace);
    f =
      type === 'counter'
        ? new CounterFamily(spec, exposed, this.options.cardinalityLimit)
        : new HistogramFamily(spec, exposed, this.options.cardinalityLimit, resolveBuckets(spec.buckets, this.options.latencyBuckets));
    this.families.set(name, f);
    return f;
  }

  /** Every family in creation order (new ones are appended; none is ever removed). */
  allFamilies(): IterableIterator<AnyFamily> {
    return this.families.values();
  }

  /** Current metric data of every family (empty families included, so HELP/TYPE are always exposed). */
  metrics(): MetricData[] {
    const endTime = hrNow();
    const out: MetricData[] = [];
    for (const f of this.families.values()) {
      const labels = f.spec.labels;
      const descriptor = { name: f.exposedName, description: f.spec.help, unit: '', valueType: ValueType.DOUBLE };
      if (f instanceof CounterFamily) {
        const dataPoints = [];
        for (const [s, overflow] of f.all()) {
          dataPoints.push({
            attributes: overflow ? OVERFLOW_ATTRIBUTES : toAttributes(labels, s.labelValues),
            startTime: this.startTime,
            endTime,
            value: s.value,
          });
        }
        out.push({
          descriptor,
          aggregationTemporality: CUMULATIVE,
          dataPointType: SUM_POINTS,
          isMonotonic: true,
          dataPoints,
        });
      } else {
        const dataPoints = [];
        for (const [s, overflow] of f.all()) {
          dataPoints.push({
            attributes: overflow ? OVERFLOW_ATTRIBUTES : toAttributes(labels, s.labelValues),
            startTime: this.startTime,
            endTime,
            value: { buckets: { boundaries: f.boundaries as number[], counts: Array.from(s.counts) }, sum: s.sum, count: s.count },
          });
        }
        out.push({
          descriptor,
          aggregationTemporality: CUMULATIVE,
          dataPointType: HISTOGRAM_POINTS,
          dataPoints,
        });
      }
    }
    return out;
  }

  async collect(): Promise<CollectionResult> {
    return {
      resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: SCOPE, metrics: this.metrics() }] },
      errors: [],
    };
  }
}

/** @opentelemetry/resources, loaded with the first collection (not at start). */
function emptyResource() {
  return (require('@opentelemetry/resources') as typeof import('@opentelemetry/resources')).resourceFromAttributes({});
}

function toAttributes(names: readonly string[], values: readonly string[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) attributes[names[i]] = values[i];
  return attributes;
}
