// The CPU cost per pg statement of what instruments it, apart from any server round trip (too
// noisy on a shared machine to see a microsecond): pg 8's real Client and Query, on a connection
// that answers every simple query at once (row description, one row, command complete, ready),
// bare, with autoprom's pg patch, and with OpenTelemetry's instrumentation-pg (metrics only, as
// autoprom ran it before 0.2) patched onto the same classes. Promise style (`await
// client.query('SELECT 1')`), as most code. Run it without the preload: it loads autoprom's
// modules itself. Prints µs per statement, interleaved rounds, medians.
'use strict';
const { EventEmitter } = require('node:events');
const pg = require('pg');
const { Registry } = require((process.env.AUTOPROM_DIST || '../../dist') + '/src/core/registry');
const { SqlClientMetrics } = require((process.env.AUTOPROM_DIST || '../../dist') + '/src/db/sql-client');
const { PgPatcher } = require((process.env.AUTOPROM_DIST || '../../dist') + '/src/db/pg');
const { dbErrorType } = require((process.env.AUTOPROM_DIST || '../../dist') + '/src/db/errors');
const { isPatched } = require((process.env.AUTOPROM_DIST || '../../dist') + '/src/core/patch');

const N = Number(process.env.PG_HOOK_N || 100000);
const ROUNDS = Number(process.env.PG_HOOK_ROUNDS || 5);

/** A pg Connection stand-in: every simple query is answered on the next microtask. */
class InstantConnection extends EventEmitter {
  constructor() {
    super();
    this.parsedStatements = {};
    this.submittedNamedStatements = {};
    this.stream = { cork() {}, uncork() {} };
  }
  query() {
    queueMicrotask(() => {
      this.emit('rowDescription', { name: 'rowDescription', fields: [{ name: '?column?', dataTypeID: 23, format: 'text' }] });
      this.emit('dataRow', { name: 'dataRow', fields: ['1'] });
      this.emit('commandComplete', { name: 'commandComplete', text: 'SELECT 1' });
      this.emit('readyForQuery', { name: 'readyForQuery', status: 'I' });
    });
  }
}

function connectedClient() {
  const con = new InstantConnection();
  const client = new pg.Client({ connection: con, database: 'test', user: 'postgres' });
  client._attachListeners(con);
  client._connected = true;
  client.readyForQuery = true;
  return client;
}

async function round() {
  const client = connectedClient();
  for (let i = 0; i < 1000; i++) await client.query('SELECT 1');
  const t = process.cpuUsage();
  for (let i = 0; i < N; i++) await client.query('SELECT 1');
  const c = process.cpuUsage(t);
  return (c.user + c.system) / N;
}

// autoprom's patch, put on and taken off pg's own prototypes between rounds.
const registry = new Registry({ namespace: '', cardinalityLimit: 2000, latencyBuckets: [0.01, 0.1, 1] });
const patcher = new PgPatcher(new SqlClientMetrics(registry, 'postgresql', dbErrorType), '');

// OpenTelemetry's instrumentation-pg on a MeterProvider (metrics only: no TracerProvider), as a zero-code setup runs it.
function otelPg() {
  try {
    const { MeterProvider } = require('@opentelemetry/sdk-metrics');
    const { PgInstrumentation } = require(
      require.resolve('@opentelemetry/instrumentation-pg', { paths: [process.env.OTEL_PG_FROM || __dirname] }),
    );
    const instrumentation = new PgInstrumentation({ enabled: false, requireParentSpan: false, ignoreConnectSpans: true });
    instrumentation.setMeterProvider(new MeterProvider());
    const [definition] = instrumentation.getModuleDefinitions().filter((d) => d.name === 'pg');
    return {
      on: () => {
        instrumentation['_enabled'] = true;
        definition.patch(pg, require('pg/package.json').version);
      },
      off: () => definition.unpatch(pg),
    };
  } catch (err) {
    process.stderr.write(`instrumentation-pg not measured: ${err.message}\n`);
    return undefined;
  }
}

async function main() {
  const otel = otelPg();
  const rows = [];
  for (let r = 0; r < ROUNDS; r++) {
    const bare = await round();
    patcher.patchPg(pg);
    if (!isPatched(pg.Client.prototype.query)) throw new Error("autoprom's pg patch did not apply");
    const autoprom = await round();
    patcher.unpatchPg(pg);
    let opentelemetry = NaN;
    if (otel !== undefined) {
      otel.on();
      opentelemetry = await round();
      otel.off();
    }
    const bare2 = await round();
    const b = (bare + bare2) / 2;
    rows.push({ bare: b, autoprom: autoprom - b, opentelemetry: opentelemetry - b });
  }
  // Proof that the patched rounds were measured: every statement timed once.
  const timed = registry.histogram('django_db_query_duration_seconds').labels('test', 'postgresql');
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const fix = (x) => Number(x.toFixed(3));
  process.stdout.write(
    `${JSON.stringify({
      n: N,
      timedByAutoprom: timed.count ?? null,
      bareCpuUsPerStatement: fix(median(rows.map((x) => x.bare))),
      addedCpuUsPerStatement: {
        autoprom: fix(median(rows.map((x) => x.autoprom))),
        instrumentationPg: fix(median(rows.map((x) => x.opentelemetry))),
      },
      rounds: rows.map((x) => ({ bare: fix(x.bare), autoprom: fix(x.autoprom), instrumentationPg: fix(x.opentelemetry) })),
    })}\n`,
  );
}
main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
