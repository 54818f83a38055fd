import type { Attributes } from '@opentelemetry/api';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { AggregationType, type IAttributesProcessor, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { family } from '../catalogue';
import type { AreaContext, AreaSetup } from '../core/area';
import { warn } from '../core/log';
import { exposedName, resolveBuckets } from '../core/registry';
import { AUTOPROM_PG_METER, createPgMetricsInstrumentation } from './pg';
import { DbSeries, VENDOR } from './series';

/** Meter name of @opentelemetry/instrumentation-pg (its package name). */
export const PG_METER = '@opentelemetry/instrumentation-pg';

/** `db.namespace` (the database) → `alias`, `vendor` = postgresql; every other attribute dropped (no host, no SQLSTATE). */
export const pgDurationProcessor: IAttributesProcessor = {
  process(incoming: Attributes): Attributes {
    const db = incoming['db.namespace'];
    return { alias: typeof db === 'string' && db !== '' ? db : 'unknown', vendor: VENDOR };
  },
};

/** django_db_* and django_model_* from pg and pg-pool. */
export function setupPg(ctx: AreaContext): AreaSetup {
  const series = new DbSeries(ctx.registry);
  // Metrics only: no parent span is needed, no connect spans are made, no values are read.
  const otel = new PgInstrumentation({ requireParentSpan: false, ignoreConnectSpans: true, enhancedDatabaseReporting: false });
  disableOtelPoolCounters(otel);
  // Constructed second, so its module hooks run after instrumentation-pg's and its wrappers sit
  // outside instrumentation-pg's (which re-wraps, and would otherwise unwrap, what it finds).
  const own = createPgMetricsInstrumentation(ctx, series, otelDurationRecorder(otel));

  const duration = family('django_db_query_duration_seconds');
  const views: ViewOptions[] = [
    {
      meterName: PG_METER,
      instrumentName: 'db.client.operation.duration',
      name: exposedName(duration, ctx.config.namespace),
      description: duration.help,
      attributesProcessors: [pgDurationProcessor],
      aggregation: {
        type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
        options: { boundaries: [...resolveBuckets(duration.buckets, ctx.config.latencyBuckets)], recordMinMax: false },
      },
      aggregationCardinalityLimit: ctx.config.cardinalityLimit,
    },
    // Its pool counters are replaced by autoprom's gauges (see disableOtelPoolCounters).
    { meterName: PG_METER, instrumentName: 'db.client.connection.*', aggregation: { type: AggregationType.DROP } },
    // autoprom's pool gauges, bounded by the configured limit like every labelled family.
    { meterName: AUTOPROM_PG_METER, instrumentName: '*', aggregationCardinalityLimit: ctx.config.cardinalityLimit },
  ];
  return { instrumentations: [otel, own], views };
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
