import type { Attributes } from '@opentelemetry/api';
import type { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import type { IAttributesProcessor, ViewOptions } from '@opentelemetry/sdk-metrics';
import { createInstrumentation, type AreaContext, type AreaSetup } from '../core/area';
import { warn } from '../core/log';
import { family, type GaugeName } from '../catalogue';
import { boundedView, dropView, renameView } from '../core/otel-views';
import { exposedName } from '../core/registry';
import { AUTOPROM_PG_METER, createPgMetricsInstrumentation } from './pg';
import { dbErrorType } from './errors';
import { mysqlErrorType } from './errors-mysql';
import { createMysql2ConfigInstrumentation, Mysql2Configs, Mysql2Subscriber } from './mysql2';
import { sqliteErrorType } from './errors-sqlite';
import { createSqliteInstrumentation } from './sqlite';
import { createSqlite3Instrumentation } from './sqlite3';
import { createPostgresJsInstrumentation } from './postgres-js';
import { AUTOPROM_MIGRATIONS_METER, createMigrationsInstrumentation, MigrationWatcher } from './migrations';

import { databaseLabel, SqlClientMetrics } from './sql-client';

/** autoprom's pool gauges (pg.ts), each bounded on its own. */
const POOL_GAUGES: readonly GaugeName[] = [
  'django_db_pool_connections',
  'django_db_pool_pending_requests',
  'django_db_pool_max_connections',
];

/** Meter name of @opentelemetry/instrumentation-pg (its package name). */
export const PG_METER = '@opentelemetry/instrumentation-pg';

/** `db.namespace` (the database) → `alias`, `vendor` = postgresql; every other attribute dropped (no host, no SQLSTATE). */
export const pgDurationProcessor: IAttributesProcessor = {
  process(incoming: Attributes): Attributes {
    const db = incoming['db.namespace'];
    return { alias: databaseLabel(db), vendor: 'postgresql' };
  },
};

/** django_db_* and django_model_* from pg and pg-pool. */
export function setupPg(ctx: AreaContext): AreaSetup {
  const metrics = new SqlClientMetrics(ctx.registry, 'postgresql', dbErrorType);
  // Metrics only: no parent span is needed, no connect spans are made, no values are read.
  const otel = createInstrumentation('instrumentation-pg', 'pg statement durations stay unmeasured', () => {
    const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
    const instrumentation = new PgInstrumentation({ requireParentSpan: false, ignoreConnectSpans: true, enhancedDatabaseReporting: false });
    disableOtelPoolCounters(instrumentation);
    return instrumentation;
  });
  // Constructed second, so its module hooks run after instrumentation-pg's and its wrappers sit
  // outside instrumentation-pg's (which re-wraps, and would otherwise unwrap, what it finds).
  const own = createInstrumentation('pg', 'pg connections, statements, errors and models stay unmeasured', () =>
    createPgMetricsInstrumentation(ctx, metrics, otel === undefined ? undefined : otelDurationRecorder(otel), migrationWatcherOf(ctx)),
  );

  const otelViews: ViewOptions[] = [
    renameView('django_db_query_duration_seconds', { meterName: PG_METER, instrumentName: 'db.client.operation.duration' }, ctx.config, [
      pgDurationProcessor,
    ]),
    // Its pool counters are replaced by autoprom's gauges (see disableOtelPoolCounters).
    dropView({ meterName: PG_METER, instrumentName: 'db.client.connection.*' }),
    // autoprom's pool gauges, bounded by the configured limit like every labelled family.
    ...POOL_GAUGES.map((name) =>
      boundedView({ meterName: AUTOPROM_PG_METER, instrumentName: exposedName(family(name), ctx.config.namespace) }, ctx.config),
    ),
  ];
  return { instrumentations: [otel, own].filter((i) => i !== undefined), otelViews };
}

/**
 * Records into instrumentation-pg's own duration histogram (so one View serves both), for the
 * statements it does not time itself: submittables with no callback (`client.query(new Query(…))`
 * read through events). Undefined when the histogram is not where 0.77 keeps it.
 */
function otelDurationRecorder(otel: PgInstrumentation): ((seconds: number, alias: string) => void) | undefined {
  const holder = otel as unknown as { _operationDuration?: { record?: unknown } };
  if (typeof holder._operationDuration?.record !== 'function') {
    warn('instrumentation-pg changed: submittables without a callback are not timed');
    return undefined;
  }
  return (seconds, alias) => {
    // Read at each call: setMeterProvider replaces the instrument.
    const histogram = holder._operationDuration as { record: (v: number, a: Attributes) => void } | undefined;
    histogram?.record(seconds, { 'db.system.name': 'postgresql', 'db.namespace': alias });
  };
}

/**
 * instrumentation-pg 0.77 keeps one set of pool counts for all pools, so with two pools its
 * gauges go wrong (one pool's deltas land on the other's series), and it updates them on every
 * checkout and release. autoprom reads the pools at collection time instead; this stops
 * instrumentation-pg from adding its listeners to each pool.
 */
function disableOtelPoolCounters(otel: PgInstrumentation): void {
  const target = otel as unknown as { _setPoolConnectEventListeners?: unknown };
  if (typeof target._setPoolConnectEventListeners === 'function') {
    target._setPoolConnectEventListeners = () => undefined;
  } else {
    warn('instrumentation-pg changed: its pool counters stay on (dropped by a View)');
  }
}

/** django_db_* and django_model_* from mysql2, read from its diagnostics channels (no patch, no module hook). */
export function setupMysql2(ctx: AreaContext): AreaSetup {
  if (!Mysql2Subscriber.available()) {
    warn('this Node has no diagnostics_channel.tracingChannel: mysql2 is not measured');
    return {};
  }
  const watcher = migrationWatcherOf(ctx);
  const configs = watcher === undefined ? undefined : new Mysql2Configs();
  const metrics = new SqlClientMetrics(ctx.registry, 'mysql', mysqlErrorType);
  new Mysql2Subscriber(metrics, watcher === undefined || configs === undefined ? undefined : { watcher, configs }).start();
  return configs === undefined ? {} : { instrumentations: [createMysql2ConfigInstrumentation(configs)] };
}

/** django_db_* and django_model_* from better-sqlite3, node:sqlite and sqlite3 (node-sqlite3). */
export function setupSqlite(ctx: AreaContext): AreaSetup {
  const metrics = new SqlClientMetrics(ctx.registry, 'sqlite', sqliteErrorType);
  const watcher = migrationWatcherOf(ctx);
  return { instrumentations: [createSqliteInstrumentation(metrics, watcher), createSqlite3Instrumentation(metrics, watcher)] };
}

/** The migration watcher of a running autoprom, when PROMETHEUS_EXPORT_MIGRATIONS=true (made by setupMigrations). */
const migrationWatchers = new WeakMap<AreaContext, MigrationWatcher>();

export function migrationWatcherOf(ctx: AreaContext): MigrationWatcher | undefined {
  return migrationWatchers.get(ctx);
}

/** The migration gauges (opt-in); the SQL clients set up after it tell it which databases the application connects to. */
export function setupMigrations(ctx: AreaContext): AreaSetup {
  if (!ctx.config.exportMigrations) return {};
  const watcher = new MigrationWatcher(ctx.config.namespace);
  migrationWatchers.set(ctx, watcher);
  return {
    instrumentations: [createMigrationsInstrumentation(watcher)],
    otelViews: [boundedView({ meterName: AUTOPROM_MIGRATIONS_METER, instrumentName: '*' }, ctx.config)],
  };
}

/** django_db_* and django_model_* from postgres.js (vendor postgresql, like pg). */
export function setupPostgresJs(ctx: AreaContext): AreaSetup {
  return {
    instrumentations: [
      createPostgresJsInstrumentation(new SqlClientMetrics(ctx.registry, 'postgresql', dbErrorType), migrationWatcherOf(ctx)),
    ],
  };
}
