import type { Attributes } from '@opentelemetry/api';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import type { IAttributesProcessor, ViewOptions } from '@opentelemetry/sdk-metrics';
import type { AreaContext, AreaSetup } from '../core/area';
import { warn } from '../core/log';
import { boundedView, dropView, renameView } from '../core/otel-views';
import { AUTOPROM_PG_METER, createPgMetricsInstrumentation } from './pg';
import { dbErrorType } from './errors';
import { SqlClientMetrics } from './sql-client';

/** Meter name of @opentelemetry/instrumentation-pg (its package name). */
export const PG_METER = '@opentelemetry/instrumentation-pg';

/** `db.namespace` (the database) → `alias`, `vendor` = postgresql; every other attribute dropped (no host, no SQLSTATE). */
export const pgDurationProcessor: IAttributesProcessor = {
  process(incoming: Attributes): Attributes {
    const db = incoming['db.namespace'];
    return { alias: typeof db === 'string' && db !== '' ? db : 'unknown', vendor: 'postgresql' };
  },
};

/** django_db_* and django_model_* from pg and pg-pool. */
export function setupPg(ctx: AreaContext): AreaSetup {
  const metrics = new SqlClientMetrics(ctx.registry, 'postgresql', dbErrorType);
  // Metrics only: no parent span is needed, no connect spans are made, no values are read.
  const otel = new PgInstrumentation({ requireParentSpan: false, ignoreConnectSpans: true, enhancedDatabaseReporting: false });
  disableOtelPoolCounters(otel);
  // Constructed second, so its module hooks run after instrumentation-pg's and its wrappers sit
  // outside instrumentation-pg's (which re-wraps, and would otherwise unwrap, what it finds).
  const own = createPgMetricsInstrumentation(ctx, metrics, otelDurationRecorder(otel));

  const otelViews: ViewOptions[] = [
    renameView('django_db_query_duration_seconds', { meterName: PG_METER, instrumentName: 'db.client.operation.duration' }, ctx.config, [
      pgDurationProcessor,
    ]),
    // Its pool counters are replaced by autoprom's gauges (see disableOtelPoolCounters).
    dropView({ meterName: PG_METER, instrumentName: 'db.client.connection.*' }),
    // autoprom's pool gauges, bounded by the configured limit like every labelled family.
    boundedView({ meterName: AUTOPROM_PG_METER, instrumentName: '*' }, ctx.config),
  ];
  return { instrumentations: [otel, own], otelViews };
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
