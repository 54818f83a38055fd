/**
 * django_model_* with zero application code for the SQL the ORMs send over MySQL (mysql2, real
 * MariaDB) and SQLite (a real file: better-sqlite3, and node-sqlite3 for Sequelize). Each ORM step does 2 single inserts, 1 insert
 * of 3 rows, 1 update of a loaded row, 1 bulk update, 1 delete of a loaded row and 1 bulk delete:
 * 3 inserts, 2 updates, 2 deletes of its own table.
 */
import { strict as assert } from 'node:assert';
import { runStep } from './db-sequence';
import { startApp, type RunningApp } from './helpers/child';
import { modelMoves } from './helpers/db-deltas';
import { delta, samplesOf } from './helpers/exposition';
import { ensureSqlite3 } from './helpers/peers';
import { requireMysql } from './helpers/services';

const DATABASES: ReadonlyArray<[db: 'mysql' | 'sqlite', alias: string, orms: ReadonlyArray<[string, string]>]> = [
  [
    'mysql',
    'test',
    [
      ['sequelize', 'ap_orm_seq_users'],
      ['typeorm', 'ap_orm_typeorm_photos'],
      ['knex', 'ap_orm_knex_books'], // schema-qualified: `test`.`ap_orm_knex_books`
      ['drizzle', 'ap_orm_drizzle_pets'],
    ],
  ],
  [
    'sqlite',
    'ap_orm.db',
    [
      ['sequelize', 'ap_orm_seq_users'],
      ['typeorm', 'ap_orm_typeorm_photos'],
      ['knex', 'ap_orm_knex_books'],
      ['drizzle', 'ap_orm_drizzle_pets'],
    ],
  ],
];

for (const [db, alias, orms] of DATABASES) {
  const vendor = db;
  describe(`db: ORM model counters over ${db === 'mysql' ? 'MySQL (mysql2, MariaDB)' : 'SQLite (better-sqlite3; sqlite3 for Sequelize)'} (zero code)`, function () {
    // SQLite's Sequelize needs node-sqlite3, compiled on its first install (test/peers/sqlite3).
    this.timeout(600000);
    let app: RunningApp;
    before(async () => {
      if (db === 'mysql') await requireMysql();
      const sqlite3 = db === 'sqlite' ? ensureSqlite3() : undefined;
      app = await startApp('db-orm-vendors.js', { env: { AUTOPROM_TEST_ORM_DB: db, SQLITE3_DIR: sqlite3 } });
    });
    after(async () => {
      await app?.stop();
    });

    for (const [orm, table] of orms) {
      it(`${orm}: exactly 3 inserts, 2 updates, 2 deletes of ${table}, no error, every statement timed once`, async () => {
        const before = await app.scrape();
        const reply = await runStep(app, orm);
        const after = await app.scrape();
        assert.deepEqual(reply, { value: 2 }, 'rows left after the scripted operations');
        assert.deepEqual(modelMoves(before, after), {
          [`django_model_inserts_total ${table}`]: 3,
          [`django_model_updates_total ${table}`]: 2,
          [`django_model_deletes_total ${table}`]: 2,
        });
        const labels = { alias, vendor };
        const executed = delta(before, after, 'django_db_execute_total', labels);
        const logged = ((await runStep(app, 'sql')).value as string[]).length;
        // The ORM's own log misses a few internal statements (version and schema lookups at connect), never the reverse.
        assert.ok(executed >= logged && logged > 7, `executed ${executed}, logged ${logged}`);
        assert.equal(delta(before, after, 'django_db_query_duration_seconds_count', labels), executed);
        assert.equal(
          samplesOf(after, 'django_db_errors_total').reduce((n, s) => n + s.value, 0),
          0,
        );
      });
    }
  });
}
