/**
 * The ops kit against the real thing: a real Prometheus 2.42 scrapes a real app under load
 * (HTTP with errors, PostgreSQL, Redis) with autoprom's rules loaded, and every query of the
 * Grafana dashboard and every rule expression is evaluated through the Prometheus HTTP API
 * over the load window. A query with no data fails the test, except the few whose family
 * autoprom does not export yet (NOT_BUILT_YET), which are printed on every run.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort, startApp, type RunningApp } from './helpers/child';
import { dashboard, dashboardQueries, interpolate, readsFamily, RULES_FILE, ruleName, rules } from './helpers/ops';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus';
import { PG_URL, requirePostgres, requireRedis } from './helpers/services';

/** Families the kit reads that are being built: a query of one may be empty while it is absent (none left). */
const NOT_BUILT_YET: ReadonlyArray<{ family: string; what: string }> = [];

/**
 * The app's project: a Knex layout with two migration files, of which the database's
 * knex_migrations table records one as applied (the migration panels and the unapplied alert).
 */
async function migrationsProject(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'autoprom-ops-'));
  mkdirSync(path.join(dir, 'migrations'));
  for (const f of ['20260101000000_users.js', '20260102000000_orders.js'])
    writeFileSync(path.join(dir, 'migrations', f), 'exports.up = () => {};\n');
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS knex_migrations');
    await client.query(
      'CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch integer, migration_time timestamptz)',
    );
    await client.query("INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('20260101000000_users.js', 1, now())");
  } finally {
    await client.end();
  }
  return dir;
}

async function dropMigrationsTable(): Promise<void> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS knex_migrations');
  } finally {
    await client.end();
  }
}

interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** Series of a range query with at least one value that is a number (NaN from a zero rate is no data). */
async function rangeQuery(prom: PrometheusServer, expr: string, start: number, end: number): Promise<RangeSeries[]> {
  const url = `http://127.0.0.1:${prom.port}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${start}&end=${end}&step=1`;
  const body = (await (await fetch(url)).json()) as { status: string; data?: { result: RangeSeries[] }; error?: string };
  if (body.status !== 'success') throw new Error(`query_range ${expr}: ${body.error}`);
  return body.data!.result.filter((s) => s.values.some(([, v]) => !Number.isNaN(Number(v))));
}

