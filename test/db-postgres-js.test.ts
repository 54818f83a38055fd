/**
 * django_db_* and django_model_* from postgres.js against the real PostgreSQL: scripted steps,
 * each asserted by its exact deltas over every db and model series, under --require (its
 * CommonJS copy) and --import (its ES module copy), replies compared with a bare run.
 */
import { strict as assert } from 'node:assert';
import { runStep, type StepReply } from './db-sequence';
import { expectedDbSeries, movedDbSeries, type DbExpect } from './helpers/db-deltas';
import { startApp, type RunningApp } from './helpers/child';
import { requirePostgres } from './helpers/services';

const SEQUENCE: ReadonlyArray<[step: string, expect: DbExpect, errorCode?: string]> = [
  ['ddl', { connections: 1, execute: 2 }],
  ['taggedInsert', { execute: 1, inserts: { ap_pj_items: 1 } }],
  ['unsafeUpdate', { execute: 1, updates: { ap_pj_items: 1 } }],
  ['returning', { execute: 1, inserts: { ap_pj_items: 1 } }],
  ['transaction', { execute: 4, deletes: { ap_pj_items: 1 }, inserts: { ap_pj_items: 1 } }],
  ['uniqueViolation', { execute: 1, errors: { UniqueViolation: 1 } }, '23505'],
  ['undefinedTable', { execute: 1, errors: { UndefinedTable: 1 } }, '42P01'],
  ['syntaxError', { execute: 1, errors: { SyntaxError: 1 } }, '42601'],
  ['refused', { alias: 'ap_refused', connections: 1, connectionErrors: 1 }, 'ECONNREFUSED'],
  ['wrongDatabase', { alias: 'ap_no_such_db', connections: 1, connectionErrors: 1 }, '3D000'],
  ['cleanup', { execute: 1 }],
];

let bareReplies: StepReply[] | undefined;

describe('db: postgres.js replies without autoprom (the reference)', () => {
  it('runs the sequence bare', async () => {
    await requirePostgres();
    const app = await startApp('db-postgres-js.js', { preload: 'none' });
    try {
      bareReplies = [];
      for (const [step] of SEQUENCE) bareReplies.push(await runStep(app, step));
    } finally {
      await app.stop();
    }
  });
});

for (const preload of ['require', 'import'] as const) {
  const script = preload === 'require' ? 'db-postgres-js.js' : 'db-postgres-js.mjs';
  describe(`db: postgres.js under --${preload} (${script}), real PostgreSQL`, () => {
    let app: RunningApp;
    before(async () => {
      await requirePostgres();
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
        assert.deepEqual(movedDbSeries(before, after), expectedDbSeries(expect, 'postgresql', 'test'));
      });
    });

    it('nothing on stderr', () => assert.equal(app.stderr(), ''));
  });
}
