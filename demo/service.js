// The demo service: a small express shop API that uses PostgreSQL and Redis when it can reach
// them, and says which parts it used. It runs under `--require autoprom/register` (see run.js).
const express = require('express');
const net = require('node:net');

function reachable(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(1000, () => {
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

async function main() {
  const app = express();
  const used = { postgres: false, redis: false };
  let pool;
  let redis;

  const pgPort = Number(process.env.DEMO_PG_PORT || 5432);
  const redisPort = Number(process.env.DEMO_REDIS_PORT || 6379);
  if (await reachable(pgPort)) {
    const { Pool } = require('pg');
    pool = new Pool({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/test`, max: 4 });
    try {
      await pool.query(
        'CREATE TABLE IF NOT EXISTS demo_orders (id serial PRIMARY KEY, item text NOT NULL, created_at timestamptz DEFAULT now())',
      );
      used.postgres = true;
    } catch (err) {
      process.stderr.write(`demo: PostgreSQL answered but could not be used (${err.message})\n`);
      pool = undefined;
    }
  }
  if (await reachable(redisPort)) {
    const Redis = require('ioredis');
    redis = new Redis({ host: '127.0.0.1', port: redisPort, connectionName: 'demo-cache', maxRetriesPerRequest: 1 });
    used.redis = true;
  }

  const products = express.Router();
  products.get('/:id', async (req, res) => {
    const key = `demo:product:${req.params.id}`;
    if (redis) {
      const hit = await redis.get(key);
      if (hit !== null) return res.json(JSON.parse(hit));
    }
    if (Number(req.params.id) > 40) return res.status(404).json({ error: 'no such product' });
    const product = { id: Number(req.params.id), name: `product ${req.params.id}` };
    if (redis) await redis.set(key, JSON.stringify(product), 'EX', 5);
    res.json(product);
  });
  app.use('/products', products);

  app.post('/orders', express.json(), async (req, res) => {
    if (pool) {
      const { rows } = await pool.query('INSERT INTO demo_orders (item) VALUES ($1) RETURNING id', [String(req.body.item || 'thing')]);
      if (rows[0].id % 10 === 0) await pool.query('DELETE FROM demo_orders WHERE id < $1', [rows[0].id - 50]);
      return res.status(201).json(rows[0]);
    }
    res.status(201).json({ id: 0 });
  });
  app.get('/boom', () => {
    throw new TypeError('the demo fails on purpose');
  });
  app.get('/healthz', (req, res) => res.send('ok'));
  app.use((err, req, res, next) => res.status(500).json({ error: err.message }));

  const server = app.listen(Number(process.env.DEMO_PORT || 0), '127.0.0.1', () => {
    process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, used })}\n`);
  });
}

main().catch((err) => {
  process.stderr.write(`demo service failed: ${err.stack}\n`);
  process.exit(1);
});
