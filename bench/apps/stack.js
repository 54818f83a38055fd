'use strict';
// A realistic route: GET /users/:id reads the user's cache entry from Redis (ioredis) and runs one
// SQL statement (pg pool), then answers. STACK_FRAMEWORK=express (default) or fastify. Needs
// Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (database test).
const http = require('node:http');
const Redis = require('ioredis');
const { Pool } = require('pg');
const listen = require('./ready');

const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, maxRetriesPerRequest: 1 });
const pool = new Pool({ connectionString: process.env.STACK_PG_URL || 'postgres://postgres@127.0.0.1:5432/test', max: 10 });

async function user(id) {
  const cached = await redis.get(`bench:user:${id}`);
  const { rows } = await pool.query('SELECT $1::int AS id, now() AS seen', [id]);
  return `Hello, ${rows[0].id}${cached === null ? '' : ` (${cached})`}!`;
}

async function main() {
  await redis.set('bench:user:42', 'cached');
  await pool.query('SELECT 1');
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
