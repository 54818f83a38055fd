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
import * as dc from 'node:diagnostics_channel';
import { internalError } from '../core/log';
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

/** Subscribers of one SqlClientMetrics to mysql2's channels; `stop()` unsubscribes them. */
export class Mysql2Subscriber {
  // Only the events read are subscribed: a sub-channel with no subscriber costs mysql2 nothing to publish.
  private readonly statementHandlers: Partial<dc.TracingChannelSubscribers<StatementContext>>;
  private readonly connectHandlers: Partial<dc.TracingChannelSubscribers<ConnectContext>>;

  constructor(private readonly metrics: SqlClientMetrics) {
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
      const series = this.metrics.database(mysqlAlias(ctx.database));
      ctx[SERIES] = series;
      series.connectionAttempted();
    } catch (err) {
      internalError('counting a mysql2 connection', err);
    }
  }

  private connectSettled(ctx: ConnectContext): void {
    try {
      if (ctx.error !== undefined && ctx.error !== null) ctx[SERIES]?.connectionFailed();
    } catch (err) {
      internalError('reading a mysql2 connection outcome', err);
    }
  }
}
