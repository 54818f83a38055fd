// Per-statement cost: N sequential `SELECT 1` on one pg client, promise style, timed in-process.
// Run it with and without the preload (and with OTEL_NODE_DISABLED_INSTRUMENTATIONS) and compare.
'use strict';
const pg = require('pg');

const N = Number(process.env.DB_BENCH_N || 20000);
const PG_URL = process.env.AUTOPROM_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function main() {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const mode = process.env.DB_BENCH_MODE || 'text';
  const run = (i) => (mode === 'insert' ? client.query('INSERT INTO ap_db_bench (v) VALUES ($1)', [i]) : client.query('SELECT 1'));
  if (mode === 'insert') await client.query('CREATE TEMP TABLE ap_db_bench (v int)');
  for (let i = 0; i < 2000; i++) await run(i); // warm up
  // CPU time of this process only: the server's share and scheduling noise stay out.
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await run(i);
  const wall = Number(process.hrtime.bigint() - t0) / 1000 / N;
  const cpu = process.cpuUsage(cpu0);
  await client.end();
  const cpuUs = (cpu.user + cpu.system) / N;
  process.stdout.write(
    `${JSON.stringify({ mode, n: N, cpuUsPerStatement: Number(cpuUs.toFixed(2)), wallUsPerStatement: Number(wall.toFixed(2)) })}\n`,
  );
}
main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
