/**
 * django_model_* with zero application code for the SQL four ORMs really send (Sequelize,
 * TypeORM, Knex, Drizzle) through pg to the real PostgreSQL. Each ORM step does 2 single
 * inserts, 1 insert of 3 rows, 1 update of a loaded row, 1 bulk update, 1 delete of a
 * loaded row and 1 bulk delete: 3 inserts, 2 updates, 2 deletes of its own table.
 */
import { strict as assert } from 'node:assert';
import { runStep } from './db-sequence';
import { startApp, type RunningApp } from './helpers/child';
import { modelMoves } from './helpers/db-deltas';
import { delta, samplesOf } from './helpers/exposition';
import { requirePostgres } from './helpers/services';

const ORMS: ReadonlyArray<[step: string, table: string]> = [
  ['sequelize', 'ap_orm_seq_users'],
  ['typeorm', 'ap_orm_typeorm_photos'],
  ['knex', 'ap_orm_knex_books'], // schema-qualified: "ap_orm_schema"."ap_orm_knex_books"
  ['drizzle', 'ap_orm_drizzle_pets'],
];

describe('db: ORM model counters from the SQL they send (zero code)', () => {
  let app: RunningApp;
  before(async () => {
    await requirePostgres();
    app = await startApp('db-orm.js');
  });
  after(async () => {
    await app?.stop();
  });

  for (const [orm, table] of ORMS) {
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
      const db = { alias: 'test', vendor: 'postgresql' };
      const executed = delta(before, after, 'django_db_execute_total', db);
      const logged = ((await runStep(app, 'sql')).value as string[]).length;
      // The ORM's own log misses a few internal statements (type lookups at connect), never the reverse.
      assert.ok(executed >= logged && logged > 7, `executed ${executed}, logged ${logged}`);
      assert.equal(delta(before, after, 'django_db_query_duration_seconds_count', db), executed);
      assert.equal(
        samplesOf(after, 'django_db_errors_total').reduce((n, s) => n + s.value, 0),
        0,
      );
    });
  }
});
