/**
 * node-sqlite3 (`sqlite3` 6, the driver under Sequelize's SQLite dialect): exact deltas of every
 * django_db_* and django_model_* family for scripted callback steps, the replies the same with
 * and without autoprom (a callback-less statement's error still arrives as its `error` event).
 */
import { strict as assert } from 'node:assert';
import { runStep } from './db-sequence';
import { startApp, type RunningApp } from './helpers/child';
import { delta, type Exposition } from './helpers/exposition';
import { ensureSqlite3 } from './helpers/peers';

interface Moves {
  connections?: number;
  connectionErrors?: number;
  execute?: number;
  timed?: number;
  errors?: Record<string, number>;
  inserts?: number;
  updates?: number;
  deletes?: number;
}

const STEPS: ReadonlyArray<[step: string, moves: Moves]> = [
  ['open', { connections: 1, execute: 1, timed: 1 }],
  ['insertAndRead', { execute: 2, timed: 2, inserts: 1 }],
  ['prepared', { execute: 2, timed: 2, updates: 2 }],
  ['exec', { execute: 2, timed: 2, inserts: 1, deletes: 1 }],
  ['syntaxError', { execute: 1, timed: 1, errors: { OperationalError: 1 } }],
  ['eventError', { execute: 1, timed: 1, errors: { IntegrityError: 1 } }],
  ['cannotOpen', { connections: 1, connectionErrors: 1 }],
];

function moves(before: Exposition, after: Exposition, alias: string): Moves {
  const db = { alias, vendor: 'sqlite' };
  const model = { model: 'ap_s3_items' };
  const out: Moves = {};
  const put = (key: keyof Omit<Moves, 'errors'>, value: number) => {
    if (value !== 0) out[key] = value;
  };
  put('connections', delta(before, after, 'django_db_new_connections_total', db));
  put('connectionErrors', delta(before, after, 'django_db_new_connection_errors_total', db));
  put('execute', delta(before, after, 'django_db_execute_total', db));
  put('timed', delta(before, after, 'django_db_query_duration_seconds_count', db));
  for (const type of ['OperationalError', 'IntegrityError', 'ProgrammingError']) {
    const d = delta(before, after, 'django_db_errors_total', { ...db, type });
    if (d !== 0) (out.errors ??= {})[type] = d;
  }
  put('inserts', delta(before, after, 'django_model_inserts_total', model));
  put('updates', delta(before, after, 'django_model_updates_total', model));
  put('deletes', delta(before, after, 'django_model_deletes_total', model));
  return out;
}

describe('db: sqlite3 (node-sqlite3) with zero code', function () {
  this.timeout(600000);
  let app: RunningApp;
  let bare: RunningApp;
  before(async () => {
    const dir = ensureSqlite3();
    app = await startApp('db-sqlite3.js', { env: { SQLITE3_DIR: dir } });
    bare = await startApp('db-sqlite3.js', { preload: 'none', env: { SQLITE3_DIR: dir } });
  });
  after(async () => {
    await app?.stop();
    await bare?.stop();
  });

  for (const [step, expected] of STEPS) {
    it(`${step}: the same reply as without autoprom; exactly ${JSON.stringify(expected)}`, async () => {
      const { before, result: reply, after } = await app.around(() => runStep(app, step));
      assert.deepEqual(reply, await runStep(bare, step));
      const alias = step === 'cannotOpen' ? 'dir.db' : 'ap_sqlite3.db';
      assert.deepEqual(moves(before, after, alias), expected);
      assert.equal(app.stderr(), '');
    });
  }
});
