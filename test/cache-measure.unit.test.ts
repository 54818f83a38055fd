import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { measureCache } from '../src/api';
import { measureCacheInto } from '../src/cache/measure';
import { cacheSeries } from '../src/cache/cache-client';
import { Registry } from '../src/core/registry';

const FAMILIES = [
  'django_cache_get_total',
  'django_cache_get_hits_total',
  'django_cache_get_misses_total',
  'django_cache_get_fail_total',
] as const;

function fresh(limit = 2000): { registry: Registry; counts: (backend: string) => number[] } {
  const registry = new Registry({ namespace: '', cardinalityLimit: limit, latencyBuckets: [1] });
  const counts = (backend: string) => FAMILIES.map((f) => registry.counter(f).series.get(backend)?.value ?? 0);
  return { registry, counts };
}

describe('measureCache (unit)', () => {
  it('a backend name longer than 100 characters is cut to its first 100 in the label', () => {
    const { registry, counts } = fresh();
    const long = `${'a'.repeat(100)}${'b'.repeat(200)}`;
    const measured = measureCacheInto(new Map([['k', 1]]), long, () => cacheSeries(registry, long));
    measured.get('k');
    measured.get('missing');
    assert.deepEqual(counts('a'.repeat(100)), [2, 1, 1, 0]);
    assert.deepEqual([...registry.counter('django_cache_get_total').series.keys()], ['a'.repeat(100)]);
  });

  it('a Map: hits, misses (undefined), and the Map is the same object, methods and instanceof intact', () => {
    const { registry, counts } = fresh();
    const map = new Map<string, unknown>([
      ['a', 1],
      ['zero', 0],
      ['null', null],
    ]);
    const measured = measureCacheInto(map, 'locmem', () => cacheSeries(registry, 'locmem'));
    assert.equal(measured, map);
    assert.ok(measured instanceof Map);
    assert.equal(measured.get('a'), 1);
    assert.equal(measured.get('zero'), 0);
    assert.equal(measured.get('b'), undefined);
    assert.equal(measured.get('null'), null);
    assert.deepEqual(counts('locmem'), [4, 2, 2, 0]);
    assert.equal(measured.set('c', 3), map, 'set still returns the Map');
    assert.equal(measured.size, 4);
    assert.deepEqual([...measured.keys()], ['a', 'zero', 'null', 'c']);
    assert.deepEqual(Object.keys(measured), [], 'no enumerable property added');
    assert.equal(
      JSON.stringify([...measured]),
      JSON.stringify([
        ['a', 1],
        ['zero', 0],
        ['null', null],
        ['c', 3],
      ]),
    );
  });

  it('a promise-returning get: resolved value counts when it settles, and the caller gets it unchanged', async () => {
    const { registry, counts } = fresh();
    const store = new Map<string, string>([['k', 'v']]);
    const kv = {
      prefix: 'p:',
      get(this: { prefix: string }, key: string) {
        assert.equal(this.prefix, 'p:', 'this is the object itself');
        return Promise.resolve(store.get(key));
      },
    };
    const measured = measureCacheInto(kv, 'keyv', () => cacheSeries(registry, 'keyv'));
    const p = measured.get('k');
    assert.ok(p instanceof Promise);
    assert.equal(await p, 'v');
    assert.equal(await measured.get('nope'), undefined);
    assert.deepEqual(counts('keyv'), [2, 1, 1, 0]);
  });

  it('a rejection is a failure and reaches the caller as the very same error', async () => {
    const { registry, counts } = fresh();
    const boom = new TypeError('backend down');
    const c = { get: () => Promise.reject(boom) };
    const measured = measureCacheInto(c, 'remote', () => cacheSeries(registry, 'remote'));
    await assert.rejects(measured.get() as Promise<unknown>, (err) => err === boom);
    await assert.rejects(measured.get() as Promise<unknown>, (err) => err === boom);
    assert.deepEqual(counts('remote'), [2, 0, 0, 2]);
  });

  it('a rejection the application ignores is still an unhandled rejection', async () => {
    const { registry } = fresh();
    const boom = new TypeError('nobody listens');
    const c = { get: () => Promise.reject(boom) };
    const measured = measureCacheInto(c, 'remote', () => cacheSeries(registry, 'remote'));
    const seen: unknown[] = [];
    const listener = (reason: unknown) => seen.push(reason);
    const others = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', listener);
    try {
      void measured.get();
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      process.off('unhandledRejection', listener);
      for (const l of others) process.on('unhandledRejection', l);
    }
    assert.deepEqual(seen, [boom]);
  });

  it('a throwing get is a failure and the very same error is re-thrown', () => {
    const { registry, counts } = fresh();
    const boom = new RangeError('nope');
    const c = {
      get: (): unknown => {
        throw boom;
      },
    };
    const measured = measureCacheInto(c, 'x', () => cacheSeries(registry, 'x'));
    assert.throws(
      () => measured.get(),
      (err) => err === boom,
    );
    assert.deepEqual(counts('x'), [1, 0, 0, 1]);
  });

  it('a class instance with private fields and an inherited get: this, instanceof, other methods, events intact', () => {
    const { registry, counts } = fresh();
    class Lru extends EventEmitter {
      #data = new Map<string, number>();
      max = 2;
      set(k: string, v: number): this {
        this.#data.set(k, v);
        return this;
      }
      get(k: string): number | undefined {
        this.emit('get', k);
        return this.#data.get(k);
      }
      get size(): number {
        return this.#data.size;
      }
    }
    const lru = new Lru().set('a', 1);
    let events = 0;
    lru.on('get', () => events++);
    const measured = measureCacheInto(lru, 'lru', () => cacheSeries(registry, 'lru'));
    assert.equal(measured, lru);
    assert.ok(measured instanceof Lru && measured instanceof EventEmitter);
    assert.equal(measured.get('a'), 1);
    assert.equal(measured.get('b'), undefined);
    assert.equal(measured.set('b', 2), lru);
    assert.equal(measured.size, 2);
    assert.equal(measured.max, 2);
    assert.equal(events, 2);
    assert.equal(Lru.prototype.get.name, 'get', 'the prototype is untouched');
    assert.equal(new Lru().get('a'), undefined);
    assert.deepEqual(counts('lru'), [2, 1, 1, 0], 'other instances are not measured');
  });

  it('a frozen object with an inherited get gets a Proxy whose methods run on the target', () => {
    const { registry, counts } = fresh();
    const map = Object.freeze(new Map([['a', 1]]));
    const measured = measureCacheInto(map, 'frozen', () => cacheSeries(registry, 'frozen'));
    assert.ok(measured instanceof Map);
    assert.equal(measured.get('a'), 1);
    assert.equal(measured.has('a'), true);
    assert.equal(measured.size, 1);
    assert.deepEqual(counts('frozen'), [1, 1, 0, 0]);
  });

  it('no-op until autoprom runs, then records; wrapping twice does not count twice', () => {
    const { registry, counts } = fresh();
    let running = false;
    const map = new Map([['a', 1]]);
    const measured = measureCacheInto(map, 'late', () => (running ? cacheSeries(registry, 'late') : undefined));
    assert.equal(measured.get('a'), 1);
    assert.deepEqual(counts('late'), [0, 0, 0, 0]);
    running = true;
    assert.equal(
      measureCacheInto(measured, 'late', () => cacheSeries(registry, 'late')),
      map,
    );
    assert.equal(measured.get('a'), 1);
    assert.deepEqual(counts('late'), [1, 1, 0, 0]);
  });

  it('the public measureCache is a no-op without a running autoprom, and never throws on a non-cache', () => {
    const map = new Map([['a', 1]]);
    assert.equal(measureCache(map, 'locmem'), map);
    assert.equal(map.get('a'), 1);
    const notACache = { size: 1 };
    assert.equal(measureCache(notACache, 'x'), notACache);
  });

  it('backends are bounded by the cardinality limit', () => {
    const { registry } = fresh(3);
    for (let i = 0; i < 10; i++) measureCacheInto(new Map(), `b${i}`, () => cacheSeries(registry, `b${i}`)).get('k');
    const total = registry.counter('django_cache_get_total');
    assert.equal(total.series.size, 2);
    let sum = 0;
    for (const [s] of total.all()) sum += s.value;
    assert.equal(sum, 10);
  });
});

