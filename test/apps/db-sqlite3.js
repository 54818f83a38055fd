// node-sqlite3 (`sqlite3`, from test/peers/sqlite3: SQLITE3_DIR) on a temporary file: scripted steps whose
// replies are compared with and without autoprom. Each step says what it sends.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { serveSteps } = require('./db-steps');

const sqlite3 = require(path.join(process.env.SQLITE3_DIR, 'node_modules', 'sqlite3'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoprom-sqlite3-'));
let db;
const call = (target, method, ...args) =>
  new Promise((resolve, reject) =>
    target[method](...args, function (err, rows) {
      if (err) reject(err);
      else resolve(method === 'run' ? { changes: this.changes } : rows);
    }),
  );

serveSteps({
  // 1 connection, 1 statement.
  async open() {
    db = await new Promise((resolve, reject) => {
      const d = new sqlite3.Database(path.join(dir, 'ap_sqlite3.db'), (err) => (err ? reject(err) : resolve(d)));
    });
    await call(db, 'run', 'CREATE TABLE ap_s3_items (id INTEGER PRIMARY KEY, name TEXT UNIQUE)');
    return db instanceof sqlite3.Database;
  },
  // 2 statements (Database#run with parameters, Database#all): 1 insert.
  async insertAndRead() {
    await call(db, 'run', 'INSERT INTO ap_s3_items (name) VALUES (?)', 'a');
    return call(db, 'all', 'SELECT name FROM ap_s3_items');
  },
  // A prepared statement run twice (2 statements, 2 updates), then finalized.
  async prepared() {
    const st = db.prepare('UPDATE ap_s3_items SET name = ? WHERE id = 1');
    const a = await call(st, 'run', 'b');
    const b = await call(st, 'run', 'c');
    await new Promise((resolve) => st.finalize(resolve));
    return [a, b];
  },
  // One exec of two statements: 1 statement, 1 insert and 1 delete.
  async exec() {
    await call(db, 'exec', "INSERT INTO ap_s3_items (name) VALUES ('x'); DELETE FROM ap_s3_items WHERE name = 'x'");
    return call(db, 'get', 'SELECT count(*) AS n FROM ap_s3_items');
  },
  // A statement that does not compile: 1 statement, 1 OperationalError.
  async syntaxError() {
    return call(db, 'all', 'SELEC name FROM ap_s3_items');
  },
  // A prepared statement run without a callback: its unique violation is an `error` event on it (1 IntegrityError).
  async eventError() {
    const st = db.prepare('INSERT INTO ap_s3_items (name) VALUES (?)');
    const err = await new Promise((resolve) => {
      st.once('error', resolve);
      st.run('c');
    });
    await new Promise((resolve) => st.finalize(resolve));
    return { code: err.code, errno: err.errno, message: err.message };
  },
  // A database that cannot be opened: 1 connection, 1 connection error.
  async cannotOpen() {
    return new Promise((resolve) => {
      const d = new sqlite3.Database(path.join(dir, 'no', 'such', 'dir.db'), sqlite3.OPEN_READWRITE, (err) =>
        resolve({ code: err && err.code, isDb: d instanceof sqlite3.Database }),
      );
    });
  },
});
