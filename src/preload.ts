/**
 * Boots autoprom inside an application process: configuration from the environment,
 * instrumentations created before the application loads its modules, one MeterProvider
 * with the catalogue's Views, and the readers (Prometheus endpoint, OTLP push).
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import type { IMetricReader, MeterProvider, ViewOptions } from '@opentelemetry/sdk-metrics';
import { LazyMeterProvider } from './core/lazy-meters';
import { FRAMEWORK_NAMES, parseConfig, type Config, type InstrumentationName } from './config';
import { createInstrumentation, type AreaContext, type AreaSetup } from './core/area';
import type { AppRegistriesInstrumentation } from './app-metrics/prom-client';
import { errorText, warn } from './core/log';
import { Registry } from './core/registry';
import { installModuleHook, instrumentedModules } from './module-hook';
import { Exposition } from './export/exposition';
import { yieldPortToApplication } from './export/port-yield';
import { MetricsWorker } from './export/worker-host';
import { memberOf } from './export/group';
import { createOtlpReader } from './export/otlp';
import { setRunningInstance } from './core/instance';

export interface Autoprom {
  readonly config: Config;
  readonly registry: Registry;
  /** OpenTelemetry's SDK MeterProvider (reading it creates it, if the first event-loop turn has not yet). */
  readonly meterProvider: MeterProvider;
  /** The Prometheus pull reader and renderer, when the prometheus exporter is on. */
  readonly exposition: Exposition | undefined;
  /** The metrics endpoint (a worker thread), when the prometheus exporter is on. */
  readonly endpoint: MetricsWorker | undefined;
}

type AreaStarter = (ctx: AreaContext) => AreaSetup;

