/**
 * django_db_* and django_model_* from pg and pg-pool, with no application code.
 *
 * Everything is recorded here, statement durations included (django_db_query_duration_seconds,
 * into autoprom's pre-bound series: OpenTelemetry's instrumentation-pg cost about 4.5 µs per
 * statement, a third of pg's own client-side work, and loaded seven modules at startup). It
 * patches the prototypes that every way of talking to pg goes through:
 * - `Client.prototype.connect`: connection attempts and failures (pool-created clients too:
 *   pg-pool connects them with it);
 * - `Client.prototype.query`: statements, counted and timed from when the application issues
 *   them (`pool.query` arrives here, promise, callback and submittable styles alike);
 * - `Query.prototype.handleError` / `handleReadyForQuery`: the outcome of each statement,
 *   read where pg itself settles it. No statement callback is wrapped and no statement
 *   promise is chained: the application's promise stays exactly the one pg made (an
 *   unhandled rejection stays unhandled, a stack stays as it was), and promise-style
 *   failures are seen with their SQLSTATE; the duration ends there too.
 * pg-pool is patched only to know the pools, read at collection time for the pool gauges.
 * An application that brings its own instrumentation-pg keeps it (its wrappers and these stack
 * in the order their hooks run).
 */
import type { BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { family, type GaugeName } from '../catalogue';
import type { AreaContext } from '../core/area';
import { couldNotInstrument, internalError, warn } from '../core/log';
import { moduleExportsOf, originalOf, patchMethod, unpatchMethod, type AnyFunction } from '../core/patch';
import { VERSION } from '../core/version';
import { exposedName } from '../core/registry';
import type { MigrationSource, MigrationWatcher } from './migrations';
import { databaseLabel, type DatabaseSeries, type SqlClientMetrics } from './sql-client';

/** Meter (and instrumentation) name of autoprom's pg instrumentation: its pool gauges are recorded there. */
export const AUTOPROM_PG_METER = 'autoprom-pg';

const SUPPORTED_PG = ['>=8.0.3 <9'];
const SUPPORTED_PG_POOL = ['>=2.0.0 <4'];

/** The series of a client, kept on its Connection object (which Query outcome handlers receive). */
const SERIES = Symbol('autoprom.db.series');
/** A Query whose outcome has been counted (pg can settle a timed-out query twice). */
const SETTLED = Symbol('autoprom.db.settled');
/** When the statement was issued (process.hrtime.bigint()). */
const STARTED = Symbol('autoprom.db.started');
/** The database a pool's clients connect to, once one of them has. */
const POOL_ALIAS = Symbol('autoprom.db.poolAlias');

interface ConnectionLike {
  parsedStatements?: Record<string, string>;
  [SERIES]?: DatabaseSeries;
}

interface ClientLike {
  database?: unknown;
  connectionParameters?: { database?: unknown };
  connection?: ConnectionLike;
}

/** The function a chain of wrappers ends in: autoprom's (originalOf), then shimmer's (`__original`, instrumentation-pg). */
function innermost(fn: unknown): AnyFunction | undefined {
  let f = originalOf(fn) as (AnyFunction & { __original?: unknown }) | undefined;
  while (typeof f?.__original === 'function') f = f.__original as AnyFunction & { __original?: unknown };
  return typeof f === 'function' ? f : undefined;
}

interface QueryLike {
  submit?: unknown;
  callback?: unknown;
  text?: unknown;
  name?: unknown;
  _canceledDueToError?: unknown;
  [SETTLED]?: true | undefined;
  [STARTED]?: bigint;
}

/** pg 8's Client queues: a statement waits in `_queryQueue`, is `_activeQuery` while it runs (or in `_sentQueryQueue` when pipelined). */
interface PgClientQueues {
  _queryQueue?: QueryLike[];
  _sentQueryQueue?: QueryLike[];
  _activeQuery?: QueryLike | null;
}

/** The statement a client took last: the newest one waiting, else the newest sent, else the running one. */
function newestQuery(client: PgClientQueues): QueryLike | undefined {
  const waiting = client._queryQueue;
  if (waiting !== undefined && waiting.length > 0) return waiting[waiting.length - 1];
  const sent = client._sentQueryQueue;
  if (sent !== undefined && sent.length > 0) return sent[sent.length - 1];
  return client._activeQuery ?? undefined;
}

interface PoolLike {
  options?: { database?: unknown; connectionString?: unknown; user?: unknown; max?: unknown };
  totalCount?: unknown;
  idleCount?: unknown;
  waitingCount?: unknown;
  ending?: unknown;
  ended?: unknown;
  _clients?: ClientLike[];
  [POOL_ALIAS]?: string;
}

/** The `alias` label of a client: the database it talks to (pg resolves defaults: PGDATABASE, the user). */
export function clientAlias(client: ClientLike): string {
  return databaseLabel(client.database ?? client.connectionParameters?.database);
}

/** The database a pool's clients will use, from its options, before any client exists. */
export function poolOptionsAlias(options: PoolLike['options'], env: NodeJS.ProcessEnv = process.env): string {
  if (typeof options?.database === 'string' && options.database !== '') return databaseLabel(options.database);
  if (typeof options?.connectionString === 'string') {
    try {
      const path = decodeURIComponent(new URL(options.connectionString).pathname.slice(1));
      if (path !== '') return databaseLabel(path);
    } catch {
      // Not a URL (a socket directory, say): fall through to pg's defaults.
    }
  }
  const fallback = env.PGDATABASE ?? (typeof options?.user === 'string' ? options.user : undefined) ?? env.PGUSER;
  return databaseLabel(fallback);
}

/** State and patches of autoprom's pg instrumentation (the instrumentation class itself is a thin shell, below). */
export class PgPatcher {
  /** Pools seen, read at collection time; weak so that a dropped pool is not kept alive. */
  private readonly pools = new Set<WeakRef<PoolLike>>();
  private readonly poolsSeen = new WeakSet<PoolLike>();
  /** Aliases ever reported: one whose pools have all ended reads 0 (the SDK would repeat its last value). */
  private readonly poolAliases = new Set<string>();

  constructor(
    private readonly metrics: SqlClientMetrics,
    private readonly namespace: string,
    private readonly migrations?: MigrationWatcher,
  ) {}

  /**
   * A database the application connected to: the migration gauges read it on autoprom's own
   * client with the same connection parameters, through pg's unwrapped connect and query
   * (so neither autoprom nor instrumentation-pg measures it).
   */
  private watchMigrations(client: ClientLike): void {
    if (this.migrations === undefined) return;
    const Client = (client as { constructor?: unknown }).constructor as (new (config: unknown) => unknown) & {
      prototype: Record<string, unknown>;
    };
    const params = client.connectionParameters;
    const connect = innermost(Client?.prototype?.connect);
    const query = innermost(Client?.prototype?.query);
    const end = innermost(Client?.prototype?.end);
    if (params === undefined || connect === undefined || query === undefined || end === undefined) return;
    const source: MigrationSource = {
      vendor: 'postgresql',
      alias: clientAlias(client),
      open: async () => {
        const own = new Client({ ...params });
        await (connect.call(own) as Promise<void>);
        return {
          query: async (sql: string) => (await (query.call(own, sql) as Promise<{ rows: Array<Record<string, unknown>> }>)).rows,
          close: () => end.call(own) as Promise<void>,
        };
      },
    };
    this.migrations.connected(source);
  }

  /** Pool gauges, observed at collection time (nothing is recorded as connections come and go). */
  registerPoolGauges(meter: Meter): void {
    const name = (row: GaugeName) => exposedName(family(row), this.namespace);
    const connections = meter.createObservableGauge(name('django_db_pool_connections'), {
      description: family('django_db_pool_connections').help,
    });
    const pending = meter.createObservableGauge(name('django_db_pool_pending_requests'), {
      description: family('django_db_pool_pending_requests').help,
    });
    const max = meter.createObservableGauge(name('django_db_pool_max_connections'), {
      description: family('django_db_pool_max_connections').help,
    });
    meter.addBatchObservableCallback((result) => this.observePools(result, connections, pending, max), [connections, pending, max]);
  }

  private observePools(result: BatchObservableResult, connections: Observable, pending: Observable, max: Observable): void {
    try {
      const byAlias = new Map<string, { used: number; idle: number; pending: number; max: number }>();
      for (const ref of this.pools) {
        const pool = ref.deref();
        if (pool === undefined || pool.ended === true) {
          this.pools.delete(ref);
          continue;
        }
        const alias = this.poolAlias(pool);
        const total = Number(pool.totalCount) || 0;
        const idle = Number(pool.idleCount) || 0;
        const sum = byAlias.get(alias) ?? { used: 0, idle: 0, pending: 0, max: 0 };
        sum.used += Math.max(0, total - idle);
        sum.idle += idle;
        sum.pending += Number(pool.waitingCount) || 0;
        sum.max += Number(pool.options?.max) || 0;
        byAlias.set(alias, sum);
      }
      for (const alias of byAlias.keys()) {
        if (this.poolAliases.size < this.metrics.cardinalityLimit) this.poolAliases.add(alias);
      }
      for (const alias of this.poolAliases) {
        if (!byAlias.has(alias)) byAlias.set(alias, { used: 0, idle: 0, pending: 0, max: 0 });
      }
      for (const [alias, s] of byAlias) {
        const vendor = this.metrics.vendor;
        result.observe(connections, s.used, { alias, vendor, state: 'used' });
        result.observe(connections, s.idle, { alias, vendor, state: 'idle' });
        result.observe(pending, s.pending, { alias, vendor });
        result.observe(max, s.max, { alias, vendor });
      }
    } catch (err) {
      internalError('reading pg pools', err, 'pool gauges may be incomplete');
    }
  }

  private poolAlias(pool: PoolLike): string {
    const known = pool[POOL_ALIAS];
    if (known !== undefined) return known;
    const client = Array.isArray(pool._clients) ? pool._clients[0] : undefined;
    if (client !== undefined) {
      const alias = clientAlias(client);
      pool[POOL_ALIAS] = alias;
      return alias;
    }
    return poolOptionsAlias(pool.options);
  }

  private seriesOf(client: ClientLike): DatabaseSeries | undefined {
    const con = client.connection;
    let s = con?.[SERIES];
    if (s === undefined) {
      s = this.metrics.database(clientAlias(client));
      if (con !== undefined && con !== null && typeof con === 'object') con[SERIES] = s;
    }
    return s;
  }

  patchPg(module: unknown): unknown {
    try {
      const pg = moduleExportsOf(module);
      const Client = pg?.Client as { prototype?: Record<string, unknown> } | undefined;
      const Query = pg?.Query as { prototype?: Record<string, unknown> } | undefined;
      if (Client?.prototype === undefined || Query?.prototype === undefined) {
        warn('pg has no Client or Query export: database metrics off');
        return module;
      }
      const self = this;
      patchMethod(
        Client.prototype,
        'connect',
        (original) =>
          function connect(this: unknown, ...args: unknown[]) {
            const series = self.attempt(this as ClientLike);
            const callback = args[0];
            if (series === undefined) return original.apply(this, args);
            if (typeof callback === 'function') {
              // Callback style: pg calls it exactly once with the outcome.
              const client = this as ClientLike;
              args[0] = function connectCallback(this: unknown, err: unknown, ...rest: unknown[]) {
                if (err) self.connectFailed(series);
                else self.connected(client);
                return (callback as AnyFunction).call(this, err, ...rest);
              };
              return original.apply(this, args);
            }
            const result = original.apply(this, args) as Promise<unknown> | undefined;
            if (result === undefined || result === null || typeof result.then !== 'function') return result;
            // Promise style: the application gets a promise that settles exactly as pg's does (a
            // rejection it does not handle is still reported as unhandled, with the same error).
            const client = this as ClientLike;
            return result.then(
              (value: unknown) => {
                self.connected(client);
                return value;
              },
              (err: unknown) => {
                self.connectFailed(series);
                throw err;
              },
            );
          },
      );
      patchMethod(
        Client.prototype,
        'query',
        (original) =>
          function query(this: unknown, ...args: unknown[]) {
            let started: bigint | undefined;
            let client: PgClientQueues | undefined;
            let before: QueryLike | undefined;
            try {
              self.seriesOf(this as ClientLike)?.statementSent();
              started = process.hrtime.bigint();
              const submittable = args[0] as QueryLike | undefined;
              if (typeof submittable?.submit === 'function') {
                // A Query object submitted again settles again, and is timed again.
                if (submittable[SETTLED] === true) submittable[SETTLED] = undefined;
                submittable[STARTED] = started;
                started = undefined;
              } else {
                client = this as PgClientQueues;
                before = newestQuery(client);
              }
            } catch (err) {
              internalError('counting a pg statement', err);
            }
            const result = original.apply(this, args);
            if (started !== undefined && client !== undefined) {
              try {
                // pg made the Query inside: it is now the newest one queued, sent or active.
                const made = newestQuery(client);
                if (made !== undefined && made !== before && made[STARTED] === undefined) made[STARTED] = started;
              } catch (err) {
                internalError('timing a pg statement', err);
              }
            }
            return result;
          },
      );
      patchMethod(
        Query.prototype,
        'handleError',
        (original) =>
          function handleError(this: unknown, err: unknown, con: unknown, ...rest: unknown[]) {
            self.settled(this as QueryLike, con as ConnectionLike, (this as QueryLike)._canceledDueToError || err);
            return original.call(this, err, con, ...rest);
          },
      );
      patchMethod(
        Query.prototype,
        'handleReadyForQuery',
        (original) =>
          function handleReadyForQuery(this: unknown, con: unknown, ...rest: unknown[]) {
            // A row that failed to parse turns into handleError (counted there).
            if (!(this as QueryLike)._canceledDueToError) self.settled(this as QueryLike, con as ConnectionLike, undefined);
            return original.call(this, con, ...rest);
          },
      );
    } catch (err) {
      couldNotInstrument('pg', 'database metrics off', err);
    }
    return module;
  }

  unpatchPg(module: unknown): void {
    const pg = moduleExportsOf(module);
    const Client = pg?.Client as { prototype?: Record<string, unknown> } | undefined;
    const Query = pg?.Query as { prototype?: Record<string, unknown> } | undefined;
    if (Client?.prototype !== undefined) for (const m of ['connect', 'query']) unpatchMethod(Client.prototype, m);
    if (Query?.prototype !== undefined) for (const m of ['handleError', 'handleReadyForQuery']) unpatchMethod(Query.prototype, m);
  }

  patchPool(module: unknown): unknown {
    try {
      const Pool = moduleExportsOf(module) as unknown as { prototype?: Record<string, unknown> } | undefined;
      if (Pool?.prototype === undefined) return module;
      const self = this;
      patchMethod(
        Pool.prototype,
        'connect',
        (original) =>
          function connect(this: unknown, ...args: unknown[]) {
            self.seePool(this as PoolLike);
            return original.apply(this, args);
          },
      );
    } catch (err) {
      couldNotInstrument('pg-pool', 'pool gauges off', err);
    }
    return module;
  }

  unpatchPool(module: unknown): void {
    const Pool = moduleExportsOf(module) as unknown as { prototype?: Record<string, unknown> } | undefined;
    if (Pool?.prototype !== undefined) unpatchMethod(Pool.prototype, 'connect');
  }

  private seePool(pool: PoolLike): void {
    try {
      if (this.poolsSeen.has(pool)) return;
      this.poolsSeen.add(pool);
      // Collections prune ended pools; with no reader collecting, an app making pool after pool would grow this set.
      if (this.pools.size >= 1000) {
        for (const ref of this.pools) {
          const p = ref.deref();
          if (p === undefined || p.ended === true) this.pools.delete(ref);
        }
      }
      this.pools.add(new WeakRef(pool));
    } catch {
      // A pool that cannot be tracked only misses the gauges.
    }
  }

  /** Counts a connection attempt; the series to count its failure on. */
  private attempt(client: ClientLike): DatabaseSeries | undefined {
    try {
      const s = this.seriesOf(client);
      s?.connectionAttempted();
      return s;
    } catch (err) {
      internalError('counting a pg connection', err);
      return undefined;
    }
  }

  private connectFailed(series: DatabaseSeries): void {
    series.connectionFailed();
  }

  private connected(client: ClientLike): void {
    try {
      this.watchMigrations(client);
    } catch (err) {
      internalError('watching pg migrations', err);
    }
  }

  /** One statement settled: its error type, or (success) the model rows its SQL names. */
  private settled(query: QueryLike, con: ConnectionLike | undefined, err: unknown): void {
    try {
      if (query[SETTLED] === true) return;
      query[SETTLED] = true;
      const series = con?.[SERIES];
      if (series === undefined) return; // a Query run outside Client.prototype.query (never counted as executed)
      const started = query[STARTED];
      if (started !== undefined) {
        query[STARTED] = undefined;
        series.statementTook(Number(process.hrtime.bigint() - started) / 1e9);
      }
      if (err !== undefined) {
        series.statementFailed(err);
        return;
      }
      // A prepared statement run again by name alone: the connection remembers its text.
      let text = query.text;
      if (typeof text !== 'string' && typeof query.name === 'string') text = con?.parsedStatements?.[query.name];
      series.statementSucceeded(typeof text === 'string' ? text : undefined);
    } catch (e) {
      internalError('reading a pg statement outcome', e);
    }
  }
}

/** autoprom's pg instrumentation. */
export function createPgMetricsInstrumentation(
  ctx: AreaContext,
  metrics: SqlClientMetrics,
  migrations?: MigrationWatcher,
): Instrumentation {
  const runtime = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const patcher = new PgPatcher(metrics, ctx.config.namespace, migrations);
  class PgMetricsInstrumentation extends runtime.InstrumentationBase {
    constructor() {
      super(AUTOPROM_PG_METER, VERSION, {});
    }

    protected override init(): InstrumentationNodeModuleDefinition[] {
      return [
        new runtime.InstrumentationNodeModuleDefinition(
          'pg',
          SUPPORTED_PG,
          (m: unknown) => patcher.patchPg(m),
          (m: unknown) => patcher.unpatchPg(m),
        ),
        new runtime.InstrumentationNodeModuleDefinition(
          'pg-pool',
          SUPPORTED_PG_POOL,
          (m: unknown) => patcher.patchPool(m),
          (m: unknown) => patcher.unpatchPool(m),
        ),
      ];
    }

    protected override _updateMetricInstruments(): void {
      // The base constructor calls this with the global meter; setMeterProvider calls it again.
      patcher.registerPoolGauges(this.meter);
    }
  }
  return new PgMetricsInstrumentation();
}
