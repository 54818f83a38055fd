/**
 * django_db_* and django_model_* from better-sqlite3 and node:sqlite on a real database file: a
 * scripted sequence of steps in a child app, each asserted by its exact deltas over every db
 * and model series, under --require and --import, and the replies compared with a bare run.
 */
import { strict as assert } from 'node:assert';
import { runStep, type StepReply } from './db-sequence';
import { expectedDbSeries, movedDbSeries, type DbExpect } from './helpers/db-deltas';
import { startApp, type RunningApp } from './helpers/child';

const ALIAS = 'ap_sqlite_test.db';
type Driver = 'better-sqlite3' | 'node:sqlite';

function sequence(driver: Driver): ReadonlyArray<[step: string, expect: DbExpect]> {
  return [
    ['open', { connections: 1, execute: 1 }],
    ['insertRun', { execute: 1, inserts: { ap_sq_items: 1 } }],
    ['backtickUpdate', { execute: 1, updates: { ap_sq_items: 1 } }],
    ['bracketDelete', { execute: 1, deletes: { ap_sq_items: 1 } }],
    ['insertOrReplace', { execute: 2, inserts: { ap_sq_items: 2 } }],
    ['returning', { execute: 1, inserts: { ap_sq_items: 1 } }],
    ['selects', { execute: 3 }],
    ['execMulti', { execute: 1, inserts: { ap_sq_items: 1 }, deletes: { ap_sq_items: 1 } }],
    ['sameStatementTwice', { execute: 2, updates: { ap_sq_items: 2 } }],
    ['uniqueViolation', { execute: 1, errors: { IntegrityError: 1 } }],
    ['notNull', { execute: 1, errors: { IntegrityError: 1 } }],
    ['noSuchTable', { execute: 1, errors: { OperationalError: 1 } }],
    ['syntaxError', { execute: 1, errors: { OperationalError: 1 } }],
    driver === 'better-sqlite3'
      ? ['transaction', { execute: 3, inserts: { ap_sq_items: 1 } }]
      : ['openLater', { alias: 'ap_later.db', connections: 1, execute: 1 }],
    ['memoryDb', { alias: ':memory:', connections: 1, execute: 1 }],
    ['openFailure', { alias: 'x.db', connections: 1, connectionErrors: 1 }],
    ['cleanup', { execute: 1 }],
  ];
}

for (const driver of ['better-sqlite3', 'node:sqlite'] as const) {
  const env = { AUTOPROM_TEST_SQLITE_DRIVER: driver };
  const steps = sequence(driver);
  let bare: StepReply[] | undefined;

  describe(`db: ${driver} replies without autoprom (the reference)`, () => {
    it('runs the sequence bare', async () => {
      const app = await startApp('db-sqlite.js', { preload: 'none', env });
      try {
        bare = [];
        for (const [step] of steps) bare.push(await runStep(app, step));
      } finally {
        await app.stop();
      }
    });
  });

  for (const preload of ['require', 'import'] as const) {
    const script = preload === 'require' ? 'db-sqlite.js' : 'db-sqlite.mjs';
    describe(`db: ${driver} under --${preload} (${script})`, () => {
      let app: RunningApp;
      before(async () => {
        app = await startApp(script, { preload, env });
      });
      after(async () => {
        await app?.stop();
      });

      steps.forEach(([step, expect], index) => {
        it(`${step} moves exactly its series`, async () => {
          const { before, result: reply, after } = await app.around(() => runStep(app, step));
          assert.equal(
            reply.error !== undefined,
            expect.errors !== undefined || expect.connectionErrors !== undefined,
            JSON.stringify(reply),
          );
          if (bare !== undefined) assert.deepEqual(reply, bare[index], 'the same reply as without autoprom');
          assert.deepEqual(movedDbSeries(before, after), expectedDbSeries(expect, 'sqlite', ALIAS));
        });
      });

      it('nothing on stderr (but Node 22 warning that node:sqlite is experimental)', () => {
        // On Node 22 the module hook's thread loads node:sqlite too, and Node warns there once more.
        const nodeWarning =
          /^\(node:\d+\) ExperimentalWarning: SQLite is an experimental feature.*\n\(Use `node --trace-warnings \.\.\.` to show where the warning was created\)\n/gm;
        assert.equal(app.stderr().replace(nodeWarning, ''), '');
      });
    });
  }
}
