// An application that connects to its database (SQLite file or PostgreSQL) and serves steps; under
// the preload with PROMETHEUS_EXPORT_MIGRATIONS=true its migration gauges are read from that database.
'use strict';
const { serveSteps } = require('./db-steps');

const db = process.env.AUTOPROM_TEST_MIG_DB;
let handle;
const steps = {
  async connect() {
    if (db === 'sqlite') {
      const Database = require('better-sqlite3');
      handle = new Database(process.env.AUTOPROM_TEST_MIG_FILE);
      return handle.prepare('SELECT 1 AS one').get().one;
    }
    if (db === 'mysql') {
      const mysql = require('mysql2');
      handle = mysql.createPool({
        host: '127.0.0.1',
        port: 3306,
        user: 'root',
        password: '',
        database: 'ap_migrations',
        connectionLimit: 1,
      });
      const [rows] = await handle.promise().query('SELECT 1 AS one');
      return rows[0].one;
    }
    if (db === 'postgres-js') {
      handle = require('postgres')(process.env.AUTOPROM_TEST_MIG_PG_URL, { max: 1 });
      return (await handle`SELECT 1 AS one`)[0].one;
    }
    const pg = require('pg');
    handle = new pg.Client({ connectionString: process.env.AUTOPROM_TEST_MIG_PG_URL });
    await handle.connect();
    return (await handle.query('SELECT 1 AS one')).rows[0].one;
  },
};
serveSteps(steps);
