/**
 * django_db_* and django_model_* from mysql2 against the real MariaDB: a scripted sequence of
 * steps in a child app, each asserted by its exact deltas over every db and model series
 * (anything not listed must not move), under --require and --import, and the application's
 * replies compared with a run without autoprom.
 */
import { strict as assert } from 'node:assert';
import { runStep, type StepReply } from './db-sequence';
import { expectedDbSeries, movedDbSeries, type DbExpect } from './helpers/db-deltas';
import { startApp, type RunningApp } from './helpers/child';
import { requireMysql } from './helpers/services';

const SEQUENCE: ReadonlyArray<[step: string, expect: DbExpect, errorCode?: string]> = [
  ['ddl', { connections: 1, execute: 2 }],
  ['backtickInsert', { execute: 1, inserts: { ap_my_items: 1 } }],
  ['promiseExecute', { connections: 1, execute: 1, updates: { ap_my_items: 1 } }],
  ['promisePool', { execute: 1, deletes: { ap_my_items: 1 } }],
  ['upsertReplace', { execute: 2, inserts: { ap_my_items: 2 } }],
  ['escapes', { execute: 1, updates: { ap_my_items: 1 } }],
  ['modifiers', { execute: 2, inserts: { ap_my_items: 1 }, deletes: { ap_my_items: 1 } }],
  ['multiStatement', { connections: 1, execute: 1, inserts: { ap_my_items: 1 }, deletes: { ap_my_items: 1 } }],
  ['dupEntry', { execute: 1, errors: { IntegrityError: 1 } }, 'ER_DUP_ENTRY'],
  ['noSuchTable', { execute: 1, errors: { ProgrammingError: 1 } }, 'ER_NO_SUCH_TABLE'],
  ['parseError', { execute: 1, errors: { ProgrammingError: 1 } }, 'ER_PARSE_ERROR'],
  ['badField', { execute: 1, errors: { OperationalError: 1 } }, 'ER_BAD_FIELD_ERROR'],
  ['badNull', { execute: 1, errors: { IntegrityError: 1 } }, 'ER_BAD_NULL_ERROR'],
  ['dataTooLong', { execute: 1, errors: { DataError: 1 } }, 'ER_DATA_TOO_LONG'],
  ['executeError', { execute: 1, errors: { ProgrammingError: 1 } }, 'ER_NO_SUCH_TABLE'],
  ['refused', { alias: 'ap_refused', connections: 1, connectionErrors: 1 }, 'ECONNREFUSED'],
  ['wrongDatabase', { alias: 'ap_no_such_db', connections: 1, connectionErrors: 1 }, 'ER_BAD_DB_ERROR'],
  ['cleanup', { execute: 1 }],
];

/** The replies of the whole sequence without autoprom: what the application must see with it too. */
let bareReplies: StepReply[] | undefined;

describe('db: mysql2 replies without autoprom (the reference)', () => {
  it('runs the sequence bare', async () => {
    await requireMysql();
    const app = await startApp('db-mysql2.js', { preload: 'none' });
    try {
      bareReplies = [];
      for (const [step] of SEQUENCE) bareReplies.push(await runStep(app, step));
    } finally {
      await app.stop();
    }
  });
});

// The third: an ES module app under --require alone (mysql2's channels need no module hook).
for (const [preload, script] of [
  ['require', 'db-mysql2.js'],
  ['import', 'db-mysql2.mjs'],
  ['require', 'db-mysql2.mjs'],
] as const) {
  describe(`db: mysql2 under --${preload} (${script}), real MariaDB`, () => {
    let app: RunningApp;
    before(async () => {
      await requireMysql();
      app = await startApp(script, { preload });
    });
    after(async () => {
      if (app !== undefined) {
        await runStep(app, 'cleanup');
        await app.stop();
      }
    });

    SEQUENCE.forEach(([step, expect, errorCode], index) => {
      it(`${step} moves exactly its series${errorCode === undefined ? '' : ` (${errorCode})`}`, async () => {
        const { before, result: reply, after } = await app.around(() => runStep(app, step));
        assert.equal(reply.error?.code, errorCode, JSON.stringify(reply));
        if (bareReplies !== undefined) assert.deepEqual(reply, bareReplies[index], 'the same reply as without autoprom');
        assert.deepEqual(movedDbSeries(before, after), expectedDbSeries(expect, 'mysql', 'test'));
      });
    });

    it('no SQL, host or value in any db or model label; nothing on stderr', async () => {
      const e = await app.scrape();
      for (const s of e.samples.filter((x) => /^django_(db|model)_/.test(x.name))) {
        for (const [k, v] of Object.entries(s.labels)) {
          assert.ok(['alias', 'vendor', 'type', 'model', 'le'].includes(k), `${s.name} has label ${k}`);
          assert.doesNotMatch(v, /\s(from|into|set|where)\s|127\.0\.0\.1|3306|\?/i, `${s.name} ${k}=${v}`);
        }
      }
      assert.equal(app.stderr(), '');
    });
  });
}
