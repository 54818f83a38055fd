// ES module app: what import.meta.resolve() gives for modules autoprom wraps (pg, a CommonJS
// package; postgres.js, an ES module one), and whether importing that URL gives the module
// `import 'pg'` gives. GET /pg and GET /postgres run one statement each through the module
// imported by its resolved URL.
import http from 'node:http';
import pgStatic from 'pg';

const resolved = { pg: import.meta.resolve('pg'), postgres: import.meta.resolve('postgres'), express: import.meta.resolve('express') };
const pgByUrl = await import(resolved.pg);
const pgByName = await import('pg');
const postgresByUrl = await import(resolved.postgres);
const postgresByName = await import('postgres');
const same = {
  pg: pgByUrl === pgByName && pgByUrl.default === pgStatic,
  postgres: postgresByUrl === postgresByName,
};
// Again, after the imports: the same URLs.
const again = { pg: import.meta.resolve('pg'), postgres: import.meta.resolve('postgres') };

const config = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const server = http.createServer(async (req, res) => {
  try {
    if (req.url === '/pg') {
      const client = new pgByUrl.default.Client(config);
      await client.connect();
      const r = await client.query('SELECT 1 AS one');
      await client.end();
      res.end(JSON.stringify(r.rows));
    } else if (req.url === '/postgres') {
      const sql = postgresByUrl.default({ ...config, username: config.user, max: 1 });
      const r = await sql`SELECT 1 AS one`;
      await sql.end();
      res.end(JSON.stringify([...r]));
    } else {
      res.statusCode = 404;
      res.end();
    }
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err));
  }
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, resolved, again, same })}\n`);
});