/** The largest number among the values of `series` (for the printed report). */
function largestValue(series: RangeSeries[]): number {
  let max = -Infinity;
  for (const s of series) for (const [, v] of s.values) if (Number(v) > max) max = Number(v);
  return Number(max.toPrecision(4));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ops kit: every dashboard panel and rule on a real Prometheus scraping a real app under load', function () {
  this.timeout(240000);
  let app: RunningApp;
  let second: RunningApp;
  let prom: PrometheusServer;
  let loadStart = 0;
  let loadEnd = 0;
  let absent: Set<string>;
  let project: string | undefined;
  const counts: string[] = [];

  const get = async (pathname: string, init?: RequestInit) => {
    const res = await fetch(`http://127.0.0.1:${app.ready.port as number}${pathname}`, {
      ...init,
      signal: init?.signal ?? AbortSignal.timeout(15000),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const json = (method: string, body: unknown): RequestInit => ({
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  before(async () => {
    await requirePostgres();
    await requireRedis();
    const closedPort = await freePort();
    project = await migrationsProject();
    app = await startApp('ops-app.js', {
      cwd: project,
      env: {
        OPS_PG_URL: PG_URL,
        OPS_PG_DOWN_URL: `postgres://postgres@127.0.0.1:${closedPort}/ops_down`,
        PROMETHEUS_EXPORT_MIGRATIONS: 'true',
      },
    });
    second = await startApp('pipeline-plain.js');
    prom = await startPrometheus([`127.0.0.1:${app.metricsPort}`, `127.0.0.1:${second.metricsPort}`], `rule_files:\n  - '${RULES_FILE}'\n`);
    await prom.waitFor(`up{instance="127.0.0.1:${app.metricsPort}"}`, 1);
    await prom.waitFor(`up{instance="127.0.0.1:${second.metricsPort}"}`, 1);

    loadStart = Math.floor(Date.now() / 1000);
    // 60 rounds, a quarter of a second apart: each round a mix of reads (1 hit, 2 misses), writes,
    // 5xx, SQL errors; every 5th round the rarer things.
    for (let round = 0; round < 60; round++) {
      const steps: Array<Promise<unknown>> = [
        get('/api/users/1'),
        get(`/api/users/${100000 + round}`),
        get(`/api/users/${200000 + round}`),
        get('/ops/fail'),
        get('/ops/missing-table'),
        get('/no/such/route'),
        (async () => {
          const res = await fetch(`http://127.0.0.1:${app.ready.port as number}/api/users`, {
            ...json('POST', { name: `user ${round}` }),
            signal: AbortSignal.timeout(15000),
          });
          const { id } = (await res.json()) as { id: number };
          await get(`/api/users/${id}`, json('PUT', { name: `renamed ${round}` }));
          if (round % 2 === 0) await get(`/api/users/${id}`, { method: 'DELETE' });
        })(),
      ];
      if (round % 5 === 0) {
        steps.push(get('/ops/db-down'), get('/ops/cache-wrongtype'), get('/ops/stream'), get('/ops/outgoing'), get('/ops/slow'));
        // A client that gives up before the response: unknown latency.
        steps.push(get('/ops/slow', { signal: AbortSignal.timeout(200) }).catch(() => 'aborted'));
      }
      await Promise.all([...steps, sleep(250)]);
    }
    await get('/ops/pool-burst');
    // The event loop stops for 8 s in one piece (the blocked gauge must pass the alert's 5 s with room
    // for late scrapes on a loaded machine), then for 6 s in
    // 600 ms pieces (every event-loop delay sample about 600 ms: the lag p99 must show it).
    await get('/ops/block?ms=8000');
    await get('/ops/block?ms=6000&slice=600');
    for (let round = 0; round < 8; round++) await Promise.all([get('/api/users/1'), get('/ops/fail'), sleep(250)]);
    // A target that served autoprom's metrics goes away.
    await second.stop('SIGKILL');
    await prom.waitFor(`up{instance="127.0.0.1:${second.metricsPort}"}`, 0);
    await sleep(3000); // a few rule evaluations (every second) after the last scrape
    loadEnd = Math.ceil(Date.now() / 1000);

    absent = new Set<string>();
    for (const { family, what } of NOT_BUILT_YET) {
      if ((await prom.query(`count(${family})`)).length === 0) {
        absent.add(family);
        console.warn(`\n  !!! NOT BUILT YET: ${family} (${what}) is not exported: queries reading it may be empty in this test\n`);
      }
    }
  });
  after(async () => {
    if (counts.length > 0)
      console.log(`\n  result counts (series with data over the load window):\n${counts.map((c) => `    ${c}`).join('\n')}\n`);
    await prom?.stop();
    await second?.stop('SIGKILL');
    await app?.stop('SIGKILL');
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
    await dropMigrationsTable();
  });

  /** Evaluates `expr`; empty fails unless it reads a family that is not built yet (then it says so). */
  async function expectData(what: string, expr: string, instant = false): Promise<RangeSeries[]> {
    const result = instant
      ? (await prom.query(expr))
          .map((s) => ({ metric: s.metric, values: [s.value] as Array<[number, string]> }))
          .filter((s) => !Number.isNaN(Number(s.values[0][1])))
      : await rangeQuery(prom, expr, loadStart, loadEnd);
    const missing = [...absent].filter((f) => readsFamily(expr, f));
    if (result.length === 0 && missing.length > 0) {
      counts.push(`${what}: 0 (ALLOWED: ${missing.join(', ')} not built yet)`);
      console.warn(`  !!! EMPTY, ALLOWED ONLY BECAUSE ${missing.join(', ')} IS NOT BUILT YET: ${what}`);
      return result;
    }
    counts.push(`${what}: ${result.length} series, largest value ${largestValue(result)}`);
    assert.ok(result.length > 0, `${what} returned no data: ${expr}`);
    return result;
  }

  it('fills every panel of the dashboard (job and instance variables as Grafana sends them)', async () => {
    const vars = { job: 'app', instance: '.*', __rate_interval: '10s' };
    const queries = dashboardQueries();
    assert.ok(queries.length >= 40, `only ${queries.length} queries in the dashboard`);
    for (const q of queries) await expectData(`panel "${q.panel}" ${q.refId}`, interpolate(q.expr, vars), q.instant);
  });

  it('lists the app in the job and instance variables', async () => {
    for (const v of dashboard().templating.list.filter((t) => t.type === 'query')) {
      const m = /^label_values\((.+), (\w+)\)$/.exec(v.definition ?? '');
      assert.ok(m !== null, `variable ${v.name}: ${v.definition}`);
      const selector = interpolate(m[1], { job: 'app' });
      const res = (await (
        await fetch(`http://127.0.0.1:${prom.port}/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(selector)}`)
      ).json()) as { data: string[] };
      counts.push(`variable ${v.name}: ${res.data.length}`);
      assert.ok(
        res.data.includes(v.name === 'job' ? 'app' : `127.0.0.1:${app.metricsPort}`),
        `variable ${v.name}: ${JSON.stringify(res.data)}`,
      );
    }
  });

  it('every rule expression returns data, and every recorded series exists', async () => {
    for (const rule of rules()) {
      await expectData(`rule ${ruleName(rule)}`, rule.expr);
      if (rule.record !== undefined) await expectData(`recorded ${rule.record}`, rule.record);
    }
  });

  it('Prometheus evaluates every rule without an error', async () => {
    const body = (await (await fetch(`http://127.0.0.1:${prom.port}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
    };
    const loaded = body.data.groups.flatMap((g) => g.rules);
    assert.equal(loaded.length, rules().length);
    for (const r of loaded) assert.equal(r.health, 'ok', `${r.name}: ${r.lastError}`);
  });

  it('each alert names exactly what misbehaved in the load, and not what did not', async () => {
    const byName = new Map(
      rules()
        .filter((r) => r.alert !== undefined)
        .map((r) => [r.alert!, r.expr]),
    );
    const labelsOf = async (alert: string, label: string) =>
      new Set((await rangeQuery(prom, byName.get(alert)!, loadStart, loadEnd)).map((s) => s.metric[label]));
    const errorViews = await labelsOf('AutopromHighErrorRatio', 'view');
    assert.ok(errorViews.has('/ops/fail') && errorViews.has('/ops/missing-table'), [...errorViews].join());
    assert.ok(!errorViews.has('/api/users/:id') && !errorViews.has('/api/users'), [...errorViews].join());
    assert.ok((await labelsOf('AutopromHighLatency', 'view')).has('/ops/slow'));
    assert.deepEqual([...(await labelsOf('AutopromDatabaseErrors', 'alias'))], ['test']);
    assert.deepEqual([...(await labelsOf('AutopromDatabaseConnectionErrors', 'alias'))], ['ops_down']);
    assert.deepEqual([...(await labelsOf('AutopromCacheHitRatioLow', 'backend'))], ['sessions']);
    assert.deepEqual([...(await labelsOf('AutopromCacheReadFailures', 'backend'))], ['sessions']);
    assert.ok((await labelsOf('AutopromEventLoopLagHigh', 'instance')).has(`127.0.0.1:${app.metricsPort}`));
    assert.ok((await labelsOf('AutopromTargetDown', 'instance')).has(`127.0.0.1:${second.metricsPort}`));
  });
});
