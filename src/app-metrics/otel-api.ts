/**
 * The application's own OpenTelemetry instruments. autoprom registers its MeterProvider as the
 * global one, so an app that only uses `@opentelemetry/api` (`metrics.getMeter(…)`) has its
 * instruments on autoprom's endpoint; its histograms with unit `s` get the latency buckets
 * (PROMETHEUS_LATENCY_BUCKETS) unless the app gave its own. An app that sets up its own
 * OpenTelemetry SDK keeps it: when it registers its own global MeterProvider, autoprom steps
 * aside (one line says so), so that the app's exporter shows the app's metrics as before;
 * autoprom's own metrics are unaffected (its instrumentations hold autoprom's provider).
 */
import { metrics, type Histogram, type Meter, type MeterOptions, type MeterProvider, type MetricOptions } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { warn } from '../core/log';
import { moduleExportsOf, patchMethod } from '../core/patch';
import { VERSION } from '../core/version';

/** The key under which every @opentelemetry/api 1.x copy keeps its globals. */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

/**
 * A MeterProvider for the global API: `provider`'s meters, whose unit-`s` histograms get
 * `buckets` as their advised boundaries when the caller advised none.
 */
export function withLatencyBuckets(provider: MeterProvider, buckets: readonly number[]): MeterProvider {
  const wrapped = new WeakMap<Meter, Meter>();
  return {
    getMeter(name: string, version?: string, options?: MeterOptions): Meter {
      const meter = provider.getMeter(name, version, options);
      let w = wrapped.get(meter);
      if (w === undefined) {
        w = Object.create(meter) as Meter;
        w.createHistogram = (histogramName: string, opts?: MetricOptions): Histogram => {
          const advised = opts?.advice?.explicitBucketBoundaries;
          if (opts?.unit !== 's' || advised !== undefined) return meter.createHistogram(histogramName, opts);
          return meter.createHistogram(histogramName, { ...opts, advice: { ...opts.advice, explicitBucketBoundaries: [...buckets] } });
        };
        wrapped.set(meter, w);
      }
      return w;
    },
  };
}

/**
 * Watches the application's copies of @opentelemetry/api: a MeterProvider it registers
 * globally (its own SDK) takes the global slot from autoprom's.
 */
export class AppOtelApiInstrumentation extends InstrumentationBase {
  private autopromProvider: MeterProvider | undefined;
  private yielded = false;

  constructor() {
    super('autoprom-otel-api', VERSION, {});
  }

  /** The provider autoprom registers: registering it is never a reason to step aside. */
  registerGlobal(provider: MeterProvider): void {
    this.autopromProvider = provider;
    metrics.setGlobalMeterProvider(provider);
    // The application may share autoprom's own copy of the API (a hoisted install).
    this.watch(metrics);
  }

  protected override init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition('@opentelemetry/api', ['>=1.0.0 <2'], (moduleExports: unknown) => {
        const api = moduleExportsOf<{ metrics?: object }>(moduleExports)?.metrics;
        if (api !== undefined) this.watch(api);
        return moduleExports;
      }),
    ];
  }

  private watch(api: object): void {
    const self = this;
    patchMethod(
      api,
      'setGlobalMeterProvider',
      (original) =>
        function setGlobalMeterProvider(this: unknown, provider: unknown) {
          if (provider !== self.autopromProvider) self.stepAside();
          return original.call(this, provider);
        },
    );
  }

  /** Give the global MeterProvider slot to the application's own SDK, once. */
  private stepAside(): void {
    if (this.yielded) return;
    this.yielded = true;
    try {
      metrics.disable();
      // Nothing else of autoprom's is global but its diagnostics logger: leave no version behind
      // that an application's older API copy would refuse to register beside.
      const global = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[GLOBAL_KEY];
      if (global !== undefined && Object.keys(global).every((k) => k === 'version' || k === 'diag')) {
        delete (globalThis as Record<symbol, unknown>)[GLOBAL_KEY];
      }
      warn(
        "the application registered its own OpenTelemetry MeterProvider: its own instruments go to it (and its exporter), not to autoprom's endpoint; autoprom's metrics are unaffected",
      );
    } catch {
      // The application's registration goes ahead either way.
    }
  }
}
