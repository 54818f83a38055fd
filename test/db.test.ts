/**
 * django_db_* and django_model_* from pg and pg-pool, against the real PostgreSQL: a scripted
 * sequence of steps in a child app under the preload, each asserted by its exact deltas over
 * every db and model series (anything not listed must not move).
 */
import { strict as assert } from 'node:assert';
import { startApp, type RunningApp } from './helpers/child';
import type { Exposition } from './helpers/exposition';
import { requirePostgres } from './helpers/services';

const FAMILIES = /^django_(db|model)_/;

/** `name{k=v,…}` with labels sorted. */
function key(s: { name: string; labels: Readonly<Record<string, string>> }): string {
  return `${s.name}{${Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${s.labels[k]}`)
    .join(',')}}`;
}

/** Every db/model sample that moved between two scrapes, by key() → delta (buckets, sums and pool gauges left out). */
function moved(before: Exposition, after: Exposition): Record<string, number> {
  const old = new Map(before.samples.filter((s) => FAMILIES.test(s.name)).map((s) => [key(s), s.value]));
  const out: Record<string, number> = {};
  for (const s of after.samples) {
    if (!FAMILIES.test(s.name) || s.name.endsWith('_bucket') || s.name.endsWith('_sum') || s.name.startsWith('django_db_pool_')) continue;
    const d = s.value - (old.get(key(s)) ?? 0);
    if (d !== 0) out[key(s)] = d;
  }
  return out;
}

interface Expect {
  alias?: string;
  connections?: number;
  connectionErrors?: number;
  execute?: number;
  /** Observations in django_db_query_duration_seconds (failures included). */
  timed?: number;
  errors?: Record<string, number>;
  inserts?: Record<string, number>;
  updates?: Record<string, number>;
  deletes?: Record<string, number>;
}

function expected(e: Expect): Record<string, number> {
  const db = { alias: e.alias ?? 'test', vendor: 'postgresql' };
  const out: Record<string, number> = {};
  const put = (name: string, labels: Record<string, string>, v: number | undefined) => {
    if (v !== undefined && v !== 0) out[key({ name, labels })] = v;
  };
  put('django_db_new_connections_total', db, e.connections);
  put('django_db_new_connection_errors_total', db, e.connectionErrors);
  put('django_db_execute_total', db, e.execute);
  put('django_db_query_duration_seconds_count', db, e.timed ?? e.execute);
  for (const [type, n] of Object.entries(e.errors ?? {})) put('django_db_errors_total', { ...db, type }, n);
  for (const [model, n] of Object.entries(e.inserts ?? {})) put('django_model_inserts_total', { model }, n);
  for (const [model, n] of Object.entries(e.updates ?? {})) put('django_model_updates_total', { model }, n);
  for (const [model, n] of Object.entries(e.deletes ?? {})) put('django_model_deletes_total', { model }, n);
  return out;
}

/** The scripted sequence (test/apps/db-steps.js) and what each step must move. */
export const SEQUENCE: ReadonlyArray<[step: string, expect: Expect, error?: { code: string }]> = [
  ['ddl', { connections: 1, execute: 4 }],
  ['multiRowInsert', { execute: 1, inserts: { ap_db_items: 1 } }],
  ['returningInsert', { execute: 1, inserts: { ap_db_items: 1 } }],
  ['callbackUpdate', { execute: 1, updates: { ap_db_items: 1 } }],
  ['preparedUpdate', { execute: 3, updates: { ap_db_items: 3 } }],
  ['quoted', { execute: 3, inserts: { 'Ap Quoted': 1 }, updates: { 'Ap Quoted': 1 }, deletes: { 'Ap Quoted': 1 } }],
  ['withInsert', { execute: 2, inserts: { ap_db_items: 2 }, deletes: { ap_db_items: 1 } }],
  ['multiStatement', { execute: 1, inserts: { ap_db_items: 1 }, updates: { ap_db_items: 1 }, deletes: { ap_db_items: 1 } }],
  ['upsert', { execute: 1, inserts: { ap_db_items: 1 } }],
  ['uniqueViolation', { execute: 1, errors: { IntegrityError: 1 } }, { code: '23505' }],
  ['undefinedTable', { execute: 1, errors: { ProgrammingError: 1 } }, { code: '42P01' }],
  ['syntaxError', { execute: 1, errors: { ProgrammingError: 1 } }, { code: '42601' }],
  ['divisionByZero', { execute: 1, errors: { DataError: 1 } }, { code: '22012' }],
  ['bareClient', { connections: 1, execute: 2, deletes: { ap_db_items: 1 } }],
  ['bareClientCallback', { connections: 1 }],
  // pool.query released its client with the error above (pg-pool then drops it): a new connection.
  // instrumentation-pg times a submittable only when it has a callback.
  ['submittable', { connections: 1, execute: 2, timed: 1, deletes: { ap_db_items: 2 } }],
  ['refused', { alias: 'ap_refused', connections: 2, connectionErrors: 2 }],
  ['refusedPool', { alias: 'ap_refused', connections: 1, connectionErrors: 1 }, { code: 'ECONNREFUSED' }],
  ['wrongDatabase', { alias: 'ap_no_such_db', connections: 1, connectionErrors: 1 }, { code: '3D000' }],
  ['cleanup', { execute: 2 }],
];

interface StepReply {
  value?: unknown;
  error?: { class?: string; message?: string; code?: string };
}

export async function runStep(app: RunningApp, step: string): Promise<StepReply> {
  const res = await fetch(`http://127.0.0.1:${String(app.ready.port)}/step/${step}`);
  return (await res.json()) as StepReply;
}

