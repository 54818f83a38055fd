/**
 * django_db_* and django_model_* from mysql2 (callback, promise and pool APIs), with no patch.
 *
 * mysql2 publishes every statement and connection on diagnostics_channel TracingChannels
 * (`mysql2:query`, `mysql2:execute`, `mysql2:connect`): the promise wrapper and pools go
 * through the same connection methods, so one subscriber sees them all, for CommonJS and ES
 * module applications alike, whenever mysql2 is loaded. OpenTelemetry's
 * instrumentation-mysql2 (0.70) records spans only, no metric: durations are timed here,
 * from the channel's start to the statement's end (failures included).
 * mysql2 versions that publish no such channel are not measured (a warning says so once).
 */
import type { Instrumentation, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition as ModuleDefinition,
  InstrumentationNodeModuleFile as ModuleFile,
} from '@opentelemetry/instrumentation';
import { AsyncLocalStorage } from 'node:async_hooks';
import * as dc from 'node:diagnostics_channel';
import { internalError } from '../core/log';
import { markPatched, originalOf, type AnyFunction } from '../core/patch';
import { VERSION } from '../core/version';
import type { MigrationSource, MigrationWatcher } from './migrations';
import type { DatabaseSeries, SqlClientMetrics } from './sql-client';

/** What mysql2 puts in a statement's channel context (and the channel adds: error, result). */
interface StatementContext {
  query?: unknown;
  database?: unknown;
  error?: unknown;
  [SERIES]?: DatabaseSeries;
  [STARTED]?: bigint;
  [SETTLED]?: true;
}

interface ConnectContext {
  database?: unknown;
  error?: unknown;
  [SERIES]?: DatabaseSeries;
}

const SERIES = Symbol('autoprom.mysql2.series');
const STARTED = Symbol('autoprom.mysql2.started');
const SETTLED = Symbol('autoprom.mysql2.settled');

/** The `alias` label: the connection's database (mysql2 gives '' when none is selected). */
export function mysqlAlias(database: unknown): string {
  return typeof database === 'string' && database !== '' ? database : 'unknown';
}

/** Set while autoprom runs its own statements (migration reads): its subscriber skips them. */
const ownStatements = new AsyncLocalStorage<true>();

/** The database a mysql2 connection or pool configuration names (`database`, or a URI's path). */
export function mysqlConfigAlias(config: unknown): string {
  let database: unknown;
  if (typeof config === 'string') database = uriDatabase(config);
  else if (typeof config === 'object' && config !== null) {
    const c = config as { database?: unknown; uri?: unknown };
    database = c.database ?? (typeof c.uri === 'string' ? uriDatabase(c.uri) : undefined);
  }
  return mysqlAlias(database);
}

function uriDatabase(uri: string): string | undefined {
  try {
    return decodeURIComponent(new URL(uri).pathname.slice(1)) || undefined;
  } catch {
    return undefined;
  }
}

type Factory = (config: unknown) => {
  query(sql: string, cb: (err: unknown, rows: unknown) => void): unknown;
  end(cb?: () => void): unknown;
};

/**
 * The configurations the application creates connections and pools with (mysql2's channels do not
 * carry the password), so that the migration gauges can open autoprom's own connection.
 */
export class Mysql2Configs {
  private readonly byAlias = new Map<string, { factory: Factory; config: unknown }>();

  /** The replacement of `lib/create_connection.js` or `lib/create_pool.js` (both a function of one config). */
  wrapFactory(module: unknown): unknown {
    if (typeof module !== 'function' || originalOf(module) !== module) return module;
    const factory = module as AnyFunction;
    const self = this;
    return markPatched(function create(this: unknown, config: unknown, ...rest: unknown[]) {
      try {
        const alias = mysqlConfigAlias(config);
        if (!self.byAlias.has(alias) && self.byAlias.size < 100) self.byAlias.set(alias, { factory: factory as Factory, config });
      } catch (err) {
        internalError('reading a mysql2 configuration', err);
      }
      return factory.call(this, config, ...rest) as unknown;
    }, factory);
  }

  /** A migration source for a database the application connected to, when its configuration is known. */
  source(alias: string): MigrationSource | undefined {
    const known = this.byAlias.get(alias);
    if (known === undefined) return undefined;
    return {
      vendor: 'mysql',
      alias,
      open: () =>
        ownStatements.run(true, () => {
          // A pool's configuration opens a pool (its options are not a connection's); either answers query and end.
          const own = known.factory(known.config);
          return Promise.resolve({
            query: (sql: string) =>
              ownStatements.run(
                true,
                () =>
                  new Promise<Array<Record<string, unknown>>>((resolve, reject) =>
                    own.query(sql, (err, rows) => (err ? reject(err as Error) : resolve(rows as Array<Record<string, unknown>>))),
                  ),
              ),
            close: () => new Promise<void>((resolve) => own.end(() => resolve())),
          });
        }),
    };
  }
}

