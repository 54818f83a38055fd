/**
 * django_model_* and django_db_* with zero application code for Prisma 7 over the real PostgreSQL,
 * through its pg driver adapter (`@prisma/adapter-pg`, which sends every statement through pg).
 * Prisma comes from `test/peers/prisma7`, installed on demand. The step does 2 single creates,
 * 1 createMany of 3 rows, 1 update, 1 updateMany, 1 delete and 1 deleteMany (plus its table's
 * DROP/CREATE/DROP and a count): 11 statements, 3 inserts, 2 updates, 2 deletes. A duplicate
 * primary key is the UniqueViolation psycopg2 would name, while the application sees Prisma's P2002.
 */
import { strict as assert } from 'node:assert';
import { runStep } from './db-sequence';
import { PRELOAD_MODES, startApp, type RunningApp } from './helpers/child';
import { modelMoves } from './helpers/db-deltas';
import { delta, samplesOf } from './helpers/exposition';
import { ensurePrisma } from './helpers/peers';
import { requirePostgres } from './helpers/services';

const TABLE = 'ap_orm_prisma_posts';

for (const mode of PRELOAD_MODES) {
  describe(`db: Prisma 7 model counters over PostgreSQL (@prisma/adapter-pg), ${mode.title}`, function () {
    this.timeout(360000);
    let app: RunningApp;
    before(async () => {
      await requirePostgres();
      const dir = ensurePrisma();
      app = await startApp(mode.esm ? 'db-prisma.mjs' : 'db-prisma.js', { preload: mode.preload, env: { PRISMA_DIR: dir } });
    });
    after(async () => {
      await app?.stop();
    });

    it(`exactly 3 inserts, 2 updates, 2 deletes of ${TABLE}; 11 statements executed and timed, 1 connection, no error`, async () => {
      const before = await app.scrape();
      const reply = await runStep(app, 'prisma');
      const after = await app.scrape();
      assert.deepEqual(reply, { value: 2 }, 'rows left after the scripted operations');
      assert.deepEqual(modelMoves(before, after), {
        [`django_model_inserts_total ${TABLE}`]: 3,
        [`django_model_updates_total ${TABLE}`]: 2,
        [`django_model_deletes_total ${TABLE}`]: 2,
      });
      const logged = (await runStep(app, 'sql')).value as string[];
      // Prisma's own query log lists every statement it sent: each is counted and timed once.
      assert.equal(logged.length, 11, logged.join('\n'));
      const db = { alias: 'test', vendor: 'postgresql' };
      assert.equal(delta(before, after, 'django_db_execute_total', db), 11);
      assert.equal(delta(before, after, 'django_db_query_duration_seconds_count', db), 11);
      assert.equal(delta(before, after, 'django_db_new_connections_total', db), 1);
      assert.equal(
        samplesOf(after, 'django_db_errors_total').reduce((n, s) => n + s.value, 0),
        0,
      );
      assert.equal(app.stderr(), '');
    });

    it('a duplicate key: the application sees the same P2002 as without autoprom; errors{type="UniqueViolation"} +1, 5 statements', async () => {
      const before = await app.scrape();
      const reply = await runStep(app, 'duplicate');
      const after = await app.scrape();
      assert.deepEqual(reply, await bareReply('duplicate', mode.esm));
      assert.deepEqual(reply, { value: { name: 'PrismaClientKnownRequestError', code: 'P2002' } });
      const db = { alias: 'test', vendor: 'postgresql' };
      assert.equal(delta(before, after, 'django_db_errors_total', { ...db, type: 'UniqueViolation' }), 1);
      assert.equal(
        samplesOf(after, 'django_db_errors_total').reduce((n, s) => n + s.value, 0),
        1,
      );
      assert.equal(delta(before, after, 'django_db_execute_total', db), 5);
      assert.deepEqual(modelMoves(before, after), { [`django_model_inserts_total ${TABLE}`]: 1 });
    });
  });
}

/** What the same step replies in an app without autoprom. */
async function bareReply(step: string, esm: boolean): Promise<unknown> {
  const bare = await startApp(esm ? 'db-prisma.mjs' : 'db-prisma.js', { preload: 'none', env: { PRISMA_DIR: ensurePrisma() } });
  try {
    return await runStep(bare, step);
  } finally {
    await bare.stop();
  }
}
