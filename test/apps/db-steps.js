// Scripted pg steps for the database tests. CommonJS and ES module apps both pass in the pg
// they loaded their own way, so the same steps run under --require and --import.
'use strict';
const http = require('node:http');

const PG_URL = process.env.AUTOPROM_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** What an error looks like to the application (compared with and without autoprom). */
function describeError(err) {
  if (err === null || typeof err !== 'object') return { thrown: String(err) };
  return { class: err.constructor && err.constructor.name, name: err.name, message: err.message, code: err.code, severity: err.severity };
}

function makeSteps(pg) {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 5, idleTimeoutMillis: 0 });
  const held = [];
  let second;
  const queryCb = (q, text, values) =>
    new Promise((resolve, reject) => q.query(text, values, (err, res) => (err ? reject(err) : resolve(res))));

  async function withClient(fn) {
    const client = await pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  const steps = {
    // 4 statements through pool.query, 1 new pool connection.
    async ddl() {
      await pool.query('DROP TABLE IF EXISTS ap_db_items');
      await pool.query('DROP SCHEMA IF EXISTS ap_db_schema CASCADE');
      await pool.query('CREATE TABLE ap_db_items (id serial PRIMARY KEY, name text UNIQUE)');
      await pool.query('CREATE SCHEMA ap_db_schema; CREATE TABLE ap_db_schema."Ap Quoted" (v int)');
    },
    // 1 statement, 1 insert (3 rows).
    async multiRowInsert() {
      const r = await pool.query('INSERT INTO ap_db_items (name) VALUES ($1), ($2), ($3)', ['a', 'b', 'c']);
      return r.rowCount;
    },
    // A client from pool.connect(), promise style: 1 insert with RETURNING.
    async returningInsert() {
      return withClient(async (c) => (await c.query('INSERT INTO "ap_db_items" ("name") VALUES ($1) RETURNING "id"', ['d'])).rows.length);
    },
    // Callback style on a pool client: 1 update.
    async callbackUpdate() {
      return withClient(async (c) => (await queryCb(c, 'UPDATE ap_db_items SET name = $1 WHERE name = $2', ['b2', 'b'])).rowCount);
    },
    // Named prepared statement, three times (the third by name alone): 3 updates.
    async preparedUpdate() {
      return withClient(async (c) => {
        const q = { name: 'ap_db_touch', text: 'UPDATE public.ap_db_items SET name = name WHERE id = $1', values: [1] };
        await c.query(q);
        await c.query({ ...q, values: [2] });
        await c.query({ name: 'ap_db_touch', values: [3] });
      });
    },
    // Schema-qualified and quoted: 1 insert, 1 update, 1 delete of model "Ap Quoted".
    async quoted() {
      await pool.query('INSERT INTO ap_db_schema."Ap Quoted" (v) VALUES (1)');
      await pool.query('UPDATE "ap_db_schema"."Ap Quoted" SET v = 2');
      await pool.query('/* leading comment */ DELETE FROM ONLY ap_db_schema."Ap Quoted" WHERE v = 2');
    },
    // A 63-byte table name written with 3 more characters (PostgreSQL truncates it): 1 insert of the stored name.
    async longName() {
      const stored = `ap_long_${'l'.repeat(55)}`;
      await pool.query(`CREATE TABLE ap_db_schema.${stored} (v int)`);
      return (await pool.query(`INSERT INTO ap_db_schema."${stored}xyz" (v) VALUES (1)`)).rowCount;
    },
    // WITH … INSERT and a data-modifying CTE: 1 insert; then 1 delete + 1 insert.
    async withInsert() {
      await pool.query("WITH src AS (SELECT 'w1' AS name) INSERT INTO ap_db_items (name) SELECT name FROM src");
      await pool.query(
        "WITH gone AS (DELETE FROM ap_db_items WHERE name = 'w1' RETURNING name) INSERT INTO ap_db_items (name) SELECT name || 'x' FROM gone",
      );
    },
    // One text, three statements: 1 insert, 1 update, 1 delete, 1 execute.
    async multiStatement() {
      await pool.query(
        "INSERT INTO ap_db_items (name) VALUES ('m1'); UPDATE ap_db_items SET name = 'm2' WHERE name = 'm1'; DELETE FROM ap_db_items WHERE name = 'm2'",
      );
    },
    // ON CONFLICT upsert: 1 insert.
    async upsert() {
      await pool.query('INSERT INTO ap_db_items (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = excluded.name', ['a']);
    },
    // 23505 on a pool client, promise style (no model counted).
    async uniqueViolation() {
      return withClient((c) => c.query('INSERT INTO ap_db_items (name) VALUES ($1)', ['a']));
    },
    // 42P01, promise style on a pool client.
    async undefinedTable() {
      return withClient((c) => c.query('DELETE FROM ap_db_nope'));
    },
    // 42601, callback style.
    async syntaxError() {
      return withClient((c) => queryCb(c, 'UPDATE ap_db_items SETT name = 1', []));
    },
    // 22012 through pool.query.
    async divisionByZero() {
      return pool.query('SELECT 1/0');
    },
    // A bare pg.Client: 1 connection, 2 statements (1 delete), promise connect.
    async bareClient() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query('SELECT 1');
        return (await c.query("DELETE FROM ap_db_items WHERE name = 'c'")).rowCount;
      } finally {
        await c.end();
      }
    },
    // A bare pg.Client connected with a callback.
    async bareClientCallback() {
      const c = new pg.Client({ connectionString: PG_URL });
      await new Promise((resolve, reject) => c.connect((err) => (err ? reject(err) : resolve())));
      await c.end();
    },
    // Submittables: a Query with no callback (events), and one with a callback: 2 deletes.
    async submittable() {
      return withClient(async (c) => {
        const q = c.query(new pg.Query('DELETE FROM ap_db_items WHERE name = $1', ['zz']));
        await new Promise((resolve, reject) => q.on('end', resolve).on('error', reject));
        await new Promise((resolve, reject) =>
          c.query(new pg.Query('DELETE FROM ap_db_items WHERE name = $1', ['zz'], (err) => (err ? reject(err) : resolve()))),
        );
      });
    },
    // Refused connection, promise and callback styles: 2 attempts, 2 failures for alias ap_refused.
    async refused() {
      const errors = [];
      const a = new pg.Client({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'ap_refused' });
      await a.connect().catch((e) => errors.push(describeError(e)));
      const b = new pg.Client({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'ap_refused' });
      await new Promise((resolve) => b.connect((e) => resolve(errors.push(describeError(e)))));
      return errors;
    },
    // A connection string mis-read by pg: a password with '/' makes the rest of it the database name.
    async secretInUrl() {
      const p = new pg.Pool({ connectionString: 'postgres://127.0.0.1:1/SECRETPW2@127.0.0.1:5439/ap_secret' });
      try {
        return await p.query('SELECT 1');
      } finally {
        await p.end();
      }
    },
    // A pool that cannot connect: pool.query fails with the connection error, no statement.
    async refusedPool() {
      const p = new pg.Pool({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'ap_refused' });
      try {
        return await p.query('SELECT 1');
      } finally {
        await p.end();
      }
    },
    // A database that does not exist (3D000 at connect).
    async wrongDatabase() {
      const c = new pg.Client({ connectionString: PG_URL.replace(/\/[^/]*$/, '/ap_no_such_db') });
      return c.connect();
    },
    // Pool gauges: two clients held from the main pool, one idle client in a second pool on another database.
    async poolGauges() {
      held.push(await pool.connect(), await pool.connect());
      second = new pg.Pool({ connectionString: PG_URL.replace(/\/[^/]*$/, '/postgres'), max: 4, idleTimeoutMillis: 0 });
      (await second.connect()).release();
    },
    async poolGaugesRelease() {
      for (const c of held.splice(0)) c.release();
      await second.end();
    },
    // Failures the application never handles: each must still reach 'unhandledRejection', as without autoprom.
    async unhandled() {
      const seen = [];
      const onUnhandled = (reason) => seen.push(describeError(reason));
      process.on('unhandledRejection', onUnhandled);
      pool.query('SELECT 1/0');
      new pg.Client({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'ap_refused' }).connect();
      const c = await pool.connect();
      c.query('SELECT * FROM ap_db_nope');
      await new Promise((resolve) => setTimeout(resolve, 500));
      c.release();
      process.off('unhandledRejection', onUnhandled);
      return seen.sort((a, b) => String(a.code).localeCompare(String(b.code)));
    },
    async cleanup() {
      await pool.query('DROP TABLE IF EXISTS ap_db_items');
      await pool.query('DROP SCHEMA IF EXISTS ap_db_schema CASCADE');
    },
  };
  return { steps, pool };
}

/** Serve `GET /step/<name>`: runs one step and answers {value} or {error}. Prints READY. */
function serveSteps(steps) {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url || '').replace(/^\/step\//, ''));
    const step = steps[name];
    const reply = (body) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (step === undefined) {
      res.statusCode = 404;
      return reply({ error: { message: `no step ${name}` } });
    }
    Promise.resolve()
      .then(() => step())
      .then(
        (value) => reply({ value: value === undefined ? null : value }),
        (err) => reply({ error: describeError(err) }),
      );
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`));
  return server;
}

module.exports = { makeSteps, serveSteps, describeError };
