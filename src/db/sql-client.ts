/**
 * The one shape of a SQL client instrumentation (pg today; mysql2, SQLite, postgres.js the
 * same way). A client file patches its driver and tells `SqlClientMetrics` only what happens:
 * - a connection attempt to a database, and whether it failed (`connectionAttempted` →
 *   `connectionFailed`);
 * - a statement sent (`statementSent`), then its end: success with its SQL text
 *   (`statementSucceeded`: the shared scanner in sql.ts turns INSERT/UPDATE/DELETE targets into
 *   model counts), or failure with the driver's error (`statementFailed`: the vendor's error
 *   mapping in errors.ts names the class Django's backend would raise);
 * - optionally its duration, when no OpenTelemetry instrumentation times it (`statementTook`).
 * Everything else is shared: the django_db_* and django_model_* families, their series (one
 * `DatabaseSeries` per alias, resolved once and kept on the client), labels and bounds.
 * Adding a client: one file here with its module hook, one line in index.ts.
 */
import type { CounterName } from '../catalogue';
import type { CounterFamily, CounterSeries, HistogramSeries } from '../core/recorder';
import type { Registry } from '../core/registry';
import { SqlTargetCache, type SqlOperation } from './sql';

/** The `vendor` label: Django's name for the backend. */
export type DbVendor = 'postgresql' | 'mysql' | 'sqlite';

/** The `type` label of a failed statement, from the driver's error (vendor-specific). */
export type ErrorClassifier = (err: unknown) => string;

/** Families the SQL clients record into (execute_many is documented only: no client has executemany). */
export const DB_COUNTERS = [
  'django_db_new_connections_total',
  'django_db_new_connection_errors_total',
  'django_db_execute_total',
  'django_db_errors_total',
] as const;
export const MODEL_COUNTERS: Readonly<Record<SqlOperation, CounterName>> = {
  insert: 'django_model_inserts_total',
  update: 'django_model_updates_total',
  delete: 'django_model_deletes_total',
};

/** Longest `alias` label kept (PostgreSQL's own identifier limit is 63 bytes); longer names are cut. */
export const MAX_ALIAS_LABEL = 100;

/**
 * The `alias` label of a database name. A name with `@` in it is what a mis-read connection
 * string leaves (`postgres://user:1234/PW@host/db` reads as host `user`, port 1234, database
 * `PW@host/db`): the text before the `@` may be a password, so only what follows the last `/`
 * is kept (`db`), or `unknown`. Never a credential, always bounded.
 */
export function databaseLabel(name: unknown): string {
  if (typeof name !== 'string' || name === '') return 'unknown';
  let label = name;
  if (label.includes('@')) {
    const slash = label.lastIndexOf('/');
    label = slash === -1 ? '' : label.slice(slash + 1);
    if (label === '' || label.includes('@')) return 'unknown';
  }
  return label.length > MAX_ALIAS_LABEL ? label.slice(0, MAX_ALIAS_LABEL) : label;
}

/** SQL texts whose targets are remembered per vendor (the scanner result is cached by text). */
const SQL_CACHE_SIZE = 1000;

/** The series of one database (alias) of one vendor. */
export class DatabaseSeries {
  private readonly newConnections: CounterSeries;
  private readonly newConnectionErrors: CounterSeries;
  private readonly execute: CounterSeries;
  private readonly errorsByType = new Map<string, CounterSeries>();
  private duration: HistogramSeries | undefined;

  constructor(
    readonly alias: string,
    private readonly client: SqlClientMetrics,
  ) {
    const vendor = client.vendor;
    this.newConnections = client.registry.counter('django_db_new_connections_total').labels(alias, vendor);
    this.newConnectionErrors = client.registry.counter('django_db_new_connection_errors_total').labels(alias, vendor);
    this.execute = client.registry.counter('django_db_execute_total').labels(alias, vendor);
  }

  connectionAttempted(): void {
    this.newConnections.value++;
  }

  connectionFailed(): void {
    this.newConnectionErrors.value++;
  }

  statementSent(): void {
    this.execute.value++;
  }

  /** A statement failed: counted by the class the vendor's mapping gives the driver's error. */
  statementFailed(err: unknown): void {
    const type = this.client.classifyError(err);
    let s = this.errorsByType.get(type);
    if (s === undefined) {
      s = this.client.errors.labels(this.alias, this.client.vendor, type);
      // Error classes are a fixed, small set; the bound only guards a classifier that is not.
      if (this.errorsByType.size < 100) this.errorsByType.set(type, s);
    }
    s.value++;
  }

  /** A statement succeeded: one model count per INSERT/UPDATE/DELETE target its SQL names (none when unreadable). */
  statementSucceeded(sql: string | undefined): void {
    if (sql === undefined) return;
    this.client.countModels(sql);
  }

  /** A statement's duration, for clients that no OpenTelemetry instrumentation times. */
  statementTook(seconds: number): void {
    if (this.duration === undefined)
      this.duration = this.client.registry.histogram('django_db_query_duration_seconds').labels(this.alias, this.client.vendor);
    this.duration.observe(seconds);
  }
}

/** The django_db_* and django_model_* bookkeeping of one SQL client (one vendor). */
export class SqlClientMetrics {
  readonly errors: CounterFamily;
  private readonly byAlias = new Map<string, DatabaseSeries>();
  private readonly models: Readonly<Record<SqlOperation, CounterFamily>>;
  private readonly sqlTargets: SqlTargetCache;

  constructor(
    readonly registry: Registry,
    readonly vendor: DbVendor,
    readonly classifyError: ErrorClassifier,
  ) {
    this.sqlTargets = new SqlTargetCache(SQL_CACHE_SIZE, vendor);
    // Created up front so that HELP and TYPE are exposed before the first statement.
    for (const name of DB_COUNTERS) registry.counter(name);
    this.errors = registry.counter('django_db_errors_total');
    this.models = {
      insert: registry.counter(MODEL_COUNTERS.insert),
      update: registry.counter(MODEL_COUNTERS.update),
      delete: registry.counter(MODEL_COUNTERS.delete),
    };
  }

  /** Series per family before the overflow series (PROMETHEUS_METRICS_CARDINALITY_LIMIT). */
  get cardinalityLimit(): number {
    return this.registry.options.cardinalityLimit;
  }

  /** The series of one database (its name as the driver has it); keep it on the client's connection object. */
  database(name: string): DatabaseSeries {
    let s = this.byAlias.get(name);
    if (s === undefined) {
      // The Map is bounded by the families' own limit: past it every alias shares the overflow series.
      s = new DatabaseSeries(databaseLabel(name), this);
      if (this.byAlias.size < this.registry.options.cardinalityLimit) this.byAlias.set(name, s);
    }
    return s;
  }

  /** One count per successful statement and target, as django counts one per model save()/delete() call. */
  countModels(sql: string): void {
    for (const target of this.sqlTargets.get(sql)) this.models[target.operation].labels(target.table).value++;
  }
}
