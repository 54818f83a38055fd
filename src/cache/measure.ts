/**
 * `measureCache(cache, backend)`: django_cache_* for any cache whose `get` returns a value
 * or a promise (a Map, lru-cache, node-cache, keyv…). null/undefined is a miss, a throw
 * or a rejection a failure.
 */
import { errorText, warn } from '../core/log';
import type { CacheSeries } from './cache-client';

const MEASURED = Symbol.for('autoprom.measureCache');

type Getter = (...args: unknown[]) => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * `measureCache` recording into the series that `seriesSource` returns, asked on each
 * call until it returns one (undefined: nothing to record into yet).
 */
export function measureCacheInto<T extends object>(cache: T, backend: string, seriesSource: () => CacheSeries | undefined): T {
  const original = (cache as { get?: unknown } | null)?.get;
  if (typeof original !== 'function') {
    warn(`measureCache("${backend}"): the object has no get() method; it is not measured`);
    return cache;
  }
  if ((original as { [MEASURED]?: true })[MEASURED] === true) return cache;

  let series: CacheSeries | undefined;
  const resolveSeries = (): CacheSeries | undefined => {
    if (series === undefined) {
      try {
        series = seriesSource();
      } catch (err) {
        warn(`measureCache("${backend}"): internal error (not measured): ${errorText(err)}`);
      }
    }
    return series;
  };

  const get = function (this: unknown, ...args: unknown[]): unknown {
    const s = resolveSeries();
    if (s === undefined) return Reflect.apply(original as Getter, this, args);
    let result: unknown;
    try {
      result = Reflect.apply(original as Getter, this, args);
    } catch (err) {
      s.fail();
      throw err;
    }
    if (isThenable(result)) {
      // A promise derived from the application's: it settles the same way, and a rejection the
      // application ignores is still an unhandled rejection, exactly as without autoprom.
      try {
        return result.then(
          (value) => {
            if (value === null || value === undefined) s.miss();
            else s.hit();
            return value;
          },
          (err: unknown) => {
            s.fail();
            throw err;
          },
        );
      } catch {
        // A thenable whose then() throws is the application's to discover.
        return result;
      }
    }
    if (result === null || result === undefined) s.miss();
    else s.hit();
    return result;
  };
  Object.defineProperty(get, MEASURED, { value: true });
  Object.defineProperty(get, 'name', { value: (original as Getter).name, configurable: true });
  Object.defineProperty(get, 'length', { value: (original as Getter).length, configurable: true });

  const own = Object.getOwnPropertyDescriptor(cache, 'get');
  if (own === undefined ? Object.isExtensible(cache) : own.configurable === true) {
    Object.defineProperty(cache, 'get', { value: get, writable: true, configurable: true, enumerable: own?.enumerable ?? false });
    return cache;
  }
  if (own?.writable === true) {
    (cache as { get: unknown }).get = get;
    return cache;
  }
  if (own !== undefined) {
    warn(`measureCache("${backend}"): get() is frozen on this object; it is not measured`);
    return cache;
  }
  // A frozen object with an inherited get(): a Proxy whose methods run on the target, as before.
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(cache, {
    get(target, prop) {
      if (prop === 'get') {
        let g = bound.get(prop);
        if (g === undefined) bound.set(prop, (g = (...args: unknown[]) => Reflect.apply(get, target, args)));
        return g;
      }
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      let b = bound.get(prop);
      if (b === undefined) bound.set(prop, (b = (v as Getter).bind(target)));
      return b;
    },
  });
}
