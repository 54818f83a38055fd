// Scripted mysql2 steps against the real MariaDB/MySQL (callback, promise and pool APIs). CommonJS
// and ES module apps pass in the mysql2 they loaded their own way; served by db-steps.js.
'use strict';

const CONFIG = {
  host: '127.0.0.1',
  port: Number(process.env.AUTOPROM_TEST_MYSQL_PORT || 3306),
  user: 'root',
  password: '',
  database: 'test',
};

function makeMysqlSteps(mysql, mysqlPromise) {
  // One connection, kept: statement errors do not drop it, so connection counts are exact.
  const pool = mysql.createPool({ ...CONFIG, connectionLimit: 1 });
  const q = (sql, values) => new Promise((resolve, reject) => pool.query(sql, values, (err, res) => (err ? reject(err) : resolve(res))));

  return {
    // 2 statements through pool.query (callback style), 1 new pool connection.
    async ddl() {
      await q('DROP TABLE IF EXISTS ap_my_items');
      await q('CREATE TABLE ap_my_items (id int AUTO_INCREMENT PRIMARY KEY, name varchar(20) UNIQUE, n int NOT NULL DEFAULT 0)');
    },
    // Backticks, 3 rows: 1 insert.
    async backtickInsert() {
      return (await q('INSERT INTO `ap_my_items` (`name`) VALUES (?), (?), (?)', ['a', 'b', 'c'])).affectedRows;
    },
    // mysql2/promise: a new connection, one prepared statement (execute): 1 update.
    async promiseExecute() {
      const c = await mysqlPromise.createConnection(CONFIG);
      try {
        const [res] = await c.execute('UPDATE ap_my_items SET n = n + 1 WHERE name = ?', ['a']);
        return res.affectedRows;
      } finally {
        await c.end();
      }
    },
    // The promise pool over the same pool: 1 delete.
    async promisePool() {
      const [res] = await pool.promise().query('DELETE FROM test.`ap_my_items` WHERE name = ?', ['c']);
      return res.affectedRows;
    },
    // INSERT … ON DUPLICATE KEY UPDATE and REPLACE: 2 inserts.
    async upsertReplace() {
      await q("INSERT INTO ap_my_items (name) VALUES ('a') ON DUPLICATE KEY UPDATE n = n + 1");
      return (await q("REPLACE INTO ap_my_items (name, n) VALUES ('r', 1)")).affectedRows;
    },
    // A backslash-escaped quote and a `;` inside a MySQL string, a # comment: 1 update.
    async escapes() {
      return (await q("# leading comment\nUPDATE ap_my_items SET name = 'it\\'s; d' WHERE name = 'r'")).affectedRows;
    },
    // INSERT IGNORE and DELETE QUICK: 1 insert, 1 delete.
    async modifiers() {
      await q("INSERT IGNORE INTO ap_my_items (name) VALUES ('a')");
      return (await q("DELETE QUICK FROM ap_my_items WHERE name = 'zz'")).affectedRows;
    },
    // A connection with multipleStatements: 1 connection, 1 statement, 1 insert and 1 delete.
    async multiStatement() {
      const c = mysql.createConnection({ ...CONFIG, multipleStatements: true });
      try {
        await new Promise((resolve, reject) =>
          c.query("INSERT INTO ap_my_items (name) VALUES ('m1'); DELETE FROM ap_my_items WHERE name = 'm1'", (err) =>
            err ? reject(err) : resolve(),
          ),
        );
      } finally {
        await new Promise((resolve) => c.end(resolve));
      }
    },
    // Errors, by the class Django's MySQL backend raises.
    async dupEntry() {
      return q("INSERT INTO ap_my_items (name) VALUES ('a')");
    },
    async noSuchTable() {
      return q('DELETE FROM ap_my_nope');
    },
    async parseError() {
      return q('UPDATE ap_my_items SETT name = 1');
    },
    async badField() {
      return q('SELECT nope FROM ap_my_items');
    },
    async badNull() {
      return q("INSERT INTO ap_my_items (name, n) VALUES ('x', NULL)");
    },
    async dataTooLong() {
      return q('INSERT INTO ap_my_items (name) VALUES (?)', ['x'.repeat(30)]);
    },
    // A prepared statement that fails, through the promise pool.
    async executeError() {
      return pool.promise().execute('SELECT * FROM ap_my_nope WHERE id = ?', [1]);
    },
    // A refused connection, callback style: 1 attempt, 1 failure for alias ap_refused.
    async refused() {
      const c = mysql.createConnection({ ...CONFIG, port: 1, database: 'ap_refused' });
      return new Promise((resolve, reject) => c.connect((err) => (err ? reject(err) : resolve())));
    },
    // A database that does not exist, promise style: 1 attempt, 1 failure.
    async wrongDatabase() {
      return mysqlPromise.createConnection({ ...CONFIG, database: 'ap_no_such_db' });
    },
    async cleanup() {
      await q('DROP TABLE IF EXISTS ap_my_items');
    },
  };
}

module.exports = { makeMysqlSteps };
