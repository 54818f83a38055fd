// Per-statement cost for mysql2 and SQLite: N sequential statements on one connection, timed in-process.
// DB_BENCH_CLIENT = mysql2 | postgres (postgres.js) | better-sqlite3 | node:sqlite | sqlite3 (from SQLITE3_DIR, test/peers/sqlite3); DB_BENCH_MODE = text (SELECT 1) | insert.
// Run it with and without the preload and compare (as db-bench.js does for pg).
'use strict';
const N = Number(process.env.DB_BENCH_N || 20000);
const client = process.env.DB_BENCH_CLIENT || 'better-sqlite3';
const mode = process.env.DB_BENCH_MODE || 'text';

async function runner() {
  if (client === 'mysql2') {
    const mysql = require('mysql2/promise');
    const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' });
    if (mode === 'insert') await c.query('CREATE TEMPORARY TABLE ap_db_bench (v int)');
    return {
      run: (i) => (mode === 'insert' ? c.query('INSERT INTO ap_db_bench (v) VALUES (?)', [i]) : c.query('SELECT 1')),
      close: () => c.end(),
    };
  }
  if (client === 'postgres') {
    const sql = require('postgres')(process.env.AUTOPROM_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test', {
      max: 1,
      onnotice: () => undefined,
    });
    if (mode === 'insert') await sql`CREATE TEMP TABLE ap_db_bench (v int)`;
    return { run: (i) => (mode === 'insert' ? sql`INSERT INTO ap_db_bench (v) VALUES (${i})` : sql`SELECT 1`), close: () => sql.end() };
  }
  if (client === 'sqlite3') {
    const sqlite3 = require(require('node:path').join(process.env.SQLITE3_DIR, 'node_modules', 'sqlite3'));
    const db = new sqlite3.Database(':memory:');
    const call = (method, sql, ...args) =>
      new Promise((resolve, reject) => db[method](sql, ...args, (err) => (err ? reject(err) : resolve())));
    await call('run', 'CREATE TABLE ap_db_bench (v int)');
    return {
      run: (i) => (mode === 'insert' ? call('run', 'INSERT INTO ap_db_bench (v) VALUES (?)', i) : call('get', 'SELECT 1')),
      close: () => new Promise((resolve) => db.close(resolve)),
    };
  }
  const db = client === 'node:sqlite' ? new (require('node:sqlite').DatabaseSync)(':memory:') : new (require('better-sqlite3'))(':memory:');
  db.exec('CREATE TABLE ap_db_bench (v int)');
  const select = db.prepare('SELECT 1');
  const insert = db.prepare('INSERT INTO ap_db_bench (v) VALUES (?)');
  return { run: (i) => (mode === 'insert' ? insert.run(i) : select.get()), close: () => db.close() };
}

async function main() {
  const { run, close } = await runner();
  const sync = client !== 'mysql2' && client !== 'postgres' && client !== 'sqlite3';
  for (let i = 0; i < 2000; i++) await run(i); // warm up
  // CPU time of this process only: the server's share and scheduling noise stay out.
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  if (sync) for (let i = 0; i < N; i++) run(i);
  else for (let i = 0; i < N; i++) await run(i);
  const wall = Number(process.hrtime.bigint() - t0) / 1000 / N;
  const cpu = process.cpuUsage(cpu0);
  await close();
  const cpuUs = (cpu.user + cpu.system) / N;
  process.stdout.write(
    `${JSON.stringify({ client, mode, n: N, cpuUsPerStatement: Number(cpuUs.toFixed(3)), wallUsPerStatement: Number(wall.toFixed(3)) })}\n`,
  );
}
main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
