/**
 * django_db_* and django_model_* from pg and pg-pool, against the real PostgreSQL: a scripted
 * sequence of steps in a child app under the preload, each asserted by its exact deltas over
 * every db and model series (anything not listed must not move).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { runStep, SEQUENCE, type Expect } from './db-sequence';
import { PRELOAD_MODES, startApp, type RunningApp } from './helpers/child';
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

for (const { preload, esm, title } of PRELOAD_MODES) {
  const script = esm ? 'db-app.mjs' : 'db-app.js';
  describe(`db: pg and pg-pool, ${title} (${script})`, () => {
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
        const { before, result: reply, after } = await app.around(() => runStep(app, step));
        if (error !== undefined) assert.equal(reply.error?.code, error.code, JSON.stringify(reply));
        else assert.equal(reply.error, undefined, JSON.stringify(reply));
        assert.deepEqual(moved(before, after), expected(expect));
      });
    }

    it('pool gauges: connections by state, pending and max, per database, read from each pool', async () => {
      const gauge = (e: Exposition, name: string, alias: string, state?: string) =>
        e.samples.find((s) => s.name === name && s.labels.alias === alias && s.labels.vendor === 'postgresql' && s.labels.state === state)
          ?.value;
      assert.deepEqual(await runStep(app, 'poolGauges'), { value: null });
      let e = await app.scrape();
      assert.equal(e.meta.get('django_db_pool_connections')?.type, 'gauge');
      assert.deepEqual(
        ['used', 'idle'].map((state) => gauge(e, 'django_db_pool_connections', 'test', state)),
        [2, 0],
      );
      assert.equal(gauge(e, 'django_db_pool_pending_requests', 'test'), 0);
      assert.equal(gauge(e, 'django_db_pool_max_connections', 'test'), 5);
      assert.deepEqual(
        ['used', 'idle'].map((state) => gauge(e, 'django_db_pool_connections', 'postgres', state)),
        [0, 1],
      );
      assert.equal(gauge(e, 'django_db_pool_max_connections', 'postgres'), 4);
      assert.deepEqual(await runStep(app, 'poolGaugesRelease'), { value: null });
      e = await app.scrape();
      assert.deepEqual(
        ['used', 'idle'].map((state) => gauge(e, 'django_db_pool_connections', 'test', state)),
        [0, 2],
      );
      // A database whose pools have all ended reads 0.
      assert.deepEqual(
        ['used', 'idle'].map((state) => gauge(e, 'django_db_pool_connections', 'postgres', state)),
        [0, 0],
      );
      assert.equal(gauge(e, 'django_db_pool_max_connections', 'postgres'), 0);
    });

    it('promtool accepts the db and model families', async () => {
      // Only this area's families: other areas are checked by their own tests.
      const ours = (await app.scrapeText())
        .split('\n')
        .filter((line) => /^(# (HELP|TYPE) )?django_(db|model)_/.test(line))
        .join('\n');
      const r = spawnSync('promtool', ['check', 'metrics'], { input: `${ours}\n`, encoding: 'utf8' });
      assert.equal(r.error, undefined, 'promtool is needed: apt-get install -y prometheus');
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    });

    it('exposes every db and model family with django help texts, never execute_many, and no SQL or host in labels', async () => {
      const e = await app.scrape();
      assert.equal(
        e.meta.get('django_db_execute_total')?.help,
        'Counter of executed statements by database and by vendor, including bulk executions.',
      );
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

describe('db: namespace and latency buckets from the environment', () => {
  it('prefixes every db and model family and uses PROMETHEUS_LATENCY_BUCKETS', async () => {
    await requirePostgres();
    const app = await startApp('db-app.js', { env: { PROMETHEUS_METRIC_NAMESPACE: 'ap', PROMETHEUS_LATENCY_BUCKETS: '0.5,1' } });
    try {
      for (const step of ['ddl', 'multiRowInsert', 'cleanup'])
        assert.deepEqual(await runStep(app, step), { value: step === 'multiRowInsert' ? 3 : null });
      const e = await app.scrape();
      const db = { alias: 'test', vendor: 'postgresql' };
      const value = (name: string, labels: Record<string, string>) =>
        e.samples.find(
          (s) =>
            s.name === name &&
            Object.keys(labels).length === Object.keys(s.labels).length &&
            Object.entries(labels).every(([k, v]) => s.labels[k] === v),
        )?.value;
      assert.equal(value('ap_django_db_execute_total', db), 7);
      assert.equal(value('ap_django_db_new_connections_total', db), 1);
      assert.equal(value('ap_django_db_query_duration_seconds_count', db), 7);
      assert.deepEqual(
        e.samples.filter((s) => s.name === 'ap_django_db_query_duration_seconds_bucket').map((s) => s.labels.le),
        ['0.5', '1.0', '+Inf'], // django-prometheus's bound formatting
      );
      assert.equal(value('ap_django_model_inserts_total', { model: 'ap_db_items' }), 1);
      assert.equal(value('ap_django_db_pool_max_connections', db), 5);
      assert.deepEqual(
        e.samples.filter((s) => /^django_(db|model)_/.test(s.name)),
        [],
      );
    } finally {
      await app.stop();
    }
  });
});

describe('db: PROMETHEUS_METRICS_CARDINALITY_LIMIT bounds the pool gauges', () => {
  it('two databases under a limit of 2: the first one, then the overflow series', async () => {
    await requirePostgres();
    const app = await startApp('db-app.js', { env: { PROMETHEUS_METRICS_CARDINALITY_LIMIT: '2' } });
    try {
      assert.deepEqual(await runStep(app, 'poolGauges'), { value: null });
      const e = await app.scrape();
      assert.deepEqual(
        e.samples.filter((s) => s.name === 'django_db_pool_max_connections').map((s) => [s.labels, s.value]),
        [
          [{ alias: 'test', vendor: 'postgresql' }, 5],
          [{ otel_metric_overflow: 'true' }, 4],
        ],
      );
      assert.deepEqual(await runStep(app, 'poolGaugesRelease'), { value: null });
    } finally {
      await app.stop();
    }
  });
});
