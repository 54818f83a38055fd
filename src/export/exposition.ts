import type { IncomingMessage, ServerResponse } from 'node:http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import { warn } from '../core/log';
import type { PromFamily } from '../app-metrics/prom-client';
import { renderPromFamilies } from '../app-metrics/prom-client';
import { exposedFamilyNames, NO_REGISTERED_METRICS, serializePrometheus } from './serialize';

/** The application's own registries' families, minus the names autoprom writes itself. */
export type AppFamiliesSource = (exposed: ReadonlySet<string>) => Promise<PromFamily[]>;

/** Prometheus text format 0.0.4, the only format served. */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * OpenTelemetry's Prometheus exporter used as a pull reader, serialized django-style: no
 * `target_info`, no `otel_scope_*` labels, and no `# UNIT` lines (django's exposition has
 * none; OpenTelemetry instruments carry units such as `s` that Views cannot remove).
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

  /** The exposition text as of now. */
  async render(): Promise<string> {
    const { resourceMetrics, errors } = await this.reader.collect();
    for (const e of errors) warn(`metrics collection error: ${String(e)}`);
    const own = serializePrometheus(resourceMetrics);
    if (this.appFamilies === undefined) return own;
    const app = renderPromFamilies(await this.appFamilies(exposedFamilyNames(resourceMetrics)));
    if (app === '') return own;
    return own === NO_REGISTERED_METRICS ? app : own + app;
  }

  /** A request handler that answers with the exposition (the django `metrics` view). */
  readonly handle = (_req: IncomingMessage, res: ServerResponse): void => {
    this.render().then(
      (body) => {
        res.statusCode = 200;
        res.setHeader('Content-Type', CONTENT_TYPE);
        res.end(body);
      },
      (err: unknown) => {
        res.statusCode = 500;
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(`# autoprom: metrics collection failed: ${String(err)}\n`);
      },
    );
  };
}
