/**
 * Boots autoprom inside an application process: configuration from the environment,
 * instrumentations created before the application loads its modules, one MeterProvider
 * with the catalogue's Views, and the readers (Prometheus endpoint, OTLP push).
 */
import { diag, metrics, type DiagLogger } from '@opentelemetry/api';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { MeterProvider, type IMetricReader, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { parseConfig, type Config, type InstrumentationName } from './config';
import type { AreaContext, AreaSetup } from './core/area';
import { warn } from './core/log';
import { Registry } from './core/registry';
import { Exposition } from './export/exposition';
import { MetricsWorker } from './export/worker-host';
import { setRunningInstance } from './core/instance';

export interface Autoprom {
  readonly config: Config;
  readonly registry: Registry;
  readonly meterProvider: MeterProvider;
  /** The Prometheus pull reader and renderer, when the prometheus exporter is on. */
  readonly exposition: Exposition | undefined;
  /** The metrics endpoint (a worker thread), when the prometheus exporter is on. */
  readonly endpoint: MetricsWorker | undefined;
}

type AreaStarter = (ctx: AreaContext) => AreaSetup;

/** Each area, loaded only when one of its instrumentations is enabled (keeps startup lean). */
const AREAS: ReadonlyArray<{ names: readonly InstrumentationName[]; load: () => AreaStarter }> = [
  { names: ['http', 'undici', 'express', 'fastify', 'koa'], load: () => (require('./http') as typeof import('./http')).setupHttp },
  { names: ['pg'], load: () => (require('./db') as typeof import('./db')).setupPg },
  { names: ['ioredis'], load: () => (require('./cache') as typeof import('./cache')).setupRedis },
  { names: ['runtime'], load: () => (require('./runtime') as typeof import('./runtime')).setupRuntime },
];

/** A diag logger that writes to stderr only: the preload never prints to stdout. */
const stderrLogger: DiagLogger = {
  error: (msg, ...args) => warn(`otel error: ${[msg, ...args].map(String).join(' ')}`),
  warn: (msg, ...args) => warn(`otel warn: ${[msg, ...args].map(String).join(' ')}`),
  info: (msg, ...args) => process.stderr.write(`autoprom: otel info: ${[msg, ...args].map(String).join(' ')}\n`),
  debug: (msg, ...args) => process.stderr.write(`autoprom: otel debug: ${[msg, ...args].map(String).join(' ')}\n`),
  verbose: (msg, ...args) => process.stderr.write(`autoprom: otel verbose: ${[msg, ...args].map(String).join(' ')}\n`),
};

let running: Autoprom | undefined;

/** The running instance, if the preload (or `start`) has started one (with its MeterProvider and endpoint). */
export function current(): Autoprom | undefined {
  return running;
}

/**
 * Start autoprom once per process. Never throws: a failure is one stderr line and the
 * application runs on unmeasured.
 */
export function start(env: NodeJS.ProcessEnv = process.env): Autoprom | undefined {
  if (running !== undefined) return running;
  try {
    const { config, problems } = parseConfig(env);
    for (const line of problems) warn(line);
    if (config.disabled) return undefined;
    diag.setLogger(stderrLogger, { logLevel: config.logLevel, suppressOverrideMessage: true });

    const registry = new Registry({
      namespace: config.namespace,
      cardinalityLimit: config.cardinalityLimit,
      latencyBuckets: config.latencyBuckets,
    });
    const ctx: AreaContext = { config, registry, ownServers: new Set() };

    const views: ViewOptions[] = [];
    const instrumentations: Instrumentation[] = [];
    for (const area of AREAS) {
      if (!area.names.some((n) => config.instrumentations.has(n))) continue;
      try {
        const setup = area.load()(ctx);
        views.push(...(setup.views ?? []));
        instrumentations.push(...(setup.instrumentations ?? []));
      } catch (err) {
        warn(`could not enable ${area.names.join('/')} metrics: ${(err as Error)?.message ?? String(err)}`);
      }
    }

    const readers: IMetricReader[] = [];
    let exposition: Exposition | undefined;
    let endpoint: MetricsWorker | undefined;
    if (config.prometheus) {
      exposition = new Exposition([registry]);
      readers.push(exposition.reader);
      // Its server moves to a worker thread, whose HTTP traffic this thread's diagnostics channels
      // never see; until then it is this thread's, and never the application's either.
      endpoint = new MetricsWorker(exposition, {
        ports: config.ports,
        host: config.host,
        path: config.path,
        namespace: config.namespace,
        listen: config.server,
      });
      if (endpoint.interimServer !== undefined) ctx.ownServers.add(endpoint.interimServer);
    }
    if (config.otlp) {
      const otlp = loadOtlpReader(registry, config.exportIntervalMillis);
      if (otlp !== undefined) readers.push(otlp);
    }

    const meterProvider = new MeterProvider({ views, readers });
    metrics.setGlobalMeterProvider(meterProvider);
    registerInstrumentations({ instrumentations: [...instrumentations], meterProvider });
    running = { config, registry, meterProvider, exposition, endpoint };
    setRunningInstance({ config, registry, handleScrape: endpoint?.handle });
    return running;
  } catch (err) {
    warn(`could not start (the application runs on unmeasured): ${(err as Error)?.stack ?? String(err)}`);
    return undefined;
  }
}

function loadOtlpReader(registry: Registry, exportIntervalMillis: number): IMetricReader | undefined {
  try {
    const { OTLPMetricExporter } =
      require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http');
    const { PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    return new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis, metricProducers: [registry] });
  } catch (err) {
    warn(`OTEL_METRICS_EXPORTER=otlp: could not start the OTLP exporter: ${(err as Error)?.message ?? String(err)}`);
    return undefined;
  }
}
