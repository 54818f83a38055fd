/**
 * django_migrations_applied_total / django_migrations_unapplied_total (PROMETHEUS_EXPORT_MIGRATIONS=true),
 * read from the tables real ORMs wrote: Knex's knex_migrations (SQLite and PostgreSQL), Drizzle's
 * __drizzle_migrations and TypeORM's migrations (SQLite), with unapplied ones from the project's migration files. Migrations are
 * applied by a separate process (as a deploy step would); the application then connects.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runStep } from './db-sequence';
import { APPS, startApp, type RunningApp } from './helpers/child';
import type { Exposition } from './helpers/exposition';
import { PG_URL, requireMysql, requirePostgres } from './helpers/services';

/** A project folder with 3 Knex migrations and a Drizzle journal of 2. */
function makeProject(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'autoprom-mig-'));
  mkdirSync(path.join(dir, 'migrations'));
  for (const name of ['20260101000000_a', '20260102000000_b', '20260103000000_c']) {
    writeFileSync(
      path.join(dir, 'migrations', `${name}.js`),
      `exports.up = (knex) => knex.schema.createTable('ap_mig_${name.slice(-1)}', (t) => t.increments());\nexports.down = (knex) => knex.schema.dropTable('ap_mig_${name.slice(-1)}');\n`,
    );
  }
  mkdirSync(path.join(dir, 'drizzle', 'meta'), { recursive: true });
  const entries = ['0000_a', '0001_b'].map((tag, idx) => ({ idx, version: '6', when: 1700000000000 + idx * 1000, tag, breakpoints: true }));
  writeFileSync(path.join(dir, 'drizzle', 'meta', '_journal.json'), JSON.stringify({ version: '7', dialect: 'sqlite', entries }));
  for (const e of entries)
    writeFileSync(path.join(dir, 'drizzle', `${e.tag}.sql`), `CREATE TABLE ap_mig_dz_${e.tag.slice(-1)} (id integer);`);
  return dir;
}

