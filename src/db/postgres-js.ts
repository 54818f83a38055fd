/**
 * django_db_* and django_model_* from postgres.js (`postgres`, vendor postgresql), which has no
 * OpenTelemetry instrumentation, no diagnostics channel and no prototypes: its connections are
 * closures. Its `Connection` factory (src/connection.js for ES modules, cjs/src/connection.js for
 * CommonJS: two copies, both hooked) is replaced by one that wraps each connection object's
 * `connect` (a connection attempt; the query waiting on it rejected first is its failure) and
 * `execute` (one statement of that connection's database: counted, timed, and settled by
 * wrapping the query's own resolve/reject, so the application's promise is postgres.js's own).
 * postgres.js's internal queries (type lookups) and retries do not go through `execute` and
 * are not counted.
 */
import type { Instrumentation, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { hookFileToo } from '../module-hook';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition as ModuleDefinition,
  InstrumentationNodeModuleFile as ModuleFile,
} from '@opentelemetry/instrumentation';
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { couldNotInstrument, internalError } from '../core/log';
import { markPatched, moduleExportsOf, originalOf, type AnyFunction } from '../core/patch';
import { VERSION } from '../core/version';
import type { MigrationSource, MigrationWatcher } from './migrations';
import type { DatabaseSeries, SqlClientMetrics } from './sql-client';

const SUPPORTED = ['>=3.0.0 <4'];
/** A query already counted (postgres.js hands a retried query to execute once; a second call is never a new statement). */
const COUNTED = Symbol('autoprom.postgresjs.counted');

interface QueryLike {
  string?: unknown;
  resolve?: (value: unknown) => unknown;
  reject?: (err: unknown) => unknown;
  [COUNTED]?: true;
}

interface ConnectionLike {
  connect?: (query?: QueryLike) => unknown;
  execute?: (query: QueryLike) => unknown;
}

/** The `alias` of a postgres.js connection: its database (postgres.js defaults it to the user). */
export function postgresJsAlias(options: { database?: unknown } | undefined): string {
  const db = options?.database;
  return typeof db === 'string' && db !== '' ? db : 'unknown';
}

/** Set while autoprom runs its own statements (migration reads): never measured. */
const ownStatements = new AsyncLocalStorage<true>();

type PostgresFactory = (...args: unknown[]) => {
  options?: { database?: unknown };
  unsafe(sql: string): Promise<Array<Record<string, unknown>>> & { execute(): Promise<Array<Record<string, unknown>>> };
  end(options?: { timeout?: number }): Promise<void>;
};

export class PostgresJsPatcher {
  /** How the application called `postgres(…)` for each database, to open autoprom's own client for migration reads. */
  private readonly calls = new Map<string, { factory: PostgresFactory; args: unknown[] }>();

  constructor(
    private readonly metrics: SqlClientMetrics,
    private readonly migrations?: MigrationWatcher,
  ) {}

  /** The replacement of the main export `postgres(url, options)` (only when the migration gauges are on). */
  wrapMain(module: unknown): unknown {
    const factory = moduleExportsOf<PostgresFactory>(module);
    if (this.migrations === undefined || typeof factory !== 'function' || originalOf(factory) !== factory) return module;
    const calls = this.calls;
    // A Proxy: postgres.js's statics (PostgresError, toPascal …) stay where they are.
    return new Proxy(factory, {
      apply(target, thisArg, args: unknown[]) {
        const sql = Reflect.apply(target, thisArg, args) as ReturnType<PostgresFactory>;
        try {
          const alias = postgresJsAlias(sql?.options);
          if (ownStatements.getStore() !== true && !calls.has(alias) && calls.size < 100) calls.set(alias, { factory: target, args });
        } catch (err) {
          internalError('reading a postgres.js configuration', err);
        }
        return sql;
      },
    });
  }

  private migrationSource(alias: string): MigrationSource | undefined {
    const call = this.calls.get(alias);
    if (call === undefined) return undefined;
    return {
      vendor: 'postgresql',
      alias,
      open: () =>
        ownStatements.run(true, () => {
          const [a, b] = call.args;
          const quiet = { max: 1, onnotice: () => undefined };
          const args = typeof a === 'object' && a !== null ? [{ ...a, ...quiet }] : [a, { ...(b as object), ...quiet }];
          const sql = call.factory(...args);
          return Promise.resolve({
            // execute() inside the scope: postgres.js starts a query when it is first awaited, which would be outside it.
            query: (text: string) => ownStatements.run(true, () => sql.unsafe(text).execute()),
            close: () => sql.end({ timeout: 0 }),
          });
        }),
    };
  }

  /** The replacement of connection.js's default export. */
  wrapConnectionFactory(module: unknown): unknown {
    try {
      const Connection = moduleExportsOf<AnyFunction>(module);
      if (typeof Connection !== 'function') return module;
      if (originalOf(Connection) !== Connection) return Connection;
      const self = this;
      return markPatched(function Connection_(this: unknown, ...args: unknown[]) {
        const connection = Connection.apply(this, args) as ConnectionLike;
        try {
          self.wrapConnection(connection, args[0] as { database?: unknown } | undefined);
        } catch (err) {
          internalError('instrumenting a postgres.js connection', err);
        }
        return connection;
      }, Connection);
    } catch (err) {
      couldNotInstrument('postgres', 'postgres.js metrics off', err);
      return module;
    }
  }