/** The module hooks that learn mysql2's configurations (only when the migration gauges are on). */
export function createMysql2ConfigInstrumentation(configs: Mysql2Configs): Instrumentation {
  class Mysql2ConfigInstrumentation extends InstrumentationBase {
    constructor() {
      super('autoprom-mysql2-config', VERSION, {});
    }

    protected override init(): InstrumentationNodeModuleDefinition[] {
      const file = (name: string) =>
        new ModuleFile(
          name,
          ['>=3.0.0 <4'],
          (m: unknown) => configs.wrapFactory(m),
          () => undefined,
        );
      return [
        new ModuleDefinition('mysql2', ['>=3.0.0 <4'], undefined, undefined, [
          file('mysql2/lib/create_connection.js'),
          file('mysql2/lib/create_pool.js'),
        ]),
      ];
    }
  }
  return new Mysql2ConfigInstrumentation();
}

/** Subscribers of one SqlClientMetrics to mysql2's channels; `stop()` unsubscribes them. */
export class Mysql2Subscriber {
  // Only the events read are subscribed: a sub-channel with no subscriber costs mysql2 nothing to publish.
  private readonly statementHandlers: Partial<dc.TracingChannelSubscribers<StatementContext>>;
  private readonly connectHandlers: Partial<dc.TracingChannelSubscribers<ConnectContext>>;

  constructor(
    private readonly metrics: SqlClientMetrics,
    private readonly migrations?: { watcher: MigrationWatcher; configs: Mysql2Configs },
  ) {
    this.statementHandlers = {
      start: (ctx) => this.statementStarted(ctx),
      end: (ctx) => {
        // A synchronous throw (bad arguments) ends the statement here; async outcomes arrive at asyncStart.
        if (ctx.error !== undefined) this.statementSettled(ctx);
      },
      asyncStart: (ctx) => this.statementSettled(ctx),
    };
    this.connectHandlers = {
      start: (ctx) => this.connectStarted(ctx),
      asyncStart: (ctx) => this.connectSettled(ctx),
    };
  }

  /** Whether this Node has TracingChannels at all (Node >= 19.9). */
  static available(): boolean {
    return typeof dc.tracingChannel === 'function';
  }

  start(): void {
    for (const name of ['mysql2:query', 'mysql2:execute'])
      dc.tracingChannel<unknown, StatementContext>(name).subscribe(
        this.statementHandlers as dc.TracingChannelSubscribers<StatementContext>,
      );
    dc.tracingChannel<unknown, ConnectContext>('mysql2:connect').subscribe(
      this.connectHandlers as dc.TracingChannelSubscribers<ConnectContext>,
    );
  }

  stop(): void {
    for (const name of ['mysql2:query', 'mysql2:execute'])
      dc.tracingChannel<unknown, StatementContext>(name).unsubscribe(
        this.statementHandlers as dc.TracingChannelSubscribers<StatementContext>,
      );
    dc.tracingChannel<unknown, ConnectContext>('mysql2:connect').unsubscribe(
      this.connectHandlers as dc.TracingChannelSubscribers<ConnectContext>,
    );
  }

  private statementStarted(ctx: StatementContext): void {
    try {
      if (this.migrations !== undefined && ownStatements.getStore() === true) return;
      const series = this.metrics.database(mysqlAlias(ctx.database));
      ctx[SERIES] = series;
      ctx[STARTED] = process.hrtime.bigint();
      series.statementSent();
    } catch (err) {
      internalError('counting a mysql2 statement', err);
    }
  }

  private statementSettled(ctx: StatementContext): void {
    try {
      const series = ctx[SERIES];
      const started = ctx[STARTED];
      if (series === undefined || started === undefined || ctx[SETTLED] === true) return;
      ctx[SETTLED] = true;
      series.statementTook(Number(process.hrtime.bigint() - started) / 1e9);
      if (ctx.error !== undefined && ctx.error !== null) series.statementFailed(ctx.error);
      else series.statementSucceeded(typeof ctx.query === 'string' ? ctx.query : undefined);
    } catch (err) {
      internalError('reading a mysql2 statement outcome', err);
    }
  }

  private connectStarted(ctx: ConnectContext): void {
    try {
      if (this.migrations !== undefined && ownStatements.getStore() === true) return;
      const series = this.metrics.database(mysqlAlias(ctx.database));
      ctx[SERIES] = series;
      series.connectionAttempted();
    } catch (err) {
      internalError('counting a mysql2 connection', err);
    }
  }

  private connectSettled(ctx: ConnectContext): void {
    try {
      const series = ctx[SERIES];
      if (series === undefined) return;
      if (ctx.error !== undefined && ctx.error !== null) series.connectionFailed();
      else if (this.migrations !== undefined) {
        const source = this.migrations.configs.source(series.alias);
        if (source !== undefined) this.migrations.watcher.connected(source);
      }
    } catch (err) {
      internalError('reading a mysql2 connection outcome', err);
    }
  }
}
