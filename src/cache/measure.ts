/**
 * `measureCache(cache, backend)`: django_cache_* for any cache whose `get` returns a value
 * or a promise (a Map, lru-cache, node-cache, keyv…). null/undefined is a miss, a throw
 * or a rejection a failure. A batch read (`get([...])` answered with an array, `getMany`,
 * `mget`) counts each key.
 */
import { errorText, warn } from '../core/log';
import type { CacheSeries } from './cache-client';
import type { ReadTally } from './reads';

const MEASURED = Symbol.for('autoprom.measureCache');

type Getter = (...args: unknown[]) => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Batch-read methods measured beside `get` when the cache has them: each key counts. */
const BATCH_METHODS = ['getMany', 'mget'] as const;

/**
 * Hits and misses of a batch read of `keys`: an array reply has one slot per key (keyv's
 * `get([...])` and `getMany`), a Map or an object reply holds the keys found (node-cache's `mget`).
 */
export function tallyBatchReply(keys: readonly unknown[], reply: unknown): ReadTally {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    let v: unknown;
    if (Array.isArray(reply)) v = reply[i];
    else if (reply instanceof Map) v = reply.get(keys[i]);
    else if (typeof reply === 'object' && reply !== null && Object.prototype.hasOwnProperty.call(reply, String(keys[i])))
      v = (reply as Record<string, unknown>)[String(keys[i])];
    if (v !== null && v !== undefined) hits++;
  }
  return { hits, misses: keys.length - hits, fails: 0 };
}

/**
 * What a read reply counts: `get(key)` is one read; `get([k1, k2])` answered with an array,
 * and any reply of a batch method, count each key.
 */
export function tallyRead(method: string, firstArg: unknown, reply: unknown): ReadTally {
  const batch = method !== 'get' || (Array.isArray(firstArg) && Array.isArray(reply));
  if (batch) return tallyBatchReply(Array.isArray(firstArg) ? firstArg : [firstArg], reply);
  return reply === null || reply === undefined ? { hits: 0, misses: 1, fails: 0 } : { hits: 1, misses: 0, fails: 0 };
}

/** Reads a failed call stood for: each key of an array argument, else one. */
export function keysOfCall(firstArg: unknown): number {
  return Array.isArray(firstArg) && firstArg.length > 0 ? firstArg.length : 1;
}

/** The measured methods of one cache: a call made from inside another (keyv's get([...]) calls getMany) is not counted again. */
interface MeasuredCache {
  resolveSeries: () => CacheSeries | undefined;
  depth: number;
}

/** `method` of a cache, counting its reads into the cache's series (none yet: not counted). */
function measured(original: Getter, method: string, state: MeasuredCache): Getter {
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const s = state.depth === 0 ? state.resolveSeries() : undefined;
    if (s === undefined) return Reflect.apply(original, this, args);
    const first = args[0];
    let result: unknown;
    state.depth++;
    try {
      result = Reflect.apply(original, this, args);
    } catch (err) {
      s.fail(keysOfCall(first));
      throw err;
    } finally {
      state.depth--;
    }
    if (isThenable(result)) {
      // A promise derived from the application's: it settles the same way, and a rejection the
      // application ignores is still an unhandled rejection, exactly as without autoprom.
      try {
        return result.then(
          (value) => {
            s.tally(tallyRead(method, first, value));
            return value;
          },
          (err: unknown) => {
            s.fail(keysOfCall(first));
            throw err;
          },
        );
      } catch {
        // A thenable whose then() throws is the application's to discover.
        return result;
      }
    }
    s.tally(tallyRead(method, first, result));
    return result;
  };
  Object.defineProperty(wrapper, MEASURED, { value: true });
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  return wrapper;
}

/** Put `wrapper` in place of `cache[name]` for this object only; false when the object does not allow it. */
function install(cache: object, name: string, wrapper: Getter): boolean {
  const own = Object.getOwnPropertyDescriptor(cache, name);
  if (own === undefined ? Object.isExtensible(cache) : own.configurable === true) {
    Object.defineProperty(cache, name, { value: wrapper, writable: true, configurable: true, enumerable: own?.enumerable ?? false });
    return true;
  }
  if (own?.writable === true) {
    (cache as Record<string, unknown>)[name] = wrapper;
    return true;
  }
  return false;
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

  const state: MeasuredCache = { resolveSeries, depth: 0 };
  const get = measured(original as Getter, 'get', state);
  // Batch reads beside get(): keyv's getMany, node-cache's and cache-manager's mget.
  const batches: Array<[string, Getter]> = [];
  for (const name of BATCH_METHODS) {
    const m = (cache as Record<string, unknown>)[name];
    if (typeof m === 'function' && (m as { [MEASURED]?: true })[MEASURED] !== true)
      batches.push([name, measured(m as Getter, name, state)]);
  }

  if (install(cache, 'get', get)) {
    for (const [name, wrapper] of batches) install(cache, name, wrapper);
    return cache;
  }
  const own = Object.getOwnPropertyDescriptor(cache, 'get');
  if (own !== undefined) {
    warn(`measureCache("${backend}"): get() is frozen on this object; it is not measured`);
    return cache;
  }
  // A frozen object with an inherited get(): a Proxy whose methods run on the target, as before.
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(cache, {
    get(target, prop) {
      const wrapper = prop === 'get' ? get : batches.find(([name]) => name === prop)?.[1];
      if (wrapper !== undefined) {
        let g = bound.get(prop);
        if (g === undefined) bound.set(prop, (g = (...args: unknown[]) => Reflect.apply(wrapper, target, args)));
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