  private wrapConnection(connection: ConnectionLike, options: { database?: unknown } | undefined): void {
    if (typeof connection?.execute !== 'function' || typeof connection.connect !== 'function') return;
    const series = this.metrics.database(postgresJsAlias(options));
    const execute = connection.execute;
    const connect = connection.connect;
    const self = this;
    const alias = series.alias;
    connection.connect = function connectMeasured(query?: QueryLike) {
      if (ownStatements.getStore() === true) return connect(query);
      try {
        series.connectionAttempted();
        if (query !== undefined && query !== null && typeof query.reject === 'function' && query[COUNTED] !== true) {
          // The query that asked for this connection: rejected with the connection's error if it fails,
          // else executed by the connection itself once ready (not through `execute`), which first sets its `state`.
          const reject = query.reject;
          query.reject = (err: unknown) => {
            if (query[COUNTED] !== true) series.connectionFailed();
            return reject(err);
          };
          onFirstExecution(query, () => {
            measureStatement(series, query);
            // The connection is open: the migration gauges may read this database.
            const source = self.migrations === undefined ? undefined : self.migrationSource(alias);
            if (source !== undefined) self.migrations?.connected(source);
          });
        }
      } catch (err) {
        internalError('counting a postgres.js connection', err);
      }
      return connect(query);
    };
    connection.execute = function executeMeasured(query: QueryLike) {
      if (ownStatements.getStore() === true) return execute(query);
      try {
        if (query !== null && typeof query === 'object' && query[COUNTED] !== true) measureStatement(series, query);
      } catch (err) {
        internalError('counting a postgres.js statement', err);
      }
      return execute(query);
    };
  }
}

/** Calls `then` when postgres.js's connection starts executing `query` (its execute sets `query.state`). */
function onFirstExecution(query: QueryLike, then: () => void): void {
  const holder = query as QueryLike & { state?: unknown };
  let state = holder.state;
  Object.defineProperty(holder, 'state', {
    configurable: true,
    enumerable: true,
    get: () => state,
    set(value: unknown) {
      // Back to a plain property at once: the accessor runs once per query.
      Object.defineProperty(holder, 'state', { value, writable: true, configurable: true, enumerable: true });
      state = value;
      try {
        if (query[COUNTED] !== true) then();
      } catch (err) {
        internalError('counting a postgres.js statement', err);
      }
    },
  });
}

/** Count a statement and settle it where postgres.js settles its query. */
function measureStatement(series: DatabaseSeries, query: QueryLike): void {
  query[COUNTED] = true;
  series.statementSent();
  const started = performance.now();
  const resolve = query.resolve;
  const reject = query.reject;
  if (typeof resolve !== 'function' || typeof reject !== 'function') return;
  let settled = false;
  query.resolve = (value: unknown) => {
    if (!settled) {
      settled = true;
      try {
        series.statementTook((performance.now() - started) / 1000);
        series.statementSucceeded(typeof query.string === 'string' ? query.string : undefined);
      } catch (err) {
        internalError('reading a postgres.js statement outcome', err);
      }
    }
    return resolve(value);
  };
  query.reject = (err: unknown) => {
    if (!settled) {
      settled = true;
      try {
        series.statementTook((performance.now() - started) / 1000);
        series.statementFailed(err);
      } catch (e) {
        internalError('reading a postgres.js statement outcome', e);
      }
    }
    return reject(err);
  };
}

/** The absolute path of the application's postgres.js ES module connection.js (resolved from the working directory), if installed. */
function postgresJsEsmConnectionPath(): string | undefined {
  try {
    // `require` resolves postgres.js's CommonJS entry, cjs/src/index.js; its ES module copy is src/.
    const cjsEntry = createRequire(join(process.cwd(), 'index.js')).resolve('postgres');
    const file = join(dirname(cjsEntry), '..', '..', 'src', 'connection.js');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

type HookConstructor = new (modules: string[], hook: (exports: unknown) => unknown) => unknown;

/** Wrap the ES module copy's Connection factory with the import-in-the-middle copy that OpenTelemetry's hook uses (autoprom's own). */
function hookEsmConnection(patcher: PostgresJsPatcher): void {
  const file = postgresJsEsmConnectionPath();
  if (file === undefined) return;
  try {
    const iitm = require('import-in-the-middle') as { Hook?: HookConstructor };
    if (typeof iitm.Hook === 'function') {
      new iitm.Hook([file], (exports) => patcher.wrapConnectionFactory(exports));
      hookFileToo(file);
    }
  } catch (err) {
    couldNotInstrument('postgres (ES module)', 'postgres.js metrics off for ES module imports', err);
  }
}

/** autoprom's postgres.js instrumentation. */
export function createPostgresJsInstrumentation(metrics: SqlClientMetrics, migrations?: MigrationWatcher): Instrumentation {
  const patcher = new PostgresJsPatcher(metrics, migrations);
  class PostgresJsMetricsInstrumentation extends InstrumentationBase {
    constructor() {
      super('autoprom-postgres-js', VERSION, {});
    }

    protected override init(): InstrumentationNodeModuleDefinition[] {
      const file = (name: string) =>
        new ModuleFile(
          name,
          SUPPORTED,
          (m: unknown) => patcher.wrapConnectionFactory(m),
          () => undefined,
        );
      const definitions: InstrumentationNodeModuleDefinition[] = [
        new ModuleDefinition('postgres', SUPPORTED, (m: unknown) => patcher.wrapMain(m), undefined, [
          file('postgres/src/connection.js'),
          file('postgres/cjs/src/connection.js'),
        ]),
      ];
      // ES modules: the module hook wraps only the modules it is told of, and a package's internal
      // file imported by a relative specifier is matched by its absolute path only (hooked directly:
      // @opentelemetry/instrumentation would look for a package.json beside it and warn).
      hookEsmConnection(patcher);
      return definitions;
    }
  }
  return new PostgresJsMetricsInstrumentation();
}
