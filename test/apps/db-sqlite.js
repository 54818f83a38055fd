// CommonJS app: better-sqlite3 or node:sqlite (AUTOPROM_TEST_SQLITE_DRIVER) loaded with require.
'use strict';
const { makeSqliteSteps } = require('./db-sqlite-steps');
const { serveSteps } = require('./db-steps');

const driver = process.env.AUTOPROM_TEST_SQLITE_DRIVER || 'better-sqlite3';
let open;
if (driver === 'better-sqlite3') {
  const Database = require('better-sqlite3');
  open = (file) => new Database(file);
} else {
  const { DatabaseSync } = require('node:sqlite');
  open = (file, options) => (options === undefined ? new DatabaseSync(file) : new DatabaseSync(file, options));
}
serveSteps(makeSqliteSteps(open, driver));
