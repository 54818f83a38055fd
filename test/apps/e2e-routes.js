// The end-to-end app's routes over PostgreSQL and Redis, as a user would write them. The
// CommonJS and ES module entry points load express, pg and ioredis their own way and pass them in,
// so what is instrumented is what each kind of app really imports.
module.exports = function runApp({ express, Pool, Redis }) {
  const pool = new Pool({ connectionString: process.env.E2E_PG_URL, max: 2 });
  const redis = new Redis({ host: '127.0.0.1', port: 6379, connectionName: 'sessions' });
  const app = express();

  const api = express.Router();
  api.get('/users/:id', async (req, res, next) => {
    try {
      const cached = await redis.get(`e2e:user:${req.params.id}`);
      if (cached !== null) return res.json(JSON.parse(cached));
      const { rows } = await pool.query('SELECT id, name FROM ap_e2e_users WHERE id = $1', [req.params.id]);
      if (rows.length === 0) return res.status(404).json({ error: 'no such user' });
      await redis.set(`e2e:user:${req.params.id}`, JSON.stringify(rows[0]));
      res.json(rows[0]);
    } catch (err) {
      next(err);
    }
  });
  api.post('/users', async (req, res, next) => {
    try {
      const { rows } = await pool.query('INSERT INTO ap_e2e_users (name) VALUES ($1) RETURNING id', ['ada']);
      res.status(201).json(rows[0]);
    } catch (err) {
      next(err);
    }
  });
  app.use('/api', api);

  async function main() {
    await pool.query('DROP TABLE IF EXISTS ap_e2e_users');
    await pool.query('CREATE TABLE ap_e2e_users (id serial PRIMARY KEY, name text NOT NULL)');
    const keys = await redis.keys('e2e:user:*');
    if (keys.length > 0) await redis.del(...keys);
    const server = app.listen(0, '127.0.0.1', () => {
      process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
    });
  }
  main().catch((err) => {
    process.stderr.write(`e2e app failed: ${err.stack}\n`);
    process.exit(1);
  });
};
