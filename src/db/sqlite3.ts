/**
 * django_db_* and django_model_* from the `sqlite3` package (node-sqlite3, the driver of
 * Sequelize's, TypeORM's `sqlite` and Knex's `sqlite3` dialects), whose API takes callbacks.
 *
 * A statement is one `run`/`get`/`all`/`each`/`map` call of a Database (which prepares, runs
 * and finalizes a Statement of its own) or of a Statement from `prepare`, or one `exec`; it
 * ends when the driver calls its callback (its completion callback for `each`), timed from
 * the call. A statement that fails to compile reaches the same callback: one statement, one
 * error. A call without a callback gets autoprom's, which emits an error where the driver would
 * have (an `error` event on the Statement, or on the Database for `exec`); `each` without a
 * completion callback is counted in `django_db_execute_total` only. A connection is one Database constructed; one whose callback receives an error is a
 * connection error.
 *
 * The prototypes are shared by every way of loading the module (CommonJS and ES modules alike);
 * the Database constructor is replaced in the module's exports by a Proxy (statics,
 * `instanceof` and subclasses stay as they were).
 */
import type { Instrumentation, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { InstrumentationBase, InstrumentationNodeModuleDefinition as ModuleDefinition } from '@opentelemetry/instrumentation';
import { couldNotInstrument, internalError } from '../core/log';
import { patchMethod, unpatchMethod, type AnyFunction } from '../core/patch';
import { VERSION } from '../core/version';
import type { MigrationSource, MigrationWatcher } from './migrations';
import type { DatabaseSeries, SqlClientMetrics } from './sql-client';
import { sqliteAlias } from './sqlite';

const SUPPORTED_SQLITE3 = ['>=5.0.0 <7'];
/** The series of a Database (from its `filename`), or of a Statement made by its `prepare`. */
const SERIES = Symbol('autoprom.sqlite3.series');
/** autoprom's own read-only connection (migration reads): never measured. */
const UNMEASURED = Symbol('autoprom.sqlite3.unmeasured');
const QUERY_METHODS = ['run', 'get', 'all', 'each', 'map'] as const;
const STATEMENT_METHODS = ['run', 'get', 'all', 'each'] as const;

interface Measured {
  [SERIES]?: DatabaseSeries;
  [UNMEASURED]?: true;
  filename?: unknown;
  sql?: unknown;
}

/**
 * Depth of Database query calls in progress: the Statement they make runs inside them,
 * synchronously, and is measured by them, not again by the Statement methods.
 */
let insideDatabaseCall = 0;

type Emitter = { emit(event: string, ...args: unknown[]): unknown };
interface StatementHolder {
  statement?: Emitter;
}
/** The Database query call in progress, told which Statement it made. */
let capture: StatementHolder | undefined;

function emitter(target: unknown): Emitter | undefined {
  return typeof target === 'object' && target !== null && typeof (target as Partial<Emitter>).emit === 'function'
    ? (target as Emitter)
    : undefined;
}

/** Where a call's outcome arrives: the index of its callback among `args` (-1: none), and for `each` its row callback's. */
function callbackIndexes(method: string, args: unknown[], first: number): { done: number; rows: number } {
  const last = args.length - 1;
  const isFn = (i: number) => i >= first && typeof args[i] === 'function';
  if (method === 'each') {
    // each(…, row, complete): the completion callback is the last of two trailing functions.
    return isFn(last) && isFn(last - 1) ? { done: last, rows: last - 1 } : { done: -1, rows: isFn(last) ? last : -1 };
  }
  return { done: isFn(last) ? last : -1, rows: -1 };
}

/**
 * Calls `original` as one measured statement of `series` whose outcome comes to a callback:
 * the callback (and `each`'s row callback, which receives its errors) are replaced by ones that
 * record the outcome once, then call the application's with the same `this` and arguments.
 * `emitTarget` is where the driver emits the error of a call without a callback.
 */
function measuredCallback(
  series: DatabaseSeries,
  method: string,
  original: AnyFunction,
  self: unknown,
  args: unknown[],
  sql: unknown,
  first: number,
  emitTarget: (self: unknown) => { emit(event: string, ...args: unknown[]): unknown } | undefined,
): unknown {
  const { done, rows } = callbackIndexes(method, args, first);
  series.statementSent();
  // each() without a completion callback has no end to time.
  if (done < 0 && method === 'each') return original.apply(self, args);
  const started = performance.now();
  let ended = false;
  const end = (err: unknown) => {
    if (ended) return;
    ended = true;
    try {
      series.statementTook((performance.now() - started) / 1000);
      if (err) series.statementFailed(err);
      else series.statementSucceeded(typeof sql === 'string' ? sql : undefined);
    } catch (e) {
      internalError('reading a sqlite3 statement outcome', e);
    }
  };
  const callArgs = args.slice();
  if (done >= 0) {
    const onDone = args[done] as AnyFunction;
    callArgs[done] = function completed(this: unknown, ...cbArgs: unknown[]) {
      end(cbArgs[0]);
      return onDone.apply(this, cbArgs) as unknown;
    };
  } else {
    // No callback: the driver would emit the error on the Statement (on the Database for exec).
    // autoprom's callback records the outcome and emits it there itself, as the driver does.
    callArgs.push(function completed(this: unknown, err: unknown) {
      end(err);
      if (err) {
        const target = emitTarget(this);
        if (target !== undefined) target.emit('error', err);
      }
    });
  }
  if (rows >= 0) {
    const onRow = args[rows] as AnyFunction;
    callArgs[rows] = function row(this: unknown, ...cbArgs: unknown[]) {
      if (cbArgs[0]) end(cbArgs[0]);
      return onRow.apply(this, cbArgs) as unknown;
    };
  }
  return original.apply(self, callArgs);
}

/** State and patches of autoprom's node-sqlite3 instrumentation. */
export class Sqlite3Patcher {
  private wrapped: unknown;

  constructor(
    private readonly metrics: SqlClientMetrics,
    private readonly migrations?: MigrationWatcher,
  ) {}

  private seriesOf(db: Measured): DatabaseSeries | undefined {
    if (db[UNMEASURED] === true) return undefined;
    let s = db[SERIES];
    if (s === undefined) {
      s = this.metrics.database(sqliteAlias(db.filename));
      db[SERIES] = s;
    }
    return s;
  }

  patch(module: unknown): unknown {
    try {
      const sqlite3 = module as Record<string, unknown>;
      const Database = sqlite3.Database as (AnyFunction & { prototype?: Record<string, unknown> }) | undefined;
      const Statement = sqlite3.Statement as { prototype?: Record<string, unknown> } | undefined;
      if (typeof Database !== 'function' || Database.prototype === undefined || Statement?.prototype === undefined) return module;
      const self = this;
      for (const name of QUERY_METHODS) {
        patchMethod(
          Database.prototype,
          name,
          (original) =>
            function query(this: Measured, ...args: unknown[]) {
              let series: DatabaseSeries | undefined;
              try {
                series = typeof this === 'object' && this !== null ? self.seriesOf(this) : undefined;
              } catch (err) {
                internalError('counting a sqlite3 statement', err);
              }
              const made: StatementHolder = {};
              const outer = capture;
              capture = made;
              insideDatabaseCall++;
              try {
                if (series === undefined) return original.apply(this, args) as unknown;
                // The Statement it made, run inside this call (a compile error reaches the callback with no `this`).
                return measuredCallback(series, name, original, this, args, args[0], 1, () => made.statement);
              } finally {
                insideDatabaseCall--;
                capture = outer;
              }
            },
        );
      }
      patchMethod(
        Database.prototype,
        'exec',
        (original) =>
          function exec(this: Measured, ...args: unknown[]) {
            const series = typeof this === 'object' && this !== null ? self.seriesOf(this) : undefined;
            if (series === undefined) return original.apply(this, args) as unknown;
            return measuredCallback(series, 'exec', original, this, args, args[0], 1, () => emitter(this));
          },
      );
      patchMethod(
        Database.prototype,
        'prepare',
        (original) =>
          function prepare(this: Measured, ...args: unknown[]) {
            const series = typeof this === 'object' && this !== null ? self.seriesOf(this) : undefined;
            if (series === undefined) return original.apply(this, args) as unknown;
            // A compile error reaches prepare's callback: one statement, one error (as Python's sqlite3 fails it in execute).
            const cb = args.length > 1 ? args[args.length - 1] : undefined;
            let callArgs = args;
            if (typeof cb === 'function') {
              callArgs = args.slice();
              callArgs[args.length - 1] = function prepared(this: unknown, ...cbArgs: unknown[]) {
                if (cbArgs[0]) {
                  try {
                    series.statementSent();
                    series.statementTook(0);
                    series.statementFailed(cbArgs[0]);
                  } catch (e) {
                    internalError('reading a sqlite3 prepare failure', e);
                  }
                }
                return (cb as AnyFunction).apply(this, cbArgs) as unknown;
              };
            }
            insideDatabaseCall++;
            let statement: unknown;
            try {
              statement = original.apply(this, callArgs);
            } finally {
              insideDatabaseCall--;
            }
            if (typeof statement === 'object' && statement !== null) (statement as Measured)[SERIES] = series;
            return statement;
          },
      );
      for (const name of STATEMENT_METHODS) {
        patchMethod(
          Statement.prototype,
          name,
          (original) =>
            function statement(this: Measured, ...args: unknown[]) {
              if (insideDatabaseCall > 0) {
                if (capture !== undefined) capture.statement = emitter(this);
                return original.apply(this, args) as unknown;
              }
              const series = this?.[SERIES];
              if (series === undefined) return original.apply(this, args) as unknown;
              return measuredCallback(series, name, original, this, args, this.sql, 0, (self) => emitter(self));
            },
        );
      }
      this.wrapped ??= this.countingConstructor(Database);
      sqlite3.Database = this.wrapped;
      return module;
    } catch (err) {
      couldNotInstrument('sqlite3', 'its SQLite metrics off', err);
      return module;
    }
  }

  /** Database(filename, [mode], [callback]): one connection attempt; an error in its callback is a failure. */
  private countingConstructor(Database: AnyFunction): unknown {
    const self = this;
    return new Proxy(Database, {
      construct(target, args: unknown[], newTarget) {
        let series: DatabaseSeries | undefined;
        let callArgs = args;
        try {
          series = self.metrics.database(sqliteAlias(args[0]));
          series.connectionAttempted();
          const at = typeof args[1] === 'function' ? 1 : typeof args[2] === 'function' ? 2 : -1;
          if (at >= 0) {
            const cb = args[at] as AnyFunction;
            const counted = series;
            callArgs = args.slice();
            callArgs[at] = function opened(this: unknown, ...cbArgs: unknown[]) {
              if (cbArgs[0]) counted.connectionFailed();
              else self.watchMigrations(args[0], target);
              return cb.apply(this, cbArgs) as unknown;
            };
          }
        } catch (err) {
          internalError('counting a sqlite3 connection', err);
        }
        const db = Reflect.construct(target, callArgs, (newTarget === self.wrapped ? target : newTarget) as AnyFunction) as Measured;
        if (series !== undefined) db[SERIES] = series;
        return db;
      },
    });
  }

  /** A file database the application opened: the migration gauges read it on autoprom's own read-only connection. */
  private watchMigrations(location: unknown, Database: AnyFunction): void {
    const alias = sqliteAlias(location);
    if (this.migrations === undefined || alias === ':memory:' || typeof location !== 'string') return;
    type Db = Measured & {
      all(sql: string, cb: (err: unknown, rows: Array<Record<string, unknown>>) => void): void;
      close(cb: () => void): void;
    };
    const OPEN_READONLY = 1;
    const source: MigrationSource = {
      vendor: 'sqlite',
      alias,
      open: () =>
        new Promise((resolve, reject) => {
          const connection = {
            query: (sql: string) =>
              new Promise<Array<Record<string, unknown>>>((ok, fail) => own.all(sql, (err, rows) => (err ? fail(err as Error) : ok(rows)))),
            close: () => new Promise<void>((done) => own.close(() => done())),
          };
          // The driver calls back asynchronously, once `own` is marked.
          const own = Reflect.construct(Database, [
            location,
            OPEN_READONLY,
            (err: unknown) => (err ? reject(err as Error) : resolve(connection)),
          ]) as Db;
          own[UNMEASURED] = true;
        }),
    };
    this.migrations.connected(source);
  }

  unpatch(module: unknown): void {
    const sqlite3 = module as Record<string, { prototype?: Record<string, unknown> } | undefined>;
    const db = sqlite3.Database?.prototype;
    if (db !== undefined) for (const m of [...QUERY_METHODS, 'exec', 'prepare']) unpatchMethod(db, m);
    const st = sqlite3.Statement?.prototype;
    if (st !== undefined) for (const m of STATEMENT_METHODS) unpatchMethod(st, m);
  }
}

/** autoprom's node-sqlite3 instrumentation (`vendor="sqlite"`, the same series as better-sqlite3 and node:sqlite). */
export function createSqlite3Instrumentation(metrics: SqlClientMetrics, migrations?: MigrationWatcher): Instrumentation {
  const patcher = new Sqlite3Patcher(metrics, migrations);
  class Sqlite3MetricsInstrumentation extends InstrumentationBase {
    constructor() {
      super('autoprom-sqlite3', VERSION, {});
    }

    protected override init(): InstrumentationNodeModuleDefinition[] {
      return [
        new ModuleDefinition(
          'sqlite3',
          SUPPORTED_SQLITE3,
          (m: unknown) => patcher.patch(m),
          (m: unknown) => patcher.unpatch(m),
        ),
      ];
    }
  }
  return new Sqlite3MetricsInstrumentation();
}
