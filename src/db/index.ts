import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { createInstrumentation, type AreaContext, type AreaSetup } from '../core/area';
import { warn } from '../core/log';
import { family, type GaugeName } from '../catalogue';
import { boundedView } from '../core/otel-views';
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

import { SqlClientMetrics } from './sql-client';

/** autoprom's pool gauges (pg.ts), each bounded on its own. */
const POOL_GAUGES: readonly GaugeName[] = [
  'django_db_pool_connections',
  'django_db_pool_pending_requests',
  'django_db_pool_max_connections',
];

/** django_db_* and django_model_* from pg and pg-pool. */
export function setupPg(ctx: AreaContext): AreaSetup {
  const metrics = new SqlClientMetrics(ctx.registry, 'postgresql', dbErrorType);
  // Statement durations too (no OpenTelemetry instrumentation-pg: see pg.ts).
  const own = createInstrumentation('pg', 'pg connections, statements, errors and models stay unmeasured', () =>
    createPgMetricsInstrumentation(ctx, metrics, migrationWatcherOf(ctx)),
  );

  const otelViews: ViewOptions[] = [
    // autoprom's pool gauges, bounded by the configured limit like every labelled family.
    ...POOL_GAUGES.map((name) =>
      boundedView({ meterName: AUTOPROM_PG_METER, instrumentName: exposedName(family(name), ctx.config.namespace) }, ctx.config),
    ),
  ];
  return { instrumentations: own === undefined ? [] : [own], otelViews };
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
