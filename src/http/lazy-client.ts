/**
 * OpenTelemetry's http and undici instrumentations, loaded when the application first makes an
 * outgoing request rather than at startup (together about a fifth of the preload's start-up
 * time, and instrumentation-http brings its own copy of @opentelemetry/instrumentation, whose
 * require hook every later `require` of the application then went through as well).
 *
 * - http/https: when the module is required or imported, `request` and `get` are replaced by a
 *   stand-in; its first call loads instrumentation-http, which patches every http/https module
 *   object seen so far exactly as it would have at their require, and the call goes on through
 *   its wrapper. A stand-in the application kept a reference to forwards to the wrapper too.
 * - undici (global fetch): one subscriber on `undici:request:create`; the first request loads
 *   instrumentation-undici (which subscribes to undici's channels) and hands it that request.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { MeterProvider } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig, InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { internalError } from '../core/log';
import { markPatched, moduleExportsOf, originalOf, type AnyFunction } from '../core/patch';
import { VERSION } from '../core/version';

type Runtime = typeof import('@opentelemetry/instrumentation');

/** What an OpenTelemetry instrumentation exposes that the stand-ins drive (public, or kept stable across 0.30x). */
interface LoadedInstrumentation extends Instrumentation {
  getModuleDefinitions(): InstrumentationModuleDefinition[];
}

const METHODS = ['request', 'get'] as const;

/**
 * An http/https instrumentation that loads the real one (`create`, called once) at the first
 * outgoing request. `create` returns it disabled: its patches are applied here, to the module
 * objects the stand-in saw, so it never adds require hooks of its own.
 */
export function lazyHttpInstrumentation(create: () => Instrumentation | undefined): Instrumentation {
  const runtime = require('@opentelemetry/instrumentation') as Runtime;
  let real: LoadedInstrumentation | undefined;
  let failed = false;
  let meterProvider: MeterProvider | undefined;
  /** Every http/https module object seen, in order (a module required and imported is seen twice). */
  const seen: Array<{ name: string; exports: Record<string, unknown> }> = [];

  function activate(): void {
    if (real !== undefined || failed) return;
    failed = true; // a failure below is reported once, and the stand-ins then only forward
    const made = create() as LoadedInstrumentation | undefined;
    if (made === undefined) return;
    if (meterProvider !== undefined) made.setMeterProvider(meterProvider);
    // As its enable() would, without its require hooks: the modules are already loaded.
    (made as unknown as { _enabled: boolean })._enabled = true;
    const definitions = made.getModuleDefinitions();
    for (const { name, exports } of seen) {
      // Its wrappers wrap Node's own functions, not the stand-ins (which only a kept reference still reaches).
      for (const m of METHODS)
        if (typeof exports[m] === 'function' && originalOf(exports[m]) !== exports[m]) exports[m] = originalOf(exports[m]);
      const definition = definitions.find((d) => d.name === name);
      if (definition?.patch === undefined) continue;
      definition.moduleExports = exports;
      definition.patch(exports);
    }
    real = made;
    failed = false;
  }

  /** Replace `exports[method]` by a stand-in that activates, then calls whatever `exports[method]` is then. */
  function standIn(exports: Record<string, unknown>, method: (typeof METHODS)[number]): void {
    const original = exports[method];
    if (typeof original !== 'function' || originalOf(original) !== original) return;
    const stand = markPatched(function (this: unknown, ...args: unknown[]) {
      if (real === undefined && !failed) {
        try {
          activate();
        } catch (err) {
          internalError('loading the outgoing http instrumentation', err);
        }
      }
      const current = exports[method];
      // instrumentation-http's wrapper, now on the module; Node's own function when it could not load.
      if (current === stand || typeof current !== 'function') return (original as AnyFunction).apply(this, args);
      return (current as AnyFunction).apply(this, args);
    }, original as AnyFunction);
    Object.defineProperty(stand, 'name', { value: (original as AnyFunction).name });
    exports[method] = stand;
  }

  class LazyHttpInstrumentation extends runtime.InstrumentationBase<InstrumentationConfig> {
    constructor() {
      super('autoprom-http-client', VERSION, {});
    }

    protected override init(): InstrumentationModuleDefinition[] {
      return ['http', 'https'].map(
        (name) =>
          new runtime.InstrumentationNodeModuleDefinition(name, ['*'], (moduleExports: unknown) => {
            try {
              const exports = moduleExportsOf<Record<string, unknown>>(moduleExports);
              if (exports === undefined) return moduleExports;
              seen.push({ name, exports });
              if (real !== undefined) {
                const definition = real.getModuleDefinitions().find((d) => d.name === name);
                if (definition?.patch !== undefined) {
                  definition.moduleExports = exports;
                  definition.patch(exports);
                }
              } else for (const m of METHODS) standIn(exports, m);
            } catch (err) {
              internalError('preparing the outgoing http instrumentation', err);
            }
            return moduleExports;
          }),
      );
    }

    override setMeterProvider(provider: MeterProvider): void {
      super.setMeterProvider(provider);
      meterProvider = provider;
      real?.setMeterProvider(provider);
    }

    override disable(): void {
      super.disable();
      real?.disable();
    }
  }
  return new LazyHttpInstrumentation();
}

/** instrumentation-undici, loaded at the first fetch (or undici request): `create` returns it enabled. */
export function lazyUndiciInstrumentation(create: () => Instrumentation | undefined): Instrumentation {
  const runtime = require('@opentelemetry/instrumentation') as Runtime;
  let real: Instrumentation | undefined;
  let meterProvider: MeterProvider | undefined;
  let subscribed = false;

  const first = (message: unknown): void => {
    unsubscribe('undici:request:create', first);
    subscribed = false;
    try {
      real = create();
      if (real === undefined) return;
      if (meterProvider !== undefined) real.setMeterProvider(meterProvider);
      // Its own subscription starts with the next request: this one is handed over.
      (real as unknown as { onRequestCreated?: (m: unknown) => void }).onRequestCreated?.(message);
    } catch (err) {
      internalError('loading the fetch instrumentation', err);
    }
  };

  class LazyUndiciInstrumentation extends runtime.InstrumentationBase<InstrumentationConfig> {
    constructor() {
      super('autoprom-undici', VERSION, {});
    }

    protected override init(): void {}

    override enable(): void {
      super.enable();
      if (real !== undefined) real.enable();
      else if (!subscribed) {
        subscribe('undici:request:create', first);
        subscribed = true;
      }
    }

    override disable(): void {
      super.disable();
      if (subscribed) unsubscribe('undici:request:create', first);
      subscribed = false;
      real?.disable();
    }

    override setMeterProvider(provider: MeterProvider): void {
      super.setMeterProvider(provider);
      meterProvider = provider;
      real?.setMeterProvider(provider);
    }
  }
  return new LazyUndiciInstrumentation();
}
