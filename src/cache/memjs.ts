/**
 * django_cache_* from memcached through memjs (the most used memcached client for Node), with
 * no application code.
 *
 * memjs 1.x has one read, `Client.prototype.get(key, callback?)`: without a callback it calls
 * itself with one and returns a promise, so only the callback form is counted (once). The
 * callback's value is null for a miss; an error (refused, timed out, no server, an error
 * status) is a failure. `backend` is the client's `name` option when set, else `memcached`.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { AreaContext } from '../core/area';
import { couldNotInstrument, internalError } from '../core/log';
import { patchMethod, unpatchMethod, moduleExportsOf, type AnyFunction } from '../core/patch';
import { VERSION } from '../core/version';
import { cacheSeries, type CacheSeries } from './cache-client';

const SUPPORTED_VERSIONS = ['>=1.0.0 <2'];
const SERIES = Symbol('autoprom.cache.series');

interface MemjsClientLike {
  options?: { name?: unknown };
  [SERIES]?: CacheSeries;
}

/** `backend` label of a memjs client: its `name` option when set, else `memcached`. */
export function memjsBackend(options: MemjsClientLike['options']): string {
  const name = options?.name;
  return typeof name === 'string' && name !== '' ? name : 'memcached';
}

function clientPrototype(moduleExports: unknown): Record<string, unknown> | undefined {
  const proto = moduleExportsOf<{ Client?: { prototype?: Record<string, unknown> } }>(moduleExports)?.Client?.prototype;
  return proto !== undefined && typeof proto.get === 'function' ? proto : undefined;
}

export class MemjsCacheInstrumentation extends InstrumentationBase {
  private ctx: AreaContext | undefined;

  constructor(ctx: AreaContext) {
    super('autoprom-memjs-cache', VERSION, {});
    this.ctx = ctx;
  }

  protected override init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'memjs',
        SUPPORTED_VERSIONS,
        (exports: unknown) => this.patch(exports),
        (exports: unknown) => {
          const proto = clientPrototype(exports);
          if (proto !== undefined) unpatchMethod(proto, 'get');
        },
      ),
    ];
  }

  private seriesOf(client: MemjsClientLike): CacheSeries | undefined {
    if (this.ctx === undefined || !this._enabled) return undefined;
    let s = client[SERIES];
    if (s === undefined) {
      s = cacheSeries(this.ctx.registry, memjsBackend(client.options));
      client[SERIES] = s;
    }
    return s;
  }

  private patch(moduleExports: unknown): unknown {
    try {
      const proto = clientPrototype(moduleExports);
      if (proto === undefined) throw new Error('Client.prototype.get not found');
      patchMethod(proto, 'get', (original) => this.wrapGet(original));
    } catch (err) {
      couldNotInstrument('memjs', 'cache metrics off', err);
    }
    return moduleExports;
  }

  private wrapGet(original: AnyFunction): AnyFunction {
    const instrumentation = this;
    return function get(this: MemjsClientLike, key: unknown, callback: unknown) {
      if (typeof callback !== 'function') return original.apply(this, arguments as unknown as unknown[]) as unknown;
      let series: CacheSeries | undefined;
      try {
        series = instrumentation.seriesOf(this);
      } catch (err) {
        internalError('memjs cache metrics', err);
      }
      if (series === undefined) return original.apply(this, arguments as unknown as unknown[]) as unknown;
      const s = series;
      let settled = false;
      const counted = function (this: unknown, err: unknown, value: unknown) {
        if (!settled) {
          settled = true;
          try {
            if (err !== null && err !== undefined) s.fail();
            else if (value === null || value === undefined) s.miss();
            else s.hit();
          } catch {
            // Counting must never change what the application receives.
          }
        }
        return (callback as AnyFunction).apply(this, arguments as unknown as unknown[]) as unknown;
      };
      return original.call(this, key, counted) as unknown;
    };
  }
}
