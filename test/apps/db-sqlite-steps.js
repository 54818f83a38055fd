// Scripted SQLite steps (better-sqlite3 and node:sqlite share the synchronous API used here),
// on a file in a fresh temporary directory. Apps pass in how to open a database.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** `open(file, options)` opens a database with the driver under test; `driver` names it. */
function makeSqliteSteps(open, driver) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoprom-sqlite-'));
  const file = path.join(dir, 'ap_sqlite_test.db');
  let db;

  const steps = {
    // 1 connection (alias ap_sqlite_test.db), 1 exec of two statements.
    open() {
      db = open(file);
      db.exec(
        'DROP TABLE IF EXISTS ap_sq_items; CREATE TABLE ap_sq_items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER NOT NULL DEFAULT 0)',
      );
    },
    // 3 rows in one statement: 1 insert.
    insertRun() {
      return Number(db.prepare('INSERT INTO "ap_sq_items" (name) VALUES (?), (?), (?)').run('a', 'b', 'c').changes);
    },
    backtickUpdate() {
      return Number(db.prepare('UPDATE `ap_sq_items` SET n = n + 1 WHERE name = ?').run('a').changes);
    },
    bracketDelete() {
      return Number(db.prepare('DELETE FROM [ap_sq_items] WHERE name = ?').run('c').changes);
    },
    // INSERT OR REPLACE and REPLACE INTO: 2 inserts.
    insertOrReplace() {
      db.prepare("INSERT OR REPLACE INTO ap_sq_items (name, n) VALUES ('r', 1)").run();
      return Number(db.prepare("REPLACE INTO main.ap_sq_items (name, n) VALUES ('r', 2)").run().changes);
    },
    // RETURNING read with get(): 1 insert.
    returning() {
      return typeof db.prepare("INSERT INTO ap_sq_items (name) VALUES ('ret') RETURNING id").get().id;
    },
    // all(), get() and iterate(): 3 statements, no model.
    selects() {
      const st = db.prepare('SELECT name FROM ap_sq_items ORDER BY name');
      const all = st.all().length;
      const first = st.get().name;
      let n = 0;
      for (const row of db.prepare('SELECT name FROM ap_sq_items').iterate()) n += row.name ? 1 : 0;
      return [all, first, n];
    },
    // One exec, two statements: 1 insert, 1 delete.
    execMulti() {
      db.exec("INSERT INTO ap_sq_items (name) VALUES ('m1'); DELETE FROM ap_sq_items WHERE name = 'm1'");
    },
    // One prepared statement run twice: 2 updates.
    sameStatementTwice() {
      const st = db.prepare('UPDATE ap_sq_items SET n = n + 1 WHERE name = ?');
      return [Number(st.run('a').changes), Number(st.run('b').changes)];
    },
    uniqueViolation() {
      return db.prepare("INSERT INTO ap_sq_items (name) VALUES ('a')").run();
    },
    notNull() {
      return db.prepare("INSERT INTO ap_sq_items (name, n) VALUES ('x', NULL)").run();
    },
    // Fails to compile in prepare(): 1 statement, 1 error.
    noSuchTable() {
      return db.prepare('DELETE FROM ap_sq_nope');
    },
    syntaxError() {
      return db.exec('UPDATE ap_sq_items SETT n = 1');
    },
    // An in-memory database: alias :memory:, 1 connection, 1 statement.
    memoryDb() {
      const m = open(':memory:');
      m.exec('CREATE TABLE t (a)');
      m.close();
    },
    // A file in a directory that does not exist: 1 attempt, 1 failure (alias x.db).
    openFailure() {
      open(path.join(dir, 'no-such-dir', 'x.db'));
    },
    cleanup() {
      db.exec('DROP TABLE IF EXISTS ap_sq_items');
    },
  };
  if (driver === 'better-sqlite3') {
    // db.transaction(): BEGIN, the insert, COMMIT: 3 statements, 1 insert.
    steps.transaction = () => {
      const insert = db.prepare('INSERT INTO ap_sq_items (name) VALUES (?)');
      db.transaction((name) => insert.run(name))('t1');
    };
  } else {
    // { open: false } then open(): the attempt is the open() call.
    steps.openLater = () => {
      const later = open(path.join(dir, 'ap_later.db'), { open: false });
      later.open();
      later.exec('CREATE TABLE IF NOT EXISTS t (a)');
      later.close();
    };
  }
  return steps;
}

module.exports = { makeSqliteSteps };
