'use strict';
// A realistic route: GET /users/:id reads the user's cache entry from Redis (ioredis) and runs one
// SQL statement, then answers. STACK_FRAMEWORK=express (default) or fastify; STACK_SQL=pg (default,
// a pool to PostgreSQL on 127.0.0.1:5432, database test), mysql2 (a pool to MariaDB on
// 127.0.0.1:3306, root, database test) or sqlite (better-sqlite3, an in-memory database). Needs
// Redis on 127.0.0.1:6379.
const http = require('node:http');
const Redis = require('ioredis');
const listen = require('./ready');

const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, maxRetriesPerRequest: 1 });

/** One statement: `query(id)` resolves to a row with `id`; `close()` ends the pool. */
function sqlClient(kind) {
  if (kind === 'mysql2') {
    const pool = require('mysql2/promise').createPool({
      host: '127.0.0.1',
      port: 3306,
      user: 'root',
      password: '',
      database: 'test',
      connectionLimit: 10,
    });
    return { query: async (id) => (await pool.query('SELECT ? AS id, NOW() AS seen', [id]))[0][0] };
  }
  if (kind === 'sqlite') {
    const db = new (require('better-sqlite3'))(':memory:');
    const statement = db.prepare("SELECT ? AS id, datetime('now') AS seen");
    return { query: async (id) => statement.get(id) };
  }
  const { Pool } = require('pg');
  const pool = new Pool({ connectionString: process.env.STACK_PG_URL || 'postgres://postgres@127.0.0.1:5432/test', max: 10 });
  return { query: async (id) => (await pool.query('SELECT $1::int AS id, now() AS seen', [id])).rows[0] };
}

const sql = sqlClient(process.env.STACK_SQL || 'pg');

async function user(id) {
  const cached = await redis.get(`bench:user:${id}`);
  const row = await sql.query(id);
  return `Hello, ${row.id}${cached === null ? '' : ` (${cached})`}!`;
}

async function main() {
  await redis.set('bench:user:42', 'cached');
  await sql.query(1);
  if (process.env.STACK_FRAMEWORK === 'fastify') {
    const app = require('fastify')();
    app.get('/users/:id', async (request, reply) => reply.type('text/plain').send(await user(Number(request.params.id))));
    await app.ready();
    listen(app.server);
  } else {
    const app = require('express')();
    app.get('/users/:id', (req, res, next) => user(Number(req.params.id)).then((body) => res.type('text/plain').send(body), next));
    listen(http.createServer(app));
  }
}
main().catch((err) => {
  process.stderr.write(`stack.js: ${err.stack}\n`);
  process.exit(1);
});
