// The CPU cost of autoprom's per-statement work for mysql2 and postgres.js, apart from any server
// round trip (too noisy on a shared machine to see a microsecond): mysql2's own TracingChannel
// path (what its statements run once a subscriber exists) with autoprom's subscriber against no
// subscriber, and postgres.js's wrapped execute/resolve against the bare functions. Run it without
// the preload: it loads autoprom's modules itself. Prints µs per statement, interleaved, 5 rounds.
'use strict';
const dc = require('node:diagnostics_channel');
const { Registry } = require('../../dist/src/core/registry');
const { SqlClientMetrics } = require('../../dist/src/db/sql-client');
const { Mysql2Subscriber } = require('../../dist/src/db/mysql2');
const { mysqlErrorType } = require('../../dist/src/db/errors-mysql');
const { PostgresJsPatcher } = require('../../dist/src/db/postgres-js');
const { dbErrorType } = require('../../dist/src/db/errors');

const N = Number(process.env.DB_HOOK_N || 1000000);
const registry = new Registry({ namespace: '', cardinalityLimit: 2000, latencyBuckets: [0.01, 0.1, 1] });
const channel = dc.tracingChannel('mysql2:query');
const SQL = 'INSERT INTO `ap_items` (`name`) VALUES (?)';

function mysql2Round() {
  // As mysql2 3.24's query(): shouldTrace, then traceCallback with its context factory.
  let n = 0;
  const done = () => n++;
  const t = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    if (channel.hasSubscribers) {
      channel.traceCallback(
        (cb) => cb(null, i),
        0,
        { query: SQL, values: [i], database: 'test', serverAddress: '127.0.0.1', serverPort: 3306 },
        null,
        done,
      );
    } else done(null, i);
  }
  const c = process.cpuUsage(t);
  return (c.user + c.system) / N;
}

function postgresRound(wrapped) {
  const patcher = new PostgresJsPatcher(new SqlClientMetrics(registry, 'postgresql', dbErrorType));
  const factory = () => ({
    connect() {},
    execute(q) {
      q.resolve(1);
      return true;
    },
  });
  const make = wrapped ? patcher.wrapConnectionFactory(factory) : factory;
  const connection = make({ database: 'test' });
  const t = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    connection.execute({ string: 'insert into ap_items (name) values ($1)', resolve() {}, reject() {} });
  }
  const c = process.cpuUsage(t);
  return (c.user + c.system) / N;
}

const subscriber = new Mysql2Subscriber(new SqlClientMetrics(registry, 'mysql', mysqlErrorType));
const rows = [];
for (let round = 0; round < 5; round++) {
  const bare = mysql2Round();
  subscriber.start();
  const measured = mysql2Round();
  subscriber.stop();
  rows.push({ mysql2: Number((measured - bare).toFixed(3)), postgresJs: Number((postgresRound(true) - postgresRound(false)).toFixed(3)) });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
process.stdout.write(
  `${JSON.stringify({ n: N, addedCpuUsPerStatement: { mysql2: median(rows.map((r) => r.mysql2)), postgresJs: median(rows.map((r) => r.postgresJs)) }, rounds: rows })}\n`,
);
