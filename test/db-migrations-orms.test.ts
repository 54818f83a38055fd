/**
 * django_migrations_applied_total / django_migrations_unapplied_total (PROMETHEUS_EXPORT_MIGRATIONS=true)
 * from the tables of Sequelize (`SequelizeMeta`, written by umzug's SequelizeStorage, as sequelize-cli
 * does; PostgreSQL and MariaDB), MikroORM 7 (`mikro_orm_migrations`, by its Migrator) and Prisma
 * (`_prisma_migrations`) in real databases. Each project has 3 migrations and 2 are applied by a
 * separate process (a deploy step); the application then connects through pg or mysql2.
 *
 * Prisma's `migrate deploy` needs its schema-engine binary, downloaded from outside the npm registry:
 * here its table is written in that engine's layout (see test/apps/db-migrations-orms.mjs), with the
 * rows it leaves for a rolled-back and a failed attempt, which must not count as applied.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runStep } from './db-sequence';
import { APPS, startApp, type RunningApp } from './helpers/child';
import type { Exposition } from './helpers/exposition';
import { ensureMigrators } from './helpers/peers';
import { PG_URL, requireMysql, requirePostgres } from './helpers/services';

type Orm = 'sequelize' | 'mikro-orm' | 'prisma';
const NAMES = ['20260101000000', '20260102000000', '20260103000000'];

/** A project folder with the ORM's 3 migrations in its default layout. */
function makeProject(orm: Orm, peers: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `autoprom-mig-${orm}-`));
  const letter = (i: number) => 'abc'[i];
  if (orm === 'sequelize') {
    mkdirSync(path.join(dir, 'migrations'));
    NAMES.forEach((n, i) =>
      writeFileSync(
        path.join(dir, 'migrations', `${n}-create-${letter(i)}.js`),
        `module.exports = {\n  async up(q, Sequelize) {\n    await q.createTable('ap_mig_sq_${letter(i)}', { id: { type: Sequelize.INTEGER, primaryKey: true } });\n  },\n  async down(q) {\n    await q.dropTable('ap_mig_sq_${letter(i)}');\n  },\n};\n`,
      ),
    );
  } else if (orm === 'mikro-orm') {
    // An ES module project (MikroORM 7 is ES modules only) with MikroORM installed.
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'ap-mig-mikro', private: true, type: 'module' }));
    symlinkSync(path.join(peers, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    mkdirSync(path.join(dir, 'migrations'));
    NAMES.forEach((n, i) =>
      writeFileSync(
        path.join(dir, 'migrations', `Migration${n}.js`),
        `import { Migration } from '@mikro-orm/migrations';\n\nexport class Migration${n} extends Migration {\n  async up() {\n    this.addSql('create table ap_mig_mk_${letter(i)} (id int primary key)');\n  }\n}\n`,
      ),
    );
  } else {
    mkdirSync(path.join(dir, 'prisma', 'migrations'), { recursive: true });
    writeFileSync(path.join(dir, 'prisma', 'migrations', 'migration_lock.toml'), 'provider = "postgresql"\n');
    NAMES.forEach((n, i) => {
      mkdirSync(path.join(dir, 'prisma', 'migrations', `${n}_${letter(i)}`));
      writeFileSync(
        path.join(dir, 'prisma', 'migrations', `${n}_${letter(i)}`, 'migration.sql'),
        `CREATE TABLE "ap_mig_pr_${letter(i)}" ("id" INTEGER PRIMARY KEY);\n`,
      );
    });
  }
  return dir;
}

function freshPgDatabase(database: string): string {
  const admin = spawnSync(
    process.execPath,
    [
      '-e',
      `const pg=require('pg');(async()=>{const c=new pg.Client(${JSON.stringify(PG_URL)});await c.connect();await c.query('DROP DATABASE IF EXISTS ${database}');await c.query('CREATE DATABASE ${database}');await c.end()})().catch(e=>{console.error(e);process.exit(1)})`,
    ],
    { cwd: APPS, encoding: 'utf8' },
  );
  assert.equal(admin.status, 0, admin.stderr);
  return PG_URL.replace(/\/[^/]*$/, `/${database}`);
}

function migrate(orm: Orm, cwd: string, peers: string, pgUrl: string | undefined): void {
  const r = spawnSync(process.execPath, [path.join(APPS, 'db-migrations-orms.mjs')], {
    cwd,
    env: { ...process.env, AUTOPROM_TEST_MIG_ORM: orm, AUTOPROM_TEST_MIG_PEERS: peers, AUTOPROM_TEST_MIG_PG_URL: pgUrl },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
}

/** The two gauges by connection, once the application's first read has landed (bounded wait). */
async function migrationGauges(app: RunningApp): Promise<Record<string, Record<string, number>>> {
  let e: Exposition | undefined;
  for (let i = 0; i < 50; i++) {
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

const CASES: ReadonlyArray<[orm: Orm, db: 'postgresql' | 'mysql', title: string]> = [
  ['sequelize', 'postgresql', 'Sequelize (umzug, SequelizeMeta) over PostgreSQL'],
  ['sequelize', 'mysql', 'Sequelize (umzug, SequelizeMeta) over MariaDB'],
  ['mikro-orm', 'postgresql', 'MikroORM 7 (its Migrator, mikro_orm_migrations) over PostgreSQL'],
  ['prisma', 'postgresql', "Prisma's _prisma_migrations over PostgreSQL (a rolled-back and a failed attempt among its rows)"],
];

describe('db: migration gauges from Sequelize, MikroORM and Prisma tables (PROMETHEUS_EXPORT_MIGRATIONS=true)', function () {
  this.timeout(120000);
  let peers: string;
  before(() => {
    peers = ensureMigrators();
  });

  for (const [orm, db, title] of CASES) {
    it(`${title}: 2 of 3 migrations applied: applied 2, unapplied 1; the read counted nowhere`, async () => {
      if (db === 'mysql') await requireMysql();
      else await requirePostgres();
      const database = db === 'mysql' ? 'ap_migrations' : `ap_mig_${orm.replace('-', '_')}`;
      const url = db === 'mysql' ? undefined : freshPgDatabase(database);
      const project = makeProject(orm, peers);
      migrate(orm, project, peers, url);
      const app = await startApp('db-migrations-app.js', {
        cwd: project,
        env: { AUTOPROM_TEST_MIG_DB: db, AUTOPROM_TEST_MIG_PG_URL: url, PROMETHEUS_EXPORT_MIGRATIONS: 'true' },
      });
      try {
        assert.deepEqual(await runStep(app, 'connect'), { value: 1 });
        assert.deepEqual(await migrationGauges(app), {
          [database]: { django_migrations_applied_total: 2, django_migrations_unapplied_total: 1 },
        });
        // autoprom reads on its own connection: only the application's connection and statement are counted.
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
});