/** Each area, loaded only when one of its instrumentations is enabled (keeps startup lean). */
const AREAS: ReadonlyArray<{ names: readonly InstrumentationName[]; load: () => AreaStarter }> = [
  { names: ['http', 'undici', ...FRAMEWORK_NAMES], load: () => (require('./http') as typeof import('./http')).setupHttp },
  // Before the SQL clients: they tell the migration gauges which databases the application uses.
  { names: ['pg', 'postgres', 'mysql2', 'sqlite'], load: () => (require('./db') as typeof import('./db')).setupMigrations },
  { names: ['pg'], load: () => (require('./db') as typeof import('./db')).setupPg },
  { names: ['postgres'], load: () => (require('./db') as typeof import('./db')).setupPostgresJs },
  { names: ['mysql2'], load: () => (require('./db') as typeof import('./db')).setupMysql2 },
  { names: ['sqlite'], load: () => (require('./db') as typeof import('./db')).setupSqlite },
  { names: ['ioredis', 'redis', 'memjs'], load: () => (require('./cache') as typeof import('./cache')).setupCache },
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

/**
 * A node:cluster worker (Node removes NODE_UNIQUE_ID from its environment before preloads run).
 * Only a process with an IPC channel can be one: the others never load node:cluster (5 ms).
 */
function isClusterWorker(): boolean {
  return typeof process.send === 'function' && (require('node:cluster') as typeof import('node:cluster').default).isWorker === true;
}

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

    const otelViews: ViewOptions[] = [];
    const instrumentations: Instrumentation[] = [];
    for (const area of AREAS) {
      if (!area.names.some((n) => config.instrumentations.has(n))) continue;
      try {
        const setup = area.load()(ctx);
        otelViews.push(...(setup.otelViews ?? []));
        instrumentations.push(...(setup.instrumentations ?? []));
      } catch (err) {
        warn(`could not enable ${area.names.join('/')} metrics: ${errorText(err)}`);
      }
    }

    // The application's own prom-client / @prometheus-io/client registries, on the same endpoint.
    let appRegistries: AppRegistriesInstrumentation | undefined;
    if (config.instrumentations.has('prom-client')) {
      appRegistries = createInstrumentation('prom-client', "the application's own prom-client metrics stay off autoprom's endpoint", () => {
        const { AppRegistriesInstrumentation } = require('./app-metrics/prom-client') as typeof import('./app-metrics/prom-client');
        return new AppRegistriesInstrumentation();
      });
      if (appRegistries !== undefined) instrumentations.push(appRegistries);
    }

    // The application's own OpenTelemetry instruments: on autoprom's provider, unless it brings its own SDK.
    const { AppOtelApiInstrumentation, withLatencyBuckets } = require('./app-metrics/otel-api') as typeof import('./app-metrics/otel-api');
    const appOtelApi = new AppOtelApiInstrumentation();
    instrumentations.push(appOtelApi);

    // ES module imports of what the instrumentations patch, whichever preload flag was used.
    const modules = instrumentedModules(instrumentations);
    try {
      installModuleHook(modules);
    } catch (err) {
      warn(`could not install the ES module hook (ES module imports of ${modules.join(', ')} stay unmeasured): ${errorText(err)}`);
    }

    const readers: Array<() => IMetricReader> = [];
    let exposition: Exposition | undefined;
    let endpoint: MetricsWorker | undefined;
    if (config.prometheus) {
      const app = appRegistries;
      exposition = new Exposition([registry], app === undefined ? undefined : (exposed) => app.collect(exposed));
      const reader = exposition;
      readers.push(() => reader.reader);
      // Its server runs in a worker thread, whose HTTP traffic this thread's diagnostics channels
      // never see; a server of this thread's (no worker) is never the application's either.
      endpoint = new MetricsWorker(exposition, {
        ports: config.ports,
        host: config.host,
        path: config.path,
        namespace: config.namespace,
        listen: config.server,
        // One port for the service: its node:cluster / PM2 workers are summed on it (a range gives each its own).
        group: !config.portRange,
        member: config.portRange ? undefined : memberOf(process.env, process.ppid, isClusterWorker()),
        ownServers: ctx.ownServers,
      });
      // An application that listens on autoprom's port gets it (export/port-yield.ts).
      if (config.server) yieldPortToApplication(endpoint, ctx.ownServers);
      // "Is it working?": at OTEL_LOG_LEVEL=info one line says where the endpoint listens.
      if (config.logLevel >= DiagLogLevel.INFO) {
        void endpoint.boundPort.then(
          (p) => p !== undefined && warn(`metrics endpoint listening on http://${config.host ?? '0.0.0.0'}:${p}${config.path}`),
        );
        void endpoint.joined.then((pid) =>
          warn(
            `this process's metrics are summed with its service's on http://${config.host ?? '0.0.0.0'}:${config.ports[0]}${config.path}, served by process ${pid}`,
          ),
        );
      }
    }
    const otlp = config.otlp ? createOtlpReader(registry, config.exportIntervalMillis) : undefined;
    if (otlp !== undefined) readers.push(() => otlp);

    // OpenTelemetry's SDK, created after the first event-loop turn (or before, at its first use).
    const meterProvider = new LazyMeterProvider(() => {
      const { MeterProvider } = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
      return new MeterProvider({ views: otelViews, readers: readers.map((r) => r()) });
    });
    exposition?.collectsThrough(() => meterProvider.sdk());
    // The OTLP reader exports on its own schedule, from the start.
    if (otlp !== undefined) meterProvider.sdk();
    else meterProvider.createSoon();
    appOtelApi.registerGlobal(withLatencyBuckets(meterProvider, config.latencyBuckets));
    registerInstrumentations({ instrumentations: [...instrumentations], meterProvider });
    running = {
      config,
      registry,
      get meterProvider() {
        return meterProvider.sdk() as MeterProvider;
      },
      exposition,
      endpoint,
    };
    setRunningInstance({ config, registry, handleScrape: endpoint?.handle, renderExposition: exposition?.render.bind(exposition) });
    return running;
  } catch (err) {
    warn(`could not start (the application runs on unmeasured): ${errorText(err, true)}`);
    return undefined;
  }
}
