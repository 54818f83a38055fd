// Applies the migrations of the project in the current directory with the ORM's own migrator (run
// without autoprom, as a deploy step would), 2 of its 3 migrations:
// - sequelize: umzug with Sequelize's `SequelizeStorage` (as sequelize-cli), files `migrations/*.js`,
//   into PostgreSQL (AUTOPROM_TEST_MIG_PG_URL) or MariaDB (database ap_migrations, made afresh);
// - mikro-orm: MikroORM 7's Migrator, classes in `migrations/`, into PostgreSQL;
// - prisma: `prisma migrate deploy` needs Prisma's schema-engine binary, which is downloaded from
//   outside the npm registry and cannot be had here, so this writes `_prisma_migrations` in the
//   layout that engine creates on PostgreSQL, as it leaves it after migration a, a rolled-back attempt
//   of b (marked with `migrate resolve --rolled-back`), b, and a failed attempt of c.
// AUTOPROM_TEST_MIG_ORM names the ORM; AUTOPROM_TEST_MIG_PEERS is test/peers/migrators.
import { randomUUID, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const orm = process.env.AUTOPROM_TEST_MIG_ORM;
const pgUrl = process.env.AUTOPROM_TEST_MIG_PG_URL;
const peers = process.env.AUTOPROM_TEST_MIG_PEERS;
const require = createRequire(import.meta.url);
const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'ap_migrations' };

async function sequelize() {
  const { Sequelize } = require('sequelize');
  const { Umzug, SequelizeStorage } = createRequire(join(peers, 'package.json'))('umzug');
  let db;
  if (pgUrl !== undefined) db = new Sequelize(pgUrl, { logging: false });
  else {
    const admin = await require('mysql2/promise').createConnection({ ...MYSQL, database: undefined });
    await admin.query('DROP DATABASE IF EXISTS ap_migrations');
    await admin.query('CREATE DATABASE ap_migrations');
    await admin.end();
    db = new Sequelize(MYSQL.database, MYSQL.user, MYSQL.password, {
      host: MYSQL.host,
      port: MYSQL.port,
      dialect: 'mysql',
      logging: false,
    });
  }
  const umzug = new Umzug({
    migrations: {
      glob: 'migrations/*.js',
      resolve: ({ name, path, context }) => {
        const m = require(path);
        return { name, up: () => m.up(context, Sequelize), down: () => m.down(context, Sequelize) };
      },
    },
    context: db.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize: db }),
    logger: undefined,
  });
  try {
    await umzug.up({ step: 2 });
  } finally {
    await db.close();
  }
}

async function mikroOrm() {
  const { MikroORM } = await import(pathToFileURL(join(peers, 'node_modules', '@mikro-orm', 'postgresql', 'index.js')).href);
  const { Migrator } = await import(pathToFileURL(join(peers, 'node_modules', '@mikro-orm', 'migrations', 'index.js')).href);
  const db = await MikroORM.init({
    clientUrl: pgUrl,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: { path: join(process.cwd(), 'migrations'), silent: true },
    debug: false,
  });
  try {
    const pending = await db.migrator.getPending();
    await db.migrator.up({ to: pending[1].name });
  } finally {
    await db.close(true);
  }
}

async function prisma() {
  const pg = require('pg');
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  const checksum = (name) =>
    createHash('sha256')
      .update(readFileSync(join('prisma', 'migrations', name, 'migration.sql')))
      .digest('hex');
  try {
    await client.query(`CREATE TABLE "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const row = (name, state) =>
      client.query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, rolled_back_at, logs, applied_steps_count) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [
          randomUUID(),
          checksum(name),
          name,
          state === 'applied' ? new Date() : null,
          state === 'rolled back' ? new Date() : null,
          state === 'applied' ? null : 'Migration failed to apply.',
          state === 'applied' ? 1 : 0,
        ],
      );
    await row('20260101000000_a', 'applied');
    await row('20260102000000_b', 'rolled back');
    await row('20260102000000_b', 'applied');
    await row('20260103000000_c', 'failed');
  } finally {
    await client.end();
  }
}

try {
  await { sequelize, 'mikro-orm': mikroOrm, prisma }[orm]();
} catch (err) {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}
