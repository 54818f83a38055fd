// Applies migrations in the current directory's project (run without autoprom, as a deploy step
// would): Knex `migrations/` (2 of its 3 files, one `up` at a time) and, on SQLite, Drizzle's
// `drizzle/` journal (its 2 entries), then adds a 3rd journal entry that stays unapplied, and one
// TypeORM migration class.
// AUTOPROM_TEST_MIG_DB = sqlite (file AUTOPROM_TEST_MIG_FILE) | postgresql (AUTOPROM_TEST_MIG_PG_URL) | mysql
// (database ap_migrations, made afresh).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const db = process.env.AUTOPROM_TEST_MIG_DB;
  const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'ap_migrations' };
  if (db === 'mysql') {
    const admin = await require('mysql2/promise').createConnection({ ...MYSQL, database: undefined });
    await admin.query('DROP DATABASE IF EXISTS ap_migrations');
    await admin.query('CREATE DATABASE ap_migrations');
    await admin.end();
  }
  const knex = require('knex')(
    db === 'sqlite'
      ? { client: 'better-sqlite3', connection: { filename: process.env.AUTOPROM_TEST_MIG_FILE }, useNullAsDefault: true }
      : db === 'mysql'
        ? { client: 'mysql2', connection: MYSQL }
        : { client: 'pg', connection: process.env.AUTOPROM_TEST_MIG_PG_URL },
  );
  try {
    await knex.migrate.up({ directory: 'migrations' });
    await knex.migrate.up({ directory: 'migrations' });
  } finally {
    await knex.destroy();
  }
  if (db === 'sqlite') {
    const Database = require('better-sqlite3');
    const { drizzle } = require('drizzle-orm/better-sqlite3');
    const { migrate } = require('drizzle-orm/better-sqlite3/migrator');
    const file = new Database(process.env.AUTOPROM_TEST_MIG_FILE);
    migrate(drizzle(file), { migrationsFolder: 'drizzle' });
    file.close();
    // TypeORM: one migration class, run by its DataSource (it has no default folder: applied only).
    const { DataSource } = require('typeorm');
    class ApMigA1700000000000 {
      name = 'ApMigA1700000000000';
      async up(q) {
        await q.query('CREATE TABLE ap_mig_to_a (id integer)');
      }
      async down(q) {
        await q.query('DROP TABLE ap_mig_to_a');
      }
    }
    const ds = new DataSource({ type: 'better-sqlite3', database: process.env.AUTOPROM_TEST_MIG_FILE, migrations: [ApMigA1700000000000] });
    await ds.initialize();
    await ds.runMigrations();
    await ds.destroy();
    const journalPath = path.join('drizzle', 'meta', '_journal.json');
    const journal = JSON.parse(fs.readFileSync(journalPath, 'utf8'));
    journal.entries.push({ idx: 2, version: '6', when: 1700000002000, tag: '0002_c', breakpoints: true });
    fs.writeFileSync(journalPath, JSON.stringify(journal));
    fs.writeFileSync(path.join('drizzle', '0002_c.sql'), 'CREATE TABLE ap_mig_dz_c (id integer);');
  }
}
main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