for (const preload of ['require', 'import'] as const) {
  const script = preload === 'require' ? 'db-app.js' : 'db-app.mjs';
  describe(`db: pg and pg-pool under --${preload} (${script})`, () => {
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

    for (const [step, expect, error] of SEQUENCE) {
      it(`${step} moves exactly its series`, async () => {
        const before = await app.scrape();
        const reply = await runStep(app, step);
        const after = await app.scrape();
        if (error !== undefined) assert.equal(reply.error?.code, error.code, JSON.stringify(reply));
        else assert.equal(reply.error, undefined, JSON.stringify(reply));
        assert.deepEqual(moved(before, after), expected(expect));
      });
    }

    it('pool gauges: one idle connection of a pool of 5, none used or waiting', async () => {
      const e = await app.scrape();
      const gauge = (name: string, labels: Record<string, string>) =>
        e.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;
      const db = { alias: 'test', vendor: 'postgresql' };
      assert.equal(gauge('django_db_pool_connections', { ...db, state: 'idle' }), 1);
      assert.equal(gauge('django_db_pool_connections', { ...db, state: 'used' }), 0);
      assert.equal(gauge('django_db_pool_pending_requests', db), 0);
      assert.equal(gauge('django_db_pool_max_connections', db), 5);
      assert.equal(e.meta.get('django_db_pool_connections')?.type, 'gauge');
    });

    it('exposes every db and model family with django help texts, never execute_many, and no SQL or host in labels', async () => {
      const e = await app.scrape();
      assert.equal(e.meta.get('django_db_execute_total')?.help, 'Counter of executed statements by database and by vendor, including bulk executions.');
      assert.equal(e.meta.get('django_db_query_duration_seconds')?.type, 'histogram');
      assert.equal(e.meta.get('django_model_inserts_total')?.help, 'Number of insert operations by model.');
      assert.equal(e.meta.has('django_db_execute_many_total'), false);
      for (const s of e.samples.filter((x) => FAMILIES.test(x.name))) {
        for (const [k, v] of Object.entries(s.labels)) {
          assert.ok(['alias', 'vendor', 'type', 'model', 'state', 'le'].includes(k), `${s.name} has label ${k}`);
          assert.doesNotMatch(v, /\s(from|into|set|where)\s|127\.0\.0\.1|5432|\$1/i, `${s.name} ${k}=${v}`);
        }
      }
    });
  });
}
