/**
 * The MeterProvider autoprom hands out (the global one, the instrumentations'): OpenTelemetry's
 * SDK provider, created when it is first needed instead of at start. autoprom's own families are
 * recorded in its Registry, so nothing at start needs the SDK, and loading sdk-metrics and the
 * Prometheus reader is about a fifth of the preload's start.
 *
 * The SDK is created, once, by the first of:
 * - the first event-loop turn (`createSoon`, unref'd: a process that exits at once never loads it);
 * - the first value recorded on an instrument created before it (the value is recorded, exactly);
 * - a collection (a scrape, an OTLP export) or `sdk()`.
 * Meters and instruments asked for before are stand-ins: when the SDK is created each becomes
 * the SDK's own (same names, options, callbacks and batch callbacks), and a stand-in then only
 * forwards to it. Asked for after, they are the SDK's own.
 */
import type {
  Attributes,
  BatchObservableCallback,
  BatchObservableResult,
  Context,
  Counter,
  Gauge,
  Histogram,
  Meter,
  MeterOptions,
  MeterProvider,
  MetricOptions,
  Observable,
  ObservableCallback,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
  UpDownCounter,
} from '@opentelemetry/api';
import { internalError } from './log';

export class LazyMeterProvider implements MeterProvider {
  private real: MeterProvider | undefined;
  private failure: unknown;
  private readonly standIns: Array<StandIn<object>> = [];

  constructor(private readonly create: () => MeterProvider) {}

  /** Whether the SDK's provider exists yet. */
  get created(): boolean {
    return this.real !== undefined;
  }

  /**
   * The SDK's provider, created now if it was not (every stand-in then becomes the SDK's own).
   * Throws if it cannot be created (said once, on stderr); stand-ins then drop what they record.
   */
  sdk(): MeterProvider {
    if (this.real !== undefined) return this.real;
    if (this.failure !== undefined) throw this.failure;
    try {
      this.real = this.create();
    } catch (err) {
      this.failure = err;
      internalError(
        "creating OpenTelemetry's MeterProvider",
        err,
        "the application's OpenTelemetry metrics and the runtime metrics are missing",
      );
      throw err;
    }
    for (const s of this.standIns.splice(0)) s.materialize();
    return this.real;
  }

  /** Create the SDK after the application's first event-loop turn (never keeps the process alive). */
  createSoon(): void {
    setImmediate(() => {
      try {
        this.sdk();
      } catch {
        // said once by sdk()
      }
    }).unref();
  }

  getMeter(name: string, version?: string, options?: MeterOptions): Meter {
    if (this.real !== undefined) return this.real.getMeter(name, version, options);
    return this.standIn(new LazyMeter(this, () => this.sdk().getMeter(name, version, options)));
  }

  /** Keep `s` until the SDK exists (or make it the SDK's own at once if it does). */
  standIn<T extends StandIn<object>>(s: T): T {
    if (this.real !== undefined) s.materialize();
    else this.standIns.push(s);
    return s;
  }
}

/** Something asked for before the SDK existed, and the SDK's own once it does. */
abstract class StandIn<T extends object> {
  protected real: T | undefined;

  constructor(
    protected readonly provider: LazyMeterProvider,
    private readonly make: () => T,
  ) {}

  /** The SDK's own (the SDK exists). */
  materialize(): T {
    if (this.real === undefined) {
      this.real = this.make();
      this.attach(this.real);
    }
    return this.real;
  }

  /** What was given to the stand-in before, handed to the SDK's own. */
  protected attach(_real: T): void {}

  /** The SDK's own, creating the SDK now if need be; undefined if it cannot be created. */
  protected now(): T | undefined {
    if (this.real !== undefined) return this.real;
    try {
      this.provider.sdk();
      return this.materialize();
    } catch {
      return undefined;
    }
  }
}

/** A meter asked for before the SDK existed. */
class LazyMeter extends StandIn<Meter> implements Meter {
  /** Batch callbacks added before: the application's callback, its observables, the callback given to the SDK. */
  private readonly batches: Array<{ callback: BatchObservableCallback; observables: Observable[]; given?: BatchObservableCallback }> = [];

  protected override attach(real: Meter): void {
    for (const b of this.batches) {
      b.given = translated(b.callback);
      real.addBatchObservableCallback(b.given, b.observables.map(realOf));
    }
  }

