import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import { warn } from '../core/log';
import { serializePrometheus } from './serialize';
import type { MetricsInput } from './serialize';

/**
 * OpenTelemetry's Prometheus exporter used as a pull reader, serialized django-style: no
 * `target_info`, no `otel_scope_*` labels, and no `# UNIT` lines (django's exposition has
 * none; OpenTelemetry instruments carry units such as `s` that Views cannot remove).
 */
export class Exposition {
  readonly reader: PrometheusExporter;

  constructor(producers: MetricProducer[]) {
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
    return resourceMetrics;
  }

  /** The exposition text as of now, rendered on this thread (the bench's before-and-after reference). */
  async render(): Promise<string> {
    const { resourceMetrics, errors } = await this.reader.collect();
    for (const e of errors) warn(`metrics collection error: ${String(e)}`);
    return serializePrometheus(resourceMetrics);
  }
}
