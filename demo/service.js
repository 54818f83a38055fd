// The demo service: a small express shop API that uses PostgreSQL and Redis when it can reach
// them, and says which parts it used. It runs under `--require autoprom/register` (see run.js).
// Every step that talks to a server has a timeout: a port that accepts and never answers, or
// answers but is not PostgreSQL or Redis, is reported and left out, never waited on forever.
const express = require('express');
const net = require('node:net');

const TIMEOUT_MS = 2000;

// Started by run.js: exit with it, even if it is killed without a chance to stop us.
if (process.env.DEMO_EXIT_WITH_PARENT === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

function reachable(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(TIMEOUT_MS, () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
  });
}

async function usePostgres(port) {
  if (!(await reachable(port))) return { problem: `not reachable on 127.0.0.1:${port}` };
  const { Pool } = require('pg');
  const pool = new Pool({
    connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
    max: 4,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
  });
  pool.on('error', () => {}); // an idle client losing its server must not end the demo
  try {
    await pool.query(
      'CREATE TABLE IF NOT EXISTS demo_orders (id serial PRIMARY KEY, item text NOT NULL, created_at timestamptz DEFAULT now())',
    );
    return { pool };
  } catch (err) {
    await pool.end().catch(() => {});
    return { problem: `not usable on 127.0.0.1:${port} (${err.message})` };
  }
}

async function useRedis(port) {
  if (!(await reachable(port))) return { problem: `not reachable on 127.0.0.1:${port}` };
  const Redis = require('ioredis');
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    connectionName: 'demo-cache',
    maxRetriesPerRequest: 1,
    connectTimeout: TIMEOUT_MS,
    commandTimeout: TIMEOUT_MS,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.ping();
    return { redis };
  } catch (err) {
    redis.disconnect();
    return { problem: `not usable on 127.0.0.1:${port} (${err.message})` };
  }
}

async function main() {
  const app = express();
  const [pg, cache] = await Promise.all([
    usePostgres(Number(process.env.DEMO_PG_PORT || 5432)),
    useRedis(Number(process.env.DEMO_REDIS_PORT || 6379)),
  ]);
  const { pool } = pg;
  const { redis } = cache;
  const used = { postgres: pool !== undefined, redis: redis !== undefined, postgresProblem: pg.problem, redisProblem: cache.problem };

  const products = express.Router();
  products.get('/:id', async (req, res, next) => {
    try {
      const key = `demo:product:${req.params.id}`;
      if (redis) {
        const hit = await redis.get(key);
        if (hit !== null) return res.json(JSON.parse(hit));
      }
      if (Number(req.params.id) > 40) return res.status(404).json({ error: 'no such product' });
      const product = { id: Number(req.params.id), name: `product ${req.params.id}` };
      if (redis) await redis.set(key, JSON.stringify(product), 'EX', 5);
      res.json(product);
    } catch (err) {
      next(err);
    }
  });
  app.use('/products', products);

  app.post('/orders', express.json(), async (req, res, next) => {
    try {
      if (pool) {
        const { rows } = await pool.query('INSERT INTO demo_orders (item) VALUES ($1) RETURNING id', [String(req.body.item || 'thing')]);
        if (rows[0].id % 10 === 0) await pool.query('DELETE FROM demo_orders WHERE id < $1', [rows[0].id - 50]);
        return res.status(201).json(rows[0]);
      }
      res.status(201).json({ id: 0 });
    } catch (err) {
      next(err);
    }
  });
  app.get('/boom', () => {
    throw new TypeError('the demo fails on purpose');
  });
  app.get('/healthz', (req, res) => res.send('ok'));
  app.use((err, req, res, _next) => res.status(500).json({ error: err.message }));

  const server = app.listen(Number(process.env.DEMO_PORT || 0), '127.0.0.1', () => {
    process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, used })}\n`);
  });
}

main().catch((err) => {
  process.stderr.write(`demo service failed: ${err.stack}\n`);
  process.exit(1);
});