  /** The SDK's instrument if the SDK exists, else a stand-in of `Kind` that becomes it. */
  private instrument<T extends object>(
    create: (meter: Meter) => T,
    Kind: new (provider: LazyMeterProvider, make: () => T) => T & StandIn<T>,
  ): T {
    if (this.real !== undefined) return create(this.real);
    return this.provider.standIn(new Kind(this.provider, () => create(this.materialize())));
  }

  createCounter(name: string, options?: MetricOptions): Counter {
    return this.instrument((m) => m.createCounter(name, options), LazyAdder);
  }

  createUpDownCounter(name: string, options?: MetricOptions): UpDownCounter {
    return this.instrument((m) => m.createUpDownCounter(name, options), LazyAdder);
  }

  createHistogram(name: string, options?: MetricOptions): Histogram {
    return this.instrument((m) => m.createHistogram(name, options), LazyRecorder);
  }

  createGauge(name: string, options?: MetricOptions): Gauge {
    return this.instrument((m) => m.createGauge(name, options), LazyRecorder);
  }

  createObservableGauge(name: string, options?: MetricOptions): ObservableGauge {
    return this.instrument((m) => m.createObservableGauge(name, options), LazyObservable);
  }

  createObservableCounter(name: string, options?: MetricOptions): ObservableCounter {
    return this.instrument((m) => m.createObservableCounter(name, options), LazyObservable);
  }

  createObservableUpDownCounter(name: string, options?: MetricOptions): ObservableUpDownCounter {
    return this.instrument((m) => m.createObservableUpDownCounter(name, options), LazyObservable);
  }

  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    if (this.real === undefined) this.batches.push({ callback, observables: [...observables] });
    else {
      const given = observables.some((o) => o instanceof LazyObservable) ? translated(callback) : callback;
      this.batches.push({ callback, observables: [...observables], given });
      this.real.addBatchObservableCallback(given, observables.map(realOf));
    }
  }

  removeBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    const i = this.batches.findIndex((b) => b.callback === callback);
    if (i < 0) return;
    const [b] = this.batches.splice(i, 1);
    if (this.real !== undefined && b!.given !== undefined) this.real.removeBatchObservableCallback(b!.given, observables.map(realOf));
  }
}

/** A counter or up-down counter created before the SDK: its first value creates the SDK. */
class LazyAdder extends StandIn<Counter> implements Counter, UpDownCounter {
  add(value: number, attributes?: Attributes, context?: Context): void {
    this.now()?.add(value, attributes, context);
  }
}

/** A histogram or gauge created before the SDK: its first value creates the SDK. */
class LazyRecorder extends StandIn<Histogram & Gauge> implements Histogram, Gauge {
  record(value: number, attributes?: Attributes, context?: Context): void {
    this.now()?.record(value, attributes, context);
  }
}

/** An observable instrument created before the SDK: its callbacks go to the SDK's once it exists. */
class LazyObservable extends StandIn<Observable> implements Observable {
  private readonly callbacks: ObservableCallback[] = [];

  protected override attach(real: Observable): void {
    for (const c of this.callbacks.splice(0)) real.addCallback(c);
  }

  /** The SDK's observable (the SDK exists). */
  observable(): Observable {
    return this.materialize();
  }

  addCallback(callback: ObservableCallback): void {
    if (this.real !== undefined) this.real.addCallback(callback);
    else this.callbacks.push(callback);
  }

  removeCallback(callback: ObservableCallback): void {
    if (this.real !== undefined) this.real.removeCallback(callback);
    else {
      const i = this.callbacks.indexOf(callback);
      if (i >= 0) this.callbacks.splice(i, 1);
    }
  }
}

/** The SDK's observable behind a stand-in (the SDK accepts only its own). */
function realOf(o: Observable): Observable {
  return o instanceof LazyObservable ? o.observable() : o;
}

/** A batch callback that observes stand-ins: each `observe` goes to the SDK's observable. */
function translated(callback: BatchObservableCallback): BatchObservableCallback {
  return (result: BatchObservableResult) =>
    callback({
      observe: (observable: Observable, value: number, attributes?: Attributes) => result.observe(realOf(observable), value, attributes),
    });
}
