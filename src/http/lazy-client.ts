/**
 * OpenTelemetry's http and undici instrumentations, loaded when the application first makes an
 * outgoing request rather than at startup (together about a fifth of the preload's start-up
 * time, and instrumentation-http brings its own copy of @opentelemetry/instrumentation, whose
 * require hook every later `require` of the application then went through as well).
 *
 * - http/https: when the module is required or imported, `request` and `get` are replaced by a
 *   stand-in; its first call loads instrumentation-http, and every call goes on through its
 *   wrapper (see lazyHttpInstrumentation).
 * - undici (global fetch): one subscriber on `undici:request:create`; the first request loads
 *   instrumentation-undici (which subscribes to undici's channels) and hands it that request.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { MeterProvider } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig, InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { internalError } from '../core/log';
import { markPatched, moduleExportsOf, originalOf, unpatchMethod, type AnyFunction } from '../core/patch';
import { VERSION } from '../core/version';

type Runtime = typeof import('@opentelemetry/instrumentation');

/** What an OpenTelemetry instrumentation exposes that the stand-ins drive (public, or kept stable across 0.30x). */
interface LoadedInstrumentation extends Instrumentation {
  getModuleDefinitions(): InstrumentationModuleDefinition[];
}

const METHODS = ['request', 'get'] as const;

/**
 * An http/https instrumentation that loads the real one (`create`, called once) at the first
 * outgoing request. `create` returns it disabled: it never adds require hooks of its own, and
 * never touches the modules. It patches one shadow object per module ({ request, get }: Node's
 * own functions), and the stand-ins left on the modules call the shadow's functions. Whatever
 * the application or another tool wraps over a stand-in stays outside instrumentation-http's
 * wrapper, as it would had instrumentation-http patched the module at its require.
 */
export function lazyHttpInstrumentation(create: () => Instrumentation | undefined): Instrumentation {
  const runtime = require('@opentelemetry/instrumentation') as Runtime;
  let real: LoadedInstrumentation | undefined;
  let tried = false;
  let meterProvider: MeterProvider | undefined;
  /** Per module name: Node's request and get, which instrumentation-http wraps in place once loaded. */
  const shadows = new Map<string, Record<string, unknown>>();

  function activate(): void {
    if (tried) return;
    tried = true; // once: a failure is reported once, and the stand-ins then call Node's functions
    const made = create() as LoadedInstrumentation | undefined;
    if (made === undefined) return;
    if (meterProvider !== undefined) made.setMeterProvider(meterProvider);
    // As its enable() would, without its require hooks.
    (made as unknown as { _enabled: boolean })._enabled = true;
    real = made;
    for (const [name, shadow] of shadows) patchShadow(name, shadow);
  }

  function patchShadow(name: string, shadow: Record<string, unknown>): void {
    const definition = real?.getModuleDefinitions().find((d) => d.name === name);
    if (definition?.patch === undefined) return;
    definition.moduleExports = shadow;
    definition.patch(shadow);
  }

  /** Replace `exports[method]` by a stand-in that activates, then calls the shadow's function. */
  function standIn(exports: Record<string, unknown>, shadow: Record<string, unknown>, method: (typeof METHODS)[number]): void {
    const original = exports[method];
    if (typeof original !== 'function' || originalOf(original) !== original) return;
    const stand = markPatched(function (this: unknown, ...args: unknown[]) {
      if (!tried) {
        try {
          activate();
        } catch (err) {
          internalError('loading the outgoing http instrumentation', err);
        }
      }
      const target = shadow[method];
      return (typeof target === 'function' ? (target as AnyFunction) : (original as AnyFunction)).apply(this, args);
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
          new runtime.InstrumentationNodeModuleDefinition(
            name,
            ['*'],
            (moduleExports: unknown) => {
              try {
                const exports = moduleExportsOf<Record<string, unknown>>(moduleExports);
                if (exports === undefined) return moduleExports;
                let shadow = shadows.get(name);
                if (shadow === undefined) {
                  shadow = {};
                  for (const m of METHODS) shadow[m] = originalOf(exports[m]);
                  shadows.set(name, shadow);
                  if (real !== undefined) patchShadow(name, shadow);
                }
                for (const m of METHODS) standIn(exports, shadow, m);
                // An ES module namespace (the module hook's): its named exports are bindings of their
                // own, so that `import { get } from 'node:http'` gets the stand-ins too.
                if (moduleExports !== exports) {
                  const namespace = moduleExports as Record<string, unknown>;
                  for (const m of METHODS) if (namespace[m] !== exports[m]) namespace[m] = exports[m];
                }
              } catch (err) {
                internalError('preparing the outgoing http instrumentation', err);
              }
              return moduleExports;
            },
            (moduleExports: unknown) => {
              const exports = moduleExportsOf<Record<string, unknown>>(moduleExports);
              if (exports !== undefined) for (const m of METHODS) unpatchMethod(exports, m);
            },
          ),
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
