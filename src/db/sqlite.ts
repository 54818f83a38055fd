/**
 * django_db_* and django_model_* from SQLite: better-sqlite3 and node:sqlite, whose APIs are
 * synchronous. A statement is one `run`/`get`/`all`/`iterate` (or `exec`) call, timed around
 * the call; a statement that fails to compile in `prepare` is one statement and one error (as
 * Python's sqlite3 fails it in `execute`). A connection is one database opened (the
 * constructor, or node:sqlite's `open()`); one that cannot be opened is a connection error.
 *
 * The prototypes are shared by every way of loading the module, so statements are counted
 * for CommonJS and ES module applications alike. The constructors are replaced in the
 * module's exports (a Proxy: statics, `instanceof` and subclasses stay as they were).
 * SQLite statements take microseconds: the per-call work is two clock reads, a few
 * property reads and counter increments; SQL texts are parsed once (cached by text).
 */
import type { Instrumentation, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { InstrumentationBase, InstrumentationNodeModuleDefinition as ModuleDefinition } from '@opentelemetry/instrumentation';
import { basename } from 'node:path';
import { couldNotInstrument, internalError } from '../core/log';
import { moduleExportsOf, patchMethod, unpatchMethod, type AnyFunction } from '../core/patch';
import { VERSION } from '../core/version';
import type { MigrationSource, MigrationWatcher } from './migrations';
import type { DatabaseSeries, SqlClientMetrics } from './sql-client';

const SUPPORTED_BETTER_SQLITE3 = ['>=7.0.0 <14'];
/** The series of a database object, or of a node:sqlite statement (which does not know its database). */
const SERIES = Symbol('autoprom.sqlite.series');
/** autoprom's own read-only connection (migration reads): never measured. */
const UNMEASURED = Symbol('autoprom.sqlite.unmeasured');
const STATEMENT_METHODS = ['run', 'get', 'all', 'iterate'] as const;

interface Measured {
  [SERIES]?: DatabaseSeries;
  [UNMEASURED]?: true;
}

/** The `alias` label of a SQLite database: the file's base name (`:memory:` for in-memory and temporary ones). */
export function sqliteAlias(location: unknown): string {
  let path: string | undefined;
  if (typeof location === 'string') path = location;
  else if (location instanceof URL) path = location.protocol === 'file:' ? decodeURIComponent(location.pathname) : undefined;
  if (path === undefined || path === '' || path === ':memory:') return ':memory:';
  // SQLite URI filenames: file:data.db?mode=ro
  if (path.startsWith('file:')) path = path.slice(5).split('?')[0];
  const base = basename(path);
  return base === '' || base === ':memory:' ? ':memory:' : base;
}

/** Runs `original` as one measured statement of `series`; `sql` is its text (models), read only on success. */
function measuredCall(
  series: DatabaseSeries,
  original: AnyFunction,
  self: unknown,
  args: unknown[],
  sql: (self: unknown, args: unknown[]) => unknown,
): unknown {
  series.statementSent();
  const started = performance.now();
  let result: unknown;
  try {
    result = original.apply(self, args);
  } catch (err) {
    try {
      series.statementTook((performance.now() - started) / 1000);
      series.statementFailed(err);
    } catch (e) {
      internalError('reading a SQLite statement outcome', e);
    }
    throw err;
  }
  try {
    series.statementTook((performance.now() - started) / 1000);
    const text = sql(self, args);
    series.statementSucceeded(typeof text === 'string' ? text : undefined);
  } catch (e) {
    internalError('reading a SQLite statement outcome', e);
  }
  return result;
}

/**
 * A Proxy of a database constructor: each construction that opens the database (`opens`) is a
 * connection attempt, a throw its failure; the new database keeps its series.
 */
function countingConstructor<T extends AnyFunction>(
  ctor: T,
  seriesFor: (args: unknown[]) => DatabaseSeries | undefined,
  opens: (args: unknown[]) => boolean,
  opened?: (args: unknown[]) => void,
): T {
  return new Proxy(ctor, {
    construct(target, args: unknown[], newTarget) {
      const series = seriesFor(args);
      const counted = series !== undefined && opens(args);
      if (counted) series.connectionAttempted();
      let db: Measured;
      try {
        db = Reflect.construct(target as AnyFunction, args, (newTarget === ctor ? target : newTarget) as AnyFunction) as Measured;
      } catch (err) {
        if (counted) series.connectionFailed();
        throw err;
      }
      if (series !== undefined) db[SERIES] = series;
      if (counted && opened !== undefined) opened(args);
      return db;
    },
    apply(target, thisArg, args: unknown[]) {
      // better-sqlite3's Database may be called without `new` (it then news itself): one attempt, counted by construct.
      return Reflect.apply(target as AnyFunction, thisArg, args) as unknown;
    },
  });
}

/** State and patches of autoprom's SQLite instrumentation. */
export class SqlitePatcher {
  private wrappedBetterSqlite: unknown;
  private wrappedNodeSqlite: unknown;

  constructor(
    private readonly metrics: SqlClientMetrics,
    private readonly migrations?: MigrationWatcher,
  ) {}

  /**
   * A file database the application opened: the migration gauges read it on autoprom's own
   * read-only connection (`openOwn`, the driver's unwrapped constructor).
   */
  private watchMigrations(location: unknown, openOwn: (location: unknown) => { all(sql: string): unknown[]; close(): void }): void {
    const alias = sqliteAlias(location);
    if (this.migrations === undefined || alias === ':memory:' || !(typeof location === 'string' || location instanceof URL)) return;
    const source: MigrationSource = {
      vendor: 'sqlite',
      alias,
      open: () => {
        const db = openOwn(location);
        return Promise.resolve({
          query: (sql: string) => Promise.resolve(db.all(sql) as Array<Record<string, unknown>>),
          close: () => db.close(),
        });
      },
    };
    this.migrations.connected(source);
  }

  private seriesFor(location: unknown): DatabaseSeries | undefined {
    try {
      return this.metrics.database(sqliteAlias(location));
    } catch (err) {
      internalError('counting a SQLite connection', err);
      return undefined;
    }
  }

  /** The series of a better-sqlite3 Database (from its `name`), kept on it. */
  private seriesOfBetterDb(db: Measured & { name?: unknown }): DatabaseSeries {
    let s = db[SERIES];
    if (s === undefined) {
      s = this.metrics.database(sqliteAlias(db.name));
      db[SERIES] = s;
    }
    return s;
  }

  patchBetterSqlite(module: unknown): unknown {
    try {
      const Database = moduleExportsOf<AnyFunction & { prototype?: Record<string, unknown> }>(module);
      if (typeof Database !== 'function' || Database.prototype === undefined) return module;
      const self = this;
      // Statement is a native class reached only through an instance: one probe on an in-memory database.
      const probe = new (Database as unknown as new (file: string) => { prepare(sql: string): object; close(): void })(':memory:');
      const Statement = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, unknown>;
      probe.close();
      for (const name of STATEMENT_METHODS) {
        patchMethod(
          Statement,
          name,
          (original) =>
            function statement(this: { database?: unknown; source?: unknown }, ...args: unknown[]) {
              const db = this?.database as Measured | undefined;
              if (typeof db !== 'object' || db === null || db[UNMEASURED] === true) return original.apply(this, args);
              return measuredCall(self.seriesOfBetterDb(db), original, this, args, sourceOf);
            },
        );
      }
      patchMethod(
        Database.prototype,
        'exec',
        (original) =>
          function exec(this: Measured, ...args: unknown[]) {
            if (this?.[UNMEASURED] === true) return original.apply(this, args);
            return measuredCall(self.seriesOfBetterDb(this), original, this, args, firstArgument);
          },
      );
      patchMethod(Database.prototype, 'prepare', (original) =>
        preparingMethod(original, (db) => ((db as Measured)[UNMEASURED] === true ? undefined : self.seriesOfBetterDb(db as object))),
      );
      const BetterDatabase = Database as unknown as new (
        file: unknown,
        options: object,
      ) => {
        prepare(sql: string): { all(): unknown[] };
        close(): void;
      } & Measured;
      this.wrappedBetterSqlite ??= countingConstructor(
        Database,
        (args) => this.seriesFor(args[0]),
        () => true,
        (args) =>
          this.watchMigrations(args[0], (file) => {
            const own = new BetterDatabase(file, { readonly: true, fileMustExist: true });
            own[UNMEASURED] = true;
            return { all: (sql) => own.prepare(sql).all(), close: () => own.close() };
          }),
      );
      // CommonJS: the returned value becomes the module's exports; ES modules: its default export.
      return this.wrappedBetterSqlite;
    } catch (err) {
      couldNotInstrument('better-sqlite3', 'SQLite metrics off', err);
      return module;
    }
  }

  unpatchBetterSqlite(module: unknown): void {
    const Database = moduleExportsOf<{ prototype?: Record<string, unknown> }>(module);
    if (Database?.prototype !== undefined) for (const m of ['exec', 'prepare']) unpatchMethod(Database.prototype, m);
  }

  patchNodeSqlite(module: unknown): unknown {
    try {
      const sqlite = module as Record<string, unknown>;
      const DatabaseSync = sqlite.DatabaseSync as (AnyFunction & { prototype: Record<string, unknown> }) | undefined;
      const StatementSync = sqlite.StatementSync as { prototype?: Record<string, unknown> } | undefined;
      if (typeof DatabaseSync !== 'function' || StatementSync?.prototype === undefined) return module;
      for (const name of STATEMENT_METHODS) {
        patchMethod(
          StatementSync.prototype,
          name,
          (original) =>
            function statement(this: Measured & { sourceSQL?: unknown }, ...args: unknown[]) {
              const series = this?.[SERIES];
              if (series === undefined) return original.apply(this, args);
              return measuredCall(series, original, this, args, sourceSqlOf);
            },
        );
      }
      patchMethod(
        DatabaseSync.prototype,
        'exec',
        (original) =>
          function exec(this: Measured, ...args: unknown[]) {
            const series = this?.[SERIES];
            if (series === undefined) return original.apply(this, args);
            return measuredCall(series, original, this, args, firstArgument);
          },
      );
      patchMethod(DatabaseSync.prototype, 'prepare', (original) => preparingMethod(original, (db) => (db as Measured)[SERIES], true));
      patchMethod(
        DatabaseSync.prototype,
        'open',
        (original) =>
          function open(this: Measured, ...args: unknown[]) {
            // An explicit open() of a database made with { open: false }: the constructor gave it its series.
            const series = this?.[SERIES];
            series?.connectionAttempted();
            try {
              return original.apply(this, args) as unknown;
            } catch (err) {
              series?.connectionFailed();
              throw err;
            }
          },
      );
      const NodeDatabase = DatabaseSync as unknown as new (
        file: unknown,
        options: object,
      ) => {
        prepare(sql: string): { all(): unknown[] };
        close(): void;
      };
      this.wrappedNodeSqlite ??= countingConstructor(
        DatabaseSync,
        (args) => this.seriesFor(args[0]),
        // { open: false }: the attempt is the later open() call.
        (args) => (args[1] as { open?: unknown } | undefined)?.open !== false,
        // Its own statements have no series (prepared on a database the Proxy did not make): never measured.
        (args) =>
          this.watchMigrations(args[0], (file) => {
            const own = new NodeDatabase(file, { readOnly: true });
            return { all: (sql) => own.prepare(sql).all(), close: () => own.close() };
          }),
      );
      // The builtin's exports object (CommonJS) or its namespace (ES modules): the named export is replaced.
      sqlite.DatabaseSync = this.wrappedNodeSqlite;
      return module;
    } catch (err) {
      couldNotInstrument('node:sqlite', 'SQLite metrics off', err);
      return module;
    }
  }

  unpatchNodeSqlite(module: unknown): void {
    const sqlite = module as Record<string, { prototype?: Record<string, unknown> } | undefined>;
    const db = sqlite.DatabaseSync?.prototype;
    if (db !== undefined) for (const m of ['exec', 'prepare', 'open']) unpatchMethod(db, m);
    const st = sqlite.StatementSync?.prototype;
    if (st !== undefined) for (const m of STATEMENT_METHODS) unpatchMethod(st, m);
  }
}

function sourceOf(statement: unknown): unknown {
  return (statement as { source?: unknown }).source;
}
function sourceSqlOf(statement: unknown): unknown {
  return (statement as { sourceSQL?: unknown }).sourceSQL;
}
function firstArgument(_self: unknown, args: unknown[]): unknown {
  return args[0];
}

/**
 * `prepare` wrapped: a statement that fails to compile is one statement and one error; a
 * prepared statement is counted when it runs. With `keepSeries`, the statement is given its
 * database's series (node:sqlite statements do not know their database).
 */
function preparingMethod(original: AnyFunction, seriesOf: (db: unknown) => DatabaseSeries | undefined, keepSeries = false): AnyFunction {
  return function prepare(this: unknown, ...args: unknown[]) {
    let statement: unknown;
    try {
      statement = original.apply(this, args);
    } catch (err) {
      try {
        const series = seriesOf(this);
        if (series !== undefined && isSqliteError(err)) {
          series.statementSent();
          series.statementTook(0);
          series.statementFailed(err);
        }
      } catch (e) {
        internalError('reading a SQLite prepare failure', e);
      }
      throw err;
    }
    if (keepSeries && typeof statement === 'object' && statement !== null) {
      const series = seriesOf(this);
      if (series !== undefined) (statement as Measured)[SERIES] = series;
    }
    return statement;
  };
}

/** An error SQLite itself raised (compilation), not the driver's argument checks. */
function isSqliteError(err: unknown): boolean {
  const e = err as { code?: unknown; errcode?: unknown } | null;
  return (
    typeof e === 'object' && e !== null && (typeof e.errcode === 'number' || (typeof e.code === 'string' && e.code.startsWith('SQLITE')))
  );
}

/** autoprom's SQLite instrumentation (better-sqlite3 and node:sqlite). */
export function createSqliteInstrumentation(metrics: SqlClientMetrics, migrations?: MigrationWatcher): Instrumentation {
  const patcher = new SqlitePatcher(metrics, migrations);
  class SqliteMetricsInstrumentation extends InstrumentationBase {
    constructor() {
      super('autoprom-sqlite', VERSION, {});
    }

    protected override init(): InstrumentationNodeModuleDefinition[] {
      const nodeSqlite = (name: string) =>
        new ModuleDefinition(
          name,
          ['*'],
          (m: unknown) => patcher.patchNodeSqlite(m),
          (m: unknown) => patcher.unpatchNodeSqlite(m),
        );
      return [
        new ModuleDefinition(
          'better-sqlite3',
          SUPPORTED_BETTER_SQLITE3,
          (m: unknown) => patcher.patchBetterSqlite(m),
          (m: unknown) => patcher.unpatchBetterSqlite(m),
        ),
        nodeSqlite('node:sqlite'),
        nodeSqlite('sqlite'),
      ];
    }
  }
  return new SqliteMetricsInstrumentation();
}