function migrate(cwd: string, env: Record<string, string>): void {
  const r = spawnSync(process.execPath, [path.join(APPS, 'db-migrations-setup.js')], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
}

/** The two gauges by connection, once the application's first read has landed (bounded wait). */
async function migrationGauges(app: RunningApp, tries = 50): Promise<Record<string, Record<string, number>>> {
  let e: Exposition | undefined;
  for (let i = 0; i < tries; i++) {
    e = await app.scrape();
    if (e.samples.some((s) => s.name === 'django_migrations_applied_total')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const out: Record<string, Record<string, number>> = {};
  for (const s of e?.samples ?? []) {
    if (!s.name.startsWith('django_migrations_')) continue;
    (out[s.labels.connection] ??= {})[s.name] = s.value;
  }
  return out;
}

describe('db: migration gauges (PROMETHEUS_EXPORT_MIGRATIONS=true)', () => {
  it('SQLite: Knex 2 applied of 3 files, Drizzle 2 of 3 journal entries, TypeORM 1: applied 5, unapplied 2', async () => {
    const project = makeProject();
    const env = { AUTOPROM_TEST_MIG_DB: 'sqlite', AUTOPROM_TEST_MIG_FILE: path.join(project, 'ap_mig.db') };
    migrate(project, env);
    const app = await startApp('db-migrations-app.js', { cwd: project, env: { ...env, PROMETHEUS_EXPORT_MIGRATIONS: 'true' } });
    try {
      assert.deepEqual(await runStep(app, 'connect'), { value: 1 });
      assert.deepEqual(await migrationGauges(app), {
        'ap_mig.db': { django_migrations_applied_total: 5, django_migrations_unapplied_total: 2 },
      });
      const meta = (await app.scrape()).meta;
      assert.equal(meta.get('django_migrations_applied_total')?.type, 'gauge');
      assert.equal(meta.get('django_migrations_applied_total')?.help, 'Count of applied migrations by database connection');
      assert.equal(meta.get('django_migrations_unapplied_total')?.help, 'Count of unapplied migrations by database connection');
      // autoprom's own read-only connection is not the application's: no db series moved for it.
      const e = await app.scrape();
      const execute = e.samples.find((s) => s.name === 'django_db_execute_total' && s.labels.alias === 'ap_mig.db')?.value;
      const connections = e.samples.find((s) => s.name === 'django_db_new_connections_total' && s.labels.alias === 'ap_mig.db')?.value;
      assert.deepEqual([connections, execute], [1, 1]);
      assert.equal(app.stderr(), '');
    } finally {
      await app.stop();
    }
  });

  for (const client of ['pg', 'postgres-js'] as const) {
    it(`PostgreSQL through ${client}: Knex 2 applied of 3 files, in its own database: applied 2, unapplied 1; nothing counted for the read`, async () => {
      await requirePostgres();
      const database = client === 'pg' ? 'ap_migrations' : 'ap_migrations_pj';
      const url = PG_URL.replace(/\/[^/]*$/, `/${database}`);
      const admin = spawnSync(
        process.execPath,
        [
          '-e',
          `const pg=require('pg');(async()=>{const c=new pg.Client(${JSON.stringify(PG_URL)});await c.connect();await c.query('DROP DATABASE IF EXISTS ${database}');await c.query('CREATE DATABASE ${database}');await c.end()})().catch(e=>{console.error(e);process.exit(1)})`,
        ],
        { cwd: APPS, encoding: 'utf8' },
      );
      assert.equal(admin.status, 0, admin.stderr);
      const project = makeProject();
      migrate(project, { AUTOPROM_TEST_MIG_DB: 'postgresql', AUTOPROM_TEST_MIG_PG_URL: url });
      const env = { AUTOPROM_TEST_MIG_DB: client === 'pg' ? 'postgresql' : client, AUTOPROM_TEST_MIG_PG_URL: url };
      const app = await startApp('db-migrations-app.js', { cwd: project, env: { ...env, PROMETHEUS_EXPORT_MIGRATIONS: 'true' } });
      try {
        assert.deepEqual(await runStep(app, 'connect'), { value: 1 });
        assert.deepEqual(await migrationGauges(app), {
          [database]: { django_migrations_applied_total: 2, django_migrations_unapplied_total: 1 },
        });
        const e = await app.scrape();
        const value = (name: string) => e.samples.find((s) => s.name === name && s.labels.alias === database)?.value;
        assert.deepEqual(
          ['django_db_new_connections_total', 'django_db_execute_total', 'django_db_query_duration_seconds_count'].map(value),
          [1, 1, 1],
        );
        assert.equal(app.stderr(), '');
      } finally {
        await app.stop();
      }
    });
  }

  it('MySQL (mysql2 pool, real MariaDB): Knex 2 applied of 3 files: applied 2, unapplied 1; nothing counted for the read', async () => {
    await requireMysql();
    const project = makeProject();
    const env = { AUTOPROM_TEST_MIG_DB: 'mysql' };
    migrate(project, env);
    const app = await startApp('db-migrations-app.js', { cwd: project, env: { ...env, PROMETHEUS_EXPORT_MIGRATIONS: 'true' } });
    try {
      assert.deepEqual(await runStep(app, 'connect'), { value: 1 });
      assert.deepEqual(await migrationGauges(app), {
        ap_migrations: { django_migrations_applied_total: 2, django_migrations_unapplied_total: 1 },
      });
      const e = await app.scrape();
      const value = (name: string) => e.samples.find((s) => s.name === name && s.labels.alias === 'ap_migrations')?.value;
      assert.deepEqual(
        ['django_db_new_connections_total', 'django_db_execute_total', 'django_db_query_duration_seconds_count'].map(value),
        [1, 1, 1],
      );
      assert.equal(app.stderr(), '');
    } finally {
      await app.stop();
    }
  });

  it('a database with no migration table: one warning line, no gauge series, the application unaffected', async () => {
    const project = mkdtempSync(path.join(tmpdir(), 'autoprom-mig-none-'));
    const env = { AUTOPROM_TEST_MIG_DB: 'sqlite', AUTOPROM_TEST_MIG_FILE: path.join(project, 'ap_plain.db') };
    const app = await startApp('db-migrations-app.js', { cwd: project, env: { ...env, PROMETHEUS_EXPORT_MIGRATIONS: 'true' } });
    try {
      assert.deepEqual(await runStep(app, 'connect'), { value: 1 });
      for (let i = 0; i < 50 && app.stderr() === ''; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(
        app.stderr(),
        'autoprom: PROMETHEUS_EXPORT_MIGRATIONS: no migration table of Knex, Sequelize, TypeORM, Prisma, Drizzle or MikroORM in sqlite database ap_plain.db\n',
      );
      assert.deepEqual(await migrationGauges(app, 1), {});
      assert.deepEqual(await runStep(app, 'connect'), { value: 1 });
    } finally {
      await app.stop();
    }
  });

  it('off by default: no migration family, no read', async () => {
    const project = makeProject();
    const env = { AUTOPROM_TEST_MIG_DB: 'sqlite', AUTOPROM_TEST_MIG_FILE: path.join(project, 'ap_mig.db') };
    migrate(project, env);
    const app = await startApp('db-migrations-app.js', { cwd: project, env });
    try {
      assert.deepEqual(await runStep(app, 'connect'), { value: 1 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const e = await app.scrape();
      assert.equal(e.meta.has('django_migrations_applied_total'), false);
      assert.equal(app.stderr(), '');
    } finally {
      await app.stop();
    }
  });
});
