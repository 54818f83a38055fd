import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import { renderPromFamilies, type PromFamily } from '../app-metrics/prom-text';
import { warn } from '../core/log';
import { exposedFamilyNames, serializePrometheus, type MetricsInput } from './serialize';

/** The application's own registries' families, minus the names autoprom writes itself. */
export type AppFamiliesSource = (exposed: ReadonlySet<string>) => Promise<PromFamily[]>;

/**
 * OpenTelemetry's Prometheus exporter used as a pull reader, serialized django-style: no
 * `target_info`, no `otel_scope_*` labels, and no `# UNIT` lines (django's exposition has
 * none; OpenTelemetry instruments carry units such as `s` that Views cannot remove). The
 * application's own prom-client families, when it has any, travel with the numbers.
 */
export class Exposition {
  readonly reader: PrometheusExporter;

  constructor(
    producers: MetricProducer[],
    private readonly appFamilies?: AppFamiliesSource,
  ) {
    this.reader = new PrometheusExporter({
      preventServerStart: true,
      withoutScopeInfo: true,
      withoutTargetInfo: true,
      metricProducers: producers,
    });
  }

  /** The numbers as of now (what the application thread does per scrape, before handing them to the worker). */
  async collect(): Promise<MetricsInput> {
    const { resourceMetrics, errors } = await this.reader.collect();
    for (const e of errors) warn(`metrics collection error: ${String(e)}`);
    if (this.appFamilies === undefined) return resourceMetrics;
    const appFamilies = await this.appFamilies(exposedFamilyNames(resourceMetrics));
    return appFamilies.length === 0 ? resourceMetrics : { scopeMetrics: resourceMetrics.scopeMetrics, appFamilies };
  }

  /** The exposition text as of now, rendered on this thread (testutils, and the bench's before-and-after reference). */
  async render(): Promise<string> {
    const collected = await this.collect();
    return serializePrometheus(collected, { trailer: renderPromFamilies(collected.appFamilies ?? []) });
  }
}
