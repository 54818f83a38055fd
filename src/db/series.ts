/**
 * autoprom's own django_db_* and django_model_* series, resolved once per database alias
 * (and per error type, per table) so that a statement only adds numbers.
 */
import type { CounterFamily, CounterSeries } from '../core/recorder';
import type { Registry } from '../core/registry';
import type { SqlOperation } from './sql';

/** `vendor` label of every pg series: django's name for the PostgreSQL backend. */
export const VENDOR = 'postgresql';

/** Families this area records into (execute_many is documented only: pg has no executemany). */
export const DB_COUNTERS = [
  'django_db_new_connections_total',
  'django_db_new_connection_errors_total',
  'django_db_execute_total',
  'django_db_errors_total',
] as const;
export const MODEL_COUNTERS: Readonly<Record<SqlOperation, string>> = {
  insert: 'django_model_inserts_total',
  update: 'django_model_updates_total',
  delete: 'django_model_deletes_total',
};

/** The series of one database alias. */
export class AliasSeries {
  readonly newConnections: CounterSeries;
  readonly newConnectionErrors: CounterSeries;
  readonly execute: CounterSeries;
  private readonly errorsByType = new Map<string, CounterSeries>();

  constructor(
    readonly alias: string,
    private readonly errors: CounterFamily,
    registry: Registry,
  ) {
    this.newConnections = registry.counter('django_db_new_connections_total').labels(alias, VENDOR);
    this.newConnectionErrors = registry.counter('django_db_new_connection_errors_total').labels(alias, VENDOR);
    this.execute = registry.counter('django_db_execute_total').labels(alias, VENDOR);
  }

  error(type: string): CounterSeries {
    let s = this.errorsByType.get(type);
    if (s === undefined) {
      s = this.errors.labels(this.alias, VENDOR, type);
      this.errorsByType.set(type, s);
    }
    return s;
  }
}

/** Resolves and caches AliasSeries, and the model counters. */
export class DbSeries {
  private readonly byAlias = new Map<string, AliasSeries>();
  private readonly errors: CounterFamily;
  private readonly models: Readonly<Record<SqlOperation, CounterFamily>>;

  constructor(private readonly registry: Registry) {
    // Created up front so that HELP and TYPE are exposed before the first statement.
    for (const name of DB_COUNTERS) registry.counter(name);
    this.errors = registry.counter('django_db_errors_total');
    this.models = {
      insert: registry.counter(MODEL_COUNTERS.insert),
      update: registry.counter(MODEL_COUNTERS.update),
      delete: registry.counter(MODEL_COUNTERS.delete),
    };
  }

  /** Series per family before the overflow series (PROMETHEUS cardinality limit). */
  get cardinalityLimit(): number {
    return this.registry.options.cardinalityLimit;
  }

  forAlias(alias: string): AliasSeries {
    let s = this.byAlias.get(alias);
    if (s === undefined) {
      // The Map is bounded by the families' own limit: past it every alias shares the overflow series.
      s = new AliasSeries(alias, this.errors, this.registry);
      if (this.byAlias.size < this.registry.options.cardinalityLimit) this.byAlias.set(alias, s);
    }
    return s;
  }

  model(operation: SqlOperation, table: string): CounterSeries {
    return this.models[operation].labels(table);
  }
}
