// ES module app: better-sqlite3 or node:sqlite (AUTOPROM_TEST_SQLITE_DRIVER) loaded with import.
import Database from 'better-sqlite3';
import { DatabaseSync } from 'node:sqlite';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { makeSqliteSteps } = require('./db-sqlite-steps.js');
const { serveSteps } = require('./db-steps.js');

const driver = process.env.AUTOPROM_TEST_SQLITE_DRIVER || 'better-sqlite3';
const open =
  driver === 'better-sqlite3'
    ? (file) => new Database(file)
    : (file, options) => (options === undefined ? new DatabaseSync(file) : new DatabaseSync(file, options));
serveSteps(makeSqliteSteps(open, driver));