describe('measureCache batch reads (unit)', () => {
  it('keyv: get([...]) and getMany count each key once (get([...]) calls getMany inside)', async () => {
    const { registry, counts } = fresh();
    // Real keyv, in memory.
    const { Keyv } = await import('keyv');
    const kv = measureCacheInto(new Keyv(), 'keyv', () => cacheSeries(registry, 'keyv'));
    await kv.set('a', 'x');
    await kv.set('c', 'z');
    assert.deepEqual(await kv.get(['a', 'b', 'c']), ['x', undefined, 'z']);
    assert.deepEqual(counts('keyv'), [3, 2, 1, 0]);
    assert.deepEqual(await kv.getMany(['a', 'b']), ['x', undefined]);
    assert.deepEqual(counts('keyv'), [5, 3, 2, 0]);
    assert.equal(await kv.get('a'), 'x');
    assert.deepEqual(counts('keyv'), [6, 4, 2, 0]);
  });

  it('an mget-style method: synchronous object replies, throws fail each key, other methods untouched', () => {
    const { registry, counts } = fresh();
    const data = new Map<string, number>([['a', 1]]);
    const nodeCacheLike = {
      get: (k: string) => data.get(k),
      mget(keys: string[]): Record<string, number> {
        if (keys.includes('boom')) throw new Error('down');
        const out: Record<string, number> = {};
        for (const k of keys) if (data.has(k)) out[k] = data.get(k)!;
        return out;
      },
      keys: () => [...data.keys()],
    };
    const measured = measureCacheInto(nodeCacheLike, 'nodecache', () => cacheSeries(registry, 'nodecache'));
    assert.deepEqual(measured.mget(['a', 'b']), { a: 1 });
    assert.deepEqual(counts('nodecache'), [2, 1, 1, 0]);
    assert.throws(() => measured.mget(['a', 'boom', 'c']), /down/);
    assert.deepEqual(counts('nodecache'), [5, 1, 1, 3]);
    assert.deepEqual(measured.keys(), ['a']);
    assert.deepEqual(counts('nodecache'), [5, 1, 1, 3]);
  });

  it('a rejected batch fails each key; a frozen cache with inherited batch methods is measured through the Proxy', async () => {
    const { registry, counts } = fresh();
    const down = { get: () => Promise.resolve(undefined), getMany: () => Promise.reject(new Error('down')) };
    const m = measureCacheInto(down, 'down', () => cacheSeries(registry, 'down'));
    await assert.rejects(m.getMany(), /down/);
    assert.deepEqual(counts('down'), [1, 0, 0, 1]);
    await assert.rejects((m.getMany as (keys: string[]) => Promise<unknown>)(['a', 'b']), /down/);
    assert.deepEqual(counts('down'), [3, 0, 0, 3]);

    class Store {
      get(k: string): string | undefined {
        return k === 'a' ? 'x' : undefined;
      }
      getMany(keys: string[]): Array<string | undefined> {
        return keys.map((k) => this.get(k));
      }
    }
    const frozen = measureCacheInto(Object.freeze(new Store()), 'frozen', () => cacheSeries(registry, 'frozen'));
    assert.deepEqual(frozen.getMany(['a', 'b', 'a']), ['x', undefined, 'x']);
    assert.deepEqual(counts('frozen'), [3, 2, 1, 0], 'getMany counted once, its inner get() calls not again');
  });
});
