import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { appliedMigrationsSql, countMigrations, MIGRATION_TABLES, migrationTablesSql, projectMigrations } from '../src/db/migrations';

const table = (orm: string) => MIGRATION_TABLES.find((t) => t.orm === orm)!;

describe('db: migration tables and project layouts', () => {
  it('reads each ORM table with its vendor quoting', () => {
    assert.equal(appliedMigrationsSql('postgresql', table('sequelize')), 'SELECT "name" AS name FROM "SequelizeMeta"');
    assert.equal(appliedMigrationsSql('mysql', table('knex')), 'SELECT `name` AS name FROM `knex_migrations`');
    assert.equal(appliedMigrationsSql('postgresql', table('drizzle')), 'SELECT "created_at" AS name FROM "drizzle"."__drizzle_migrations"');
    assert.equal(appliedMigrationsSql('sqlite', table('drizzle')), 'SELECT "created_at" AS name FROM "__drizzle_migrations"');
    assert.equal(
      appliedMigrationsSql('postgresql', table('prisma')),
      'SELECT "migration_name" AS name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    assert.match(migrationTablesSql('sqlite'), /FROM sqlite_master WHERE type = 'table' AND name IN \('knex_migrations', 'SequelizeMeta'/);
    assert.match(migrationTablesSql('mysql'), /table_schema = DATABASE\(\)/);
    assert.match(migrationTablesSql('postgresql'), /table_schema = current_schema\(\) OR table_schema = 'drizzle'/);
  });

  it('finds migration files where each ORM keeps them, and counts the ones its table does not list', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'autoprom-mig-unit-'));
    mkdirSync(path.join(root, 'migrations'));
    for (const f of ['001_a.js', '002_b.ts', '003_c.cjs', 'README.md', 'types.d.ts']) writeFileSync(path.join(root, 'migrations', f), '');
    mkdirSync(path.join(root, 'prisma', 'migrations', '20260101_init'), { recursive: true });
    writeFileSync(path.join(root, 'prisma', 'migrations', '20260101_init', 'migration.sql'), '');
    mkdirSync(path.join(root, 'prisma', 'migrations', 'not_a_migration'), { recursive: true });
    writeFileSync(path.join(root, 'prisma', 'migrations', 'migration_lock.toml'), '');
    mkdirSync(path.join(root, 'drizzle', 'meta'), { recursive: true });
    writeFileSync(path.join(root, 'drizzle', 'meta', '_journal.json'), JSON.stringify({ entries: [{ when: 1 }, { when: 2 }] }));

    assert.deepEqual(projectMigrations('knex', root)?.sort(), ['001_a.js', '002_b.ts', '003_c.cjs']);
    assert.deepEqual(projectMigrations('mikro-orm', root)?.sort(), ['001_a', '002_b', '003_c']);
    assert.deepEqual(projectMigrations('prisma', root), ['20260101_init']);
    assert.deepEqual(projectMigrations('drizzle', root), ['1', '2']);
    assert.equal(projectMigrations('typeorm', root), undefined);
    assert.equal(projectMigrations('knex', path.join(root, 'nowhere')), undefined);

    assert.deepEqual(
      countMigrations(
        new Map([
          ['knex', ['001_a.js']],
          ['drizzle', ['1', '2']],
          ['typeorm', ['X1', 'Y2', 'Z3']],
        ]),
        root,
      ),
      { applied: 6, unapplied: 2 },
    );
  });
});
