/**
 * The one shape of a cache client instrumentation (ioredis, node-redis, memjs, and
 * `measureCache` the same way). A client file patches its driver and tells the backend's
 * `CacheSeries` one read outcome per key: `hit()`, `miss()`, `fail(keys)`, or a whole batch
 * reply at once with `tally()` (MGET, HMGET, a multi-key get). What counts as a read, and how
 * a reply reads as hits and misses, is in reads.ts (pure, shared). The django_cache_* families,
 * the `backend` label (the client's connection name, else `redis`/`memcached`, cut to 100
 * characters) and their bounds are here, once.
 */
import type { CounterSeries } from '../core/recorder';
import type { Registry } from '../core/registry';
import type { ReadTally } from './reads';

/** The four django_cache_* series of one backend, resolved once. */
export class CacheSeries {
  constructor(
    private readonly total: CounterSeries,
    private readonly hits: CounterSeries,
    private readonly misses: CounterSeries,
    private readonly fails: CounterSeries,
  ) {}

  hit(): void {
    this.total.inc();
    this.hits.inc();
  }

  miss(): void {
    this.total.inc();
    this.misses.inc();
  }

  fail(keys = 1): void {
    this.total.inc(keys);
    this.fails.inc(keys);
  }

  tally(t: ReadTally): void {
    const n = t.hits + t.misses + t.fails;
    if (n === 0) return;
    this.total.inc(n);
    if (t.hits !== 0) this.hits.inc(t.hits);
    if (t.misses !== 0) this.misses.inc(t.misses);
    if (t.fails !== 0) this.fails.inc(t.fails);
  }
}

/** Longest backend label kept (an ioredis connectionName, a measureCache name); longer ones are cut. */
export const MAX_BACKEND_LABEL = 100;

const byRegistry = new WeakMap<Registry, Map<string, CacheSeries>>();

/**
 * The series of `backend` in `registry`. Memoized per backend; past the registry's
 * cardinality limit, new backends share the overflow series and are not memoized.
 */
export function cacheSeries(registry: Registry, backend: string): CacheSeries {
  let memo = byRegistry.get(registry);
  if (memo === undefined) {
    memo = new Map();
    byRegistry.set(registry, memo);
  }
  let s = memo.get(backend);
  if (s !== undefined) return s;
  const label = backend.length > MAX_BACKEND_LABEL ? backend.slice(0, MAX_BACKEND_LABEL) : backend;
  s = new CacheSeries(
    registry.counter('django_cache_get_total').labels(label),
    registry.counter('django_cache_get_hits_total').labels(label),
    registry.counter('django_cache_get_misses_total').labels(label),
    registry.counter('django_cache_get_fail_total').labels(label),
  );
  if (memo.size < registry.options.cardinalityLimit) memo.set(backend, s);
  return s;
}

/** Create the four families up front, so HELP/TYPE are exposed before the first read. */
export function declareCacheFamilies(registry: Registry): void {
  registry.counter('django_cache_get_total');
  registry.counter('django_cache_get_hits_total');
  registry.counter('django_cache_get_misses_total');
  registry.counter('django_cache_get_fail_total');
}
