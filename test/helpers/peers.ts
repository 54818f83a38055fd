/**
 * Test-only packages too large for the root install, each in its own small package under
 * `test/peers` with its lock file, installed on demand (`npm ci --prefix`) the first time a test
 * needs it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './child';

export const PEERS = path.join(ROOT, 'test', 'peers');

function install(dir: string, timeout = 300000, env: NodeJS.ProcessEnv = process.env): void {
  execFileSync('npm', ['ci', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'ignore', timeout, env });
}

/**
 * Prisma 7 with @prisma/adapter-pg (about 300 MB, 20 s), its client generated from
 * `test/peers/prisma7/prisma/schema.prisma`. Generating needs no schema engine, whose download
 * from outside the npm registry fails here: PRISMA_SCHEMA_ENGINE_BINARY=/bin/true stands in.
 */
export function ensurePrisma(): string {
  const dir = path.join(PEERS, 'prisma7');
  if (!existsSync(path.join(dir, 'node_modules', 'prisma', 'package.json'))) install(dir);
  if (!existsSync(path.join(dir, 'node_modules', '.prisma', 'client', 'default.js'))) {
    execFileSync(process.execPath, [path.join(dir, 'node_modules', 'prisma', 'build', 'index.js'), 'generate'], {
      cwd: dir,
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      stdio: 'ignore',
      timeout: 120000,
    });
  }
  return dir;
}

/** MikroORM 7 (core, postgresql, migrations) and umzug, for the migration-gauge tests (about 20 MB, 5 s). */
export function ensureMigrators(): string {
  const dir = path.join(PEERS, 'migrators');
  if (!existsSync(path.join(dir, 'node_modules', 'umzug', 'package.json'))) install(dir);
  return dir;
}

/**
 * node-sqlite3 (`sqlite3`), compiled from source on install (its prebuilt binary is downloaded
 * from outside the registry): against the system's SQLite when its headers are there
 * (libsqlite3-dev: about 20 s), else with the SQLite it bundles (several minutes).
 */
export function ensureSqlite3(): string {
  const dir = path.join(PEERS, 'sqlite3');
  if (!existsSync(path.join(dir, 'node_modules', 'sqlite3', 'build', 'Release', 'node_sqlite3.node'))) {
    const system = existsSync('/usr/include/sqlite3.h');
    install(dir, 600000, system ? { ...process.env, npm_config_sqlite: '/usr' } : process.env);
  }
  return dir;
}
