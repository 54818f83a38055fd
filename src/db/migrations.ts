/**
 * django_migrations_applied_total and django_migrations_unapplied_total (opt-in with
 * PROMETHEUS_EXPORT_MIGRATIONS=true, as django-prometheus's PROMETHEUS_EXPORT_MIGRATIONS), by
 * `connection` (the database alias), from the migration tables the ORMs keep:
 * Knex `knex_migrations`, Sequelize `SequelizeMeta`, TypeORM `migrations`, Prisma
 * `_prisma_migrations`, Drizzle `__drizzle_migrations` and MikroORM `mikro_orm_migrations`.
 * Unapplied ones are the project's migration files that the table does not list, where the
 * ORM's default layout says where they are (Knex and Sequelize `migrations/`, Prisma
 * `prisma/migrations/`, Drizzle `drizzle/meta/_journal.json`, MikroORM `migrations/`); TypeORM
 * has no default folder, so it gives applied counts only.
 *
 * A database (pg, mysql2, SQLite) is read once the application has connected to it, on autoprom's own
 * connection (read-only statements) (never the application's: a failing read inside its transaction would abort it),
 * then every REFRESH_MS. A database with no migration table, or a failed read, is one warning.
 */
import type { BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { family, type GaugeName } from '../catalogue';
import { errorText, internalError, warn } from '../core/log';
import { exposedName } from '../core/registry';
import { VERSION } from '../core/version';
import type { DbVendor } from './sql-client';

/** Meter (and instrumentation) name of the migration gauges. */
export const AUTOPROM_MIGRATIONS_METER = 'autoprom-migrations';
/** How often a database's migrations are read again. */
export const REFRESH_MS = 10 * 60 * 1000;
/** Databases read, at most (each is one gauge series per family). */
const MAX_DATABASES = 100;

export type MigrationOrm = 'knex' | 'sequelize' | 'typeorm' | 'prisma' | 'drizzle' | 'mikro-orm';

export interface MigrationTable {
  readonly orm: MigrationOrm;
  readonly table: string;
  /** PostgreSQL schema when the ORM does not use the search path (Drizzle's `drizzle`). */
  readonly pgSchema?: string;
  /** The column that names an applied migration (Drizzle: its creation time, matched with the journal). */
  readonly nameColumn: string;
  /** Rows that count as applied (Prisma keeps failed and rolled-back attempts). */
  readonly appliedWhere?: string;
}

export const MIGRATION_TABLES: readonly MigrationTable[] = [
  { orm: 'knex', table: 'knex_migrations', nameColumn: 'name' },
  { orm: 'sequelize', table: 'SequelizeMeta', nameColumn: 'name' },
  { orm: 'typeorm', table: 'migrations', nameColumn: 'name' },
  {
    orm: 'prisma',
    table: '_prisma_migrations',
    nameColumn: 'migration_name',
    appliedWhere: 'finished_at IS NOT NULL AND rolled_back_at IS NULL',
  },
  { orm: 'drizzle', table: '__drizzle_migrations', pgSchema: 'drizzle', nameColumn: 'created_at' },
  { orm: 'mikro-orm', table: 'mikro_orm_migrations', nameColumn: 'name' },
];

/** Runs one read-only statement on autoprom's own connection and gives its rows as objects. */
export type MigrationQuery = (sql: string) => Promise<ReadonlyArray<Record<string, unknown>>>;

/** A way to read one database: open autoprom's own connection, query it, close it. */
export interface MigrationSource {
  readonly vendor: DbVendor;
  readonly alias: string;
  /** Opens a connection for one read; `close` is always called after. */
  open(): Promise<{ query: MigrationQuery; close(): Promise<void> | void }>;
}

function quoteIdentifier(vendor: DbVendor, name: string): string {
  return vendor === 'mysql' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;
}

/** The statement that lists which migration tables exist (column `name`, and `schema` on PostgreSQL). */
export function migrationTablesSql(vendor: DbVendor): string {
  const names = MIGRATION_TABLES.map((t) => `'${t.table}'`).join(', ');
  if (vendor === 'sqlite') return `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${names})`;
  if (vendor === 'mysql')
    return `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (${names})`;
  return `SELECT table_name AS name, table_schema AS schema FROM information_schema.tables WHERE table_name IN (${names}) AND (table_schema = current_schema() OR table_schema = 'drizzle')`;
}

/** The statement that lists the applied migrations of one table (column `name`). */
export function appliedMigrationsSql(vendor: DbVendor, t: MigrationTable): string {
  const table =
    vendor === 'postgresql' && t.pgSchema !== undefined
      ? `${quoteIdentifier(vendor, t.pgSchema)}.${quoteIdentifier(vendor, t.table)}`
      : quoteIdentifier(vendor, t.table);
  const where = t.appliedWhere === undefined ? '' : ` WHERE ${t.appliedWhere}`;
  return `SELECT ${quoteIdentifier(vendor, t.nameColumn)} AS name FROM ${table}${where}`;
}

const SCRIPT = /\.(c|m)?(j|t)s$/;

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The project's migration names for an ORM, from its default layout under `root`, as its
 * table stores them; undefined when the ORM has no default layout (TypeORM) or none is there.
 */
export function projectMigrations(orm: MigrationOrm, root: string): string[] | undefined {
  const scripts = (dir: string) => listDir(join(root, dir)).filter((f) => SCRIPT.test(f) && !f.endsWith('.d.ts'));
  switch (orm) {
    case 'knex':
    case 'sequelize': {
      const files = scripts('migrations');
      return files.length > 0 ? files : undefined;
    }
    case 'mikro-orm': {
      // MikroORM stores the class name: the file name without its extension.
      const files = [...scripts('migrations'), ...scripts(join('src', 'migrations'))].map((f) => f.replace(SCRIPT, ''));
      return files.length > 0 ? [...new Set(files)] : undefined;
    }
    case 'prisma': {
      const dir = join(root, 'prisma', 'migrations');
      const names = listDir(dir).filter((d) => {
        try {
          return statSync(join(dir, d, 'migration.sql')).isFile();
        } catch {
          return false;
        }
      });
      return names.length > 0 ? names : undefined;
    }
    case 'drizzle': {
      try {
        const journal = JSON.parse(readFileSync(join(root, 'drizzle', 'meta', '_journal.json'), 'utf8')) as {
          entries?: Array<{ when?: unknown }>;
        };
        // The table's created_at is the journal entry's `when`.
        return (journal.entries ?? []).map((e) => String(e.when));
      } catch {
        return undefined;
      }
    }
    case 'typeorm':
      return undefined;
  }
}

export interface MigrationCounts {
  readonly applied: number;
  readonly unapplied: number;
}

/** Applied and unapplied counts from the tables found and their applied names (pure). */
export function countMigrations(applied: ReadonlyMap<MigrationOrm, readonly string[]>, root: string): MigrationCounts {
  let appliedCount = 0;
  let unapplied = 0;
  for (const [orm, names] of applied) {
    appliedCount += names.length;
    const files = projectMigrations(orm, root);
    if (files === undefined) continue;
    const done = new Set(names.map(String));
    for (const f of files) if (!done.has(f)) unapplied++;
  }
  return { applied: appliedCount, unapplied };
}

/** Reads one database's migration tables (undefined: no table of any supported ORM). */
export async function readMigrations(source: MigrationSource, root: string): Promise<MigrationCounts | undefined> {
  const connection = await source.open();
  try {
    const present = await connection.query(migrationTablesSql(source.vendor));
    const found = new Set(present.map((r) => `${typeof r.schema === 'string' ? r.schema : ''}.${String(r.name)}`));
    const has = (t: MigrationTable) =>
      [...found].some(
        (k) =>
          k.endsWith(`.${t.table}`) && (source.vendor !== 'postgresql' || t.pgSchema === undefined || k === `${t.pgSchema}.${t.table}`),
      );
    const applied = new Map<MigrationOrm, string[]>();
    for (const t of MIGRATION_TABLES) {
      if (!has(t)) continue;
      const rows = await connection.query(appliedMigrationsSql(source.vendor, t));
      applied.set(
        t.orm,
        rows.map((r) => String(r.name)),
      );
    }
    if (applied.size === 0) return undefined;
    return countMigrations(applied, root);
  } finally {
    await connection.close();
  }
}

/** The migration gauges and the databases they read. */
export class MigrationWatcher {
  private readonly counts = new Map<string, MigrationCounts>();
  private readonly watched = new Set<string>();

  constructor(
    private readonly namespace: string,
    private readonly root = process.cwd(),
  ) {}

  /** A database the application has connected to: read it soon, then every REFRESH_MS. */
  connected(source: MigrationSource): void {
    try {
      if (this.watched.has(source.alias) || this.watched.size >= MAX_DATABASES) return;
      this.watched.add(source.alias);
      const read = () => {
        readMigrations(source, this.root).then(
          (counts) => {
            if (counts === undefined) {
              warn(
                `PROMETHEUS_EXPORT_MIGRATIONS: no migration table of Knex, Sequelize, TypeORM, Prisma, Drizzle or MikroORM in ${source.vendor} database ${source.alias}`,
              );
              this.counts.delete(source.alias);
            } else this.counts.set(source.alias, counts);
          },
          (err: unknown) =>
            warn(
              `PROMETHEUS_EXPORT_MIGRATIONS: could not read the migrations of ${source.vendor} database ${source.alias}: ${errorText(err)}`,
            ),
        );
      };
      // After the application's own work of this turn (it has just connected), never keeping the process alive.
      setTimeout(read, 0).unref();
      setInterval(read, REFRESH_MS).unref();
    } catch (err) {
      internalError('scheduling a migrations read', err);
    }
  }

  registerGauges(meter: Meter): void {
    const name = (row: GaugeName) => exposedName(family(row), this.namespace);
    const applied = meter.createObservableGauge(name('django_migrations_applied_total'), {
      description: family('django_migrations_applied_total').help,
    });
    const unapplied = meter.createObservableGauge(name('django_migrations_unapplied_total'), {
      description: family('django_migrations_unapplied_total').help,
    });
    meter.addBatchObservableCallback((result) => this.observe(result, applied, unapplied), [applied, unapplied]);
  }

  private observe(result: BatchObservableResult, applied: Observable, unapplied: Observable): void {
    for (const [connection, c] of this.counts) {
      result.observe(applied, c.applied, { connection });
      result.observe(unapplied, c.unapplied, { connection });
    }
  }
}

/** The instrumentation that holds the migration gauges (it patches no module). */
export function createMigrationsInstrumentation(watcher: MigrationWatcher): Instrumentation {
  class MigrationsInstrumentation extends InstrumentationBase {
    constructor() {
      super(AUTOPROM_MIGRATIONS_METER, VERSION, {});
    }

    protected override init(): InstrumentationNodeModuleDefinition[] {
      return [];
    }

    protected override _updateMetricInstruments(): void {
      // The base constructor calls this with the global meter; setMeterProvider calls it again.
      watcher.registerGauges(this.meter);
    }
  }
  return new MigrationsInstrumentation();
}
