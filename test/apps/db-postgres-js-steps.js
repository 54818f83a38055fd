// Scripted postgres.js steps against the real PostgreSQL; CommonJS and ES module apps pass in the
// postgres they loaded their own way (postgres.js ships one copy for each).
'use strict';

const PG_URL = process.env.AUTOPROM_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const quiet = { onnotice: () => undefined };

function makePostgresJsSteps(postgres) {
  // One connection: statement errors keep it, so connection counts are exact.
  const sql = postgres(PG_URL, { max: 1, ...quiet });
  const once = async (options) => {
    const other = postgres({ ...options, ...quiet, max: 1, connect_timeout: 5 });
    try {
      return await other`SELECT 1`;
    } finally {
      await other.end({ timeout: 0 });
    }
  };
  return {
    // 2 statements, 1 connection (postgres.js's own type lookup at connect is not the application's).
    async ddl() {
      await sql`DROP TABLE IF EXISTS ap_pj_items`;
      await sql`CREATE TABLE ap_pj_items (id serial PRIMARY KEY, name text UNIQUE)`;
    },
    // Tagged template with 3 parameters: 1 insert.
    async taggedInsert() {
      return (await sql`INSERT INTO ap_pj_items (name) VALUES (${'a'}), (${'b'}), (${'c'})`).count;
    },
    // sql.unsafe with parameters, quoted table: 1 update.
    async unsafeUpdate() {
      return (await sql.unsafe('UPDATE "ap_pj_items" SET name = $1 WHERE name = $2', ['b2', 'b'])).count;
    },
    // RETURNING, read as rows: 1 insert.
    async returning() {
      return (await sql`INSERT INTO public.ap_pj_items (name) VALUES ('r') RETURNING id`).length;
    },
    // sql.begin: BEGIN, a delete, an insert, COMMIT.
    async transaction() {
      await sql.begin(async (tx) => {
        await tx`DELETE FROM ap_pj_items WHERE name = ${'c'}`;
        await tx`INSERT INTO ap_pj_items (name) VALUES ('t')`;
      });
    },
    async uniqueViolation() {
      return sql`INSERT INTO ap_pj_items (name) VALUES (${'a'})`;
    },
    async undefinedTable() {
      return sql`DELETE FROM ap_pj_nope`;
    },
    async syntaxError() {
      return sql.unsafe('UPDATE ap_pj_items SETT name = 1');
    },
    // A refused connection: 1 attempt, 1 failure for alias ap_refused, no statement.
    async refused() {
      return once({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'ap_refused' });
    },
    // A database that does not exist (3D000 at connect).
    async wrongDatabase() {
      return once({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'ap_no_such_db' });
    },
    async cleanup() {
      await sql`DROP TABLE IF EXISTS ap_pj_items`;
    },
  };
}

module.exports = { makePostgresJsSteps };
