// The ops kit's live app: an express API over PostgreSQL and Redis with a route for each thing the
// dashboard and the alert rules watch (5xx, a slow view, SQL errors, a database that refuses
// connections, a failing cache read, streaming, outgoing requests, a blocked event loop).
const express = require('express');
const { Client, Pool } = require('pg');
const Redis = require('ioredis');

const pgUrl = process.env.OPS_PG_URL;
const pool = new Pool({ connectionString: pgUrl, max: 4 });
const redis = new Redis({ host: '127.0.0.1', port: 6379, connectionName: 'sessions' });
const app = express();
let selfBase = '';

const users = express.Router();
users.get('/:id', async (req, res, next) => {
  try {
    const cached = await redis.get(`ops:user:${req.params.id}`);
    if (cached !== null) return res.json(JSON.parse(cached));
    const { rows } = await pool.query('SELECT id, name FROM ap_ops_users WHERE id = $1', [req.params.id]);
    if (rows.length === 0) return res.status(404).json({ error: 'no such user' });
    await redis.set(`ops:user:${req.params.id}`, JSON.stringify(rows[0]), 'EX', 60);
    res.json(rows[0]);
  } catch (err) {
    next(err);
  }
});
users.post('/', express.json(), async (req, res, next) => {
  try {
    const { rows } = await pool.query('INSERT INTO ap_ops_users (name) VALUES ($1) RETURNING id', [String(req.body.name)]);
    res.status(201).json(rows[0]);
  } catch (err) {
    next(err);
  }
});
users.put('/:id', express.json(), async (req, res, next) => {
  try {
    await pool.query('UPDATE ap_ops_users SET name = $1 WHERE id = $2', [String(req.body.name), req.params.id]);
    res.status(204).end();
  } catch (err) {
    next(err);
  }
});
users.delete('/:id', async (req, res, next) => {
  try {
    await pool.query('DELETE FROM ap_ops_users WHERE id = $1', [req.params.id]);
    await redis.del(`ops:user:${req.params.id}`);
    res.status(204).end();
  } catch (err) {
    next(err);
  }
});
app.use('/api/users', users);

app.get('/ops/fail', () => {
  throw new TypeError('fails on purpose');
});
app.get('/ops/missing-table', async (req, res, next) => {
  try {
    await pool.query('SELECT * FROM ap_ops_no_such_table');
    res.end();
  } catch (err) {
    next(err);
  }
});
app.get('/ops/db-down', async (req, res) => {
  const client = new Client({ connectionString: process.env.OPS_PG_DOWN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    res.status(200).end();
  } catch {
    res.status(503).json({ error: 'database unavailable' });
  }
});
app.get('/ops/cache-wrongtype', async (req, res) => {
  try {
    await redis.get('ops:a-list');
    res.end();
  } catch {
    res.status(503).json({ error: 'cache read failed' });
  }
});
app.get('/ops/slow', (req, res) => {
  setTimeout(() => res.json({ slow: true }), 1100);
});
app.get('/ops/stream', (req, res) => {
  res.write('one ');
  setImmediate(() => res.end('two'));
});
app.get('/ops/outgoing', async (req, res, next) => {
  try {
    const r = await fetch(`${selfBase}/api/users/1`);
    res.status(r.status).send(await r.text());
  } catch (err) {
    next(err);
  }
});
// Blocks the event loop for `ms` in one piece, or in `slice`-long pieces with a turn of the loop
// between them (every event-loop delay sample then is about `slice` long).
app.get('/ops/block', (req, res) => {
  const total = Number(req.query.ms ?? 0);
  const slice = Number(req.query.slice ?? total);
  const until = Date.now() + total;
  const blockFor = (ms) => {
    const end = Math.min(until, Date.now() + ms);
    while (Date.now() < end) {
      // the event loop answers nothing meanwhile: that is the point
    }
  };
  const step = () => {
    blockFor(slice);
    if (Date.now() < until) setImmediate(step);
    else res.end('unblocked');
  };
  step();
});
// More concurrent statements than the pool has connections: requests wait for one.
app.get('/ops/pool-burst', async (req, res, next) => {
  try {
    await Promise.all(Array.from({ length: 12 }, () => pool.query('SELECT pg_sleep(0.5)')));
    res.end();
  } catch (err) {
    next(err);
  }
});
app.use((err, req, res, _next) => res.status(500).json({ error: err.message }));

async function main() {
  await pool.query('DROP TABLE IF EXISTS ap_ops_users');
  await pool.query('CREATE TABLE ap_ops_users (id serial PRIMARY KEY, name text NOT NULL)');
  await pool.query("INSERT INTO ap_ops_users (name) VALUES ('ada'), ('grace')");
  const keys = await redis.keys('ops:*');
  if (keys.length > 0) await redis.del(...keys);
  await redis.rpush('ops:a-list', 'x');
  const server = app.listen(0, '127.0.0.1', () => {
    selfBase = `http://127.0.0.1:${server.address().port}`;
    process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
  });
}
main().catch((err) => {
  process.stderr.write(`ops app failed: ${err.stack}\n`);
  process.exit(1);
});
