import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import { renderPromFamilies, type PromFamily } from '../app-metrics/prom-text';
import { warn } from '../core/log';
import { Registry } from '../core/registry';
import { exposedFamilyNames, POINT_TYPE, serializePrometheus, type MetricInput, type MetricsInput } from './serialize';
import { decodeCollection, LabelDictionary, RegistryColumns, type EncodedCollection } from './snapshot';

/** The application's own registries' families, minus the names autoprom writes itself. */
export type AppFamiliesSource = (exposed: ReadonlySet<string>) => Promise<PromFamily[]>;

/** What a collection gathered asynchronously: OpenTelemetry's streams and the application's families, without autoprom's Registry yet. */
export interface Gathered {
  readonly others: MetricsInput;
}

/** A collection of no OpenTelemetry stream (its MeterProvider could not be created). */
const NO_OTEL_STREAMS = () => ({
  resourceMetrics: {
    resource: (require('@opentelemetry/resources') as typeof import('@opentelemetry/resources')).emptyResource(),
    scopeMetrics: [],
  },
  errors: [] as unknown[],
});

/**
 * OpenTelemetry's Prometheus exporter used as a pull reader, serialized django-style: no
 * `target_info`, no `otel_scope_*` labels, and no `# UNIT` lines (django's exposition has
 * none; OpenTelemetry instruments carry units such as `s` that Views cannot remove). The
 * application's own prom-client families, when it has any, travel with the numbers.
 *
 * autoprom's own Registry is not handed to OpenTelemetry's collection here: its families come
 * after OpenTelemetry's streams, as the reader would place them, but are read straight from
 * their series (`RegistryColumns`), which is most of a scrape's numbers at a fraction of the cost.
 */
export class Exposition {
  private pullReader: PrometheusExporter | undefined;
  /** Creates the MeterProvider the reader belongs to, when it does not exist yet (core/lazy-meters.ts). */
  private sdk: (() => void) | undefined;
  private readonly registries: readonly Registry[];
  private readonly otherProducers: MetricProducer[];
  /** What the metrics worker holds: label values posted once per series. */
  private readonly columns: RegistryColumns;
  /** `render()`'s own pair, so that rendering here never puts the worker's dictionary out of step. */
  private readonly renderColumns: RegistryColumns;
  private readonly renderLabels = new LabelDictionary();

  constructor(
    producers: MetricProducer[],
    private readonly appFamilies?: AppFamiliesSource,
  ) {
    this.registries = producers.filter((p): p is Registry => p instanceof Registry);
    this.otherProducers = producers.filter((p) => !(p instanceof Registry));
    const families = () => this.registryFamilies();
    this.columns = new RegistryColumns(families);
    this.renderColumns = new RegistryColumns(families);
  }

  /**
   * The pull reader for OpenTelemetry's streams, created (and exporter-prometheus loaded) when the
   * MeterProvider that reads through it is.
   */
  get reader(): PrometheusExporter {
    if (this.pullReader === undefined) {
      const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus') as typeof import('@opentelemetry/exporter-prometheus');
      this.pullReader = new PrometheusExporter({
        preventServerStart: true,
        withoutScopeInfo: true,
        withoutTargetInfo: true,
        metricProducers: this.otherProducers,
      });
    }
    return this.pullReader;
  }

  /** A collection first creates the MeterProvider (`create`) if it does not exist yet. */
  collectsThrough(create: () => void): void {
    this.sdk = create;
  }

  /** Whether OpenTelemetry's streams can be collected (the MeterProvider exists, or could be created now). */
  private sdkReady(): boolean {
    try {
      this.sdk?.();
      return true;
    } catch {
      // said once where the MeterProvider failed: autoprom's own families are served without it
      return false;
    }
  }

  private *registryFamilies() {
    for (const r of this.registries) yield* r.allFamilies();
  }

  /** OpenTelemetry's streams and the application's families (the asynchronous part of a collection). */
  async gather(): Promise<Gathered> {
    const { resourceMetrics, errors } = this.sdkReady() ? await this.reader.collect() : NO_OTEL_STREAMS();
    for (const e of errors) warn(`metrics collection error: ${String(e)}`);
    if (this.appFamilies === undefined) return { others: resourceMetrics };
    const exposed = exposedFamilyNames({ scopeMetrics: [...resourceMetrics.scopeMetrics, { metrics: this.registryDescriptors() }] });
    const appFamilies = await this.appFamilies(exposed);
    return { others: appFamilies.length === 0 ? resourceMetrics : { scopeMetrics: resourceMetrics.scopeMetrics, appFamilies } };
  }

  /**
   * The collection for the metrics worker, the Registry's numbers as of now. Stateful (label
   * values cross once): call it right before posting, and `resendLabels()` if the post failed.
   */
  encode(gathered: Gathered): EncodedCollection {
    return this.columns.encode(gathered.others);
  }

  /** The next `encode` carries every label value (a post failed, or the worker lost step). */
  resendLabels(): void {
    this.columns.forget();
  }

  /** The collection as OpenTelemetry's reader used to return it, the Registry's MetricData last (this thread's own rendering). */
  plain(gathered: Gathered): MetricsInput {
    const { others } = gathered;
    const scopeMetrics = [...others.scopeMetrics];
    for (const r of this.registries) scopeMetrics.push({ metrics: r.metrics() });
    return others.appFamilies === undefined ? { scopeMetrics } : { scopeMetrics, appFamilies: others.appFamilies };
  }

  /** The numbers as of now, in OpenTelemetry's shape (what this thread renders when the worker is not there). */
  async collect(): Promise<MetricsInput> {
    return this.plain(await this.gather());
  }

  /** The exposition text as of now, rendered on this thread through the worker's columns (testutils, and the bench's reference). */
  async render(): Promise<string> {
    const gathered = await this.gather();
    const snapshot = decodeCollection(this.renderLabels.complete(this.renderColumns.encode(gathered.others)));
    return serializePrometheus(snapshot, { trailer: renderPromFamilies(snapshot.appFamilies ?? []) });
  }

  /** The Registry's families as the serializer names them (no points). */
  private registryDescriptors(): MetricInput[] {
    const out: MetricInput[] = [];
    for (const f of this.registryFamilies()) {
      const histogram = f.spec.type === 'histogram';
      out.push({
        descriptor: { name: f.exposedName, description: f.spec.help },
        dataPointType: histogram ? POINT_TYPE.HISTOGRAM : POINT_TYPE.SUM,
        isMonotonic: histogram ? undefined : true,
        dataPoints: [],
      });
    }
    return out;
  }
}
