import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

// Proves that the overhead benchmark runs end to end; its numbers are never asserted.
describe('bench --smoke', function () {
  this.timeout(240000);

  it('runs every subject once and prints a row for each', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [path.join(ROOT, 'bench', 'run.js'), '--smoke', '--out', path.join(tmpdir(), `autoprom-bench-smoke-${process.pid}.md`)],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.once('exit', (c) => resolve({ code: c, stdout: out, stderr: err }));
    });
    assert.equal(code, 0, `bench/run.js --smoke exited ${code}\n${stderr}`);
    const rows = [
      /^\| node http, bare \|/m,
      /^\| node http \+ autoprom /m,
      /^\| node http \+ prom-client /m,
      /^\| node http \+ @prometheus-io\/client /m,
      /^\| node http \+ OpenTelemetry zero-code /m, // measured, or a row that says why not
      /^\| express [\d.]+, bare \|/m,
      /^\| express [\d.]+ \+ autoprom \|/m,
      /^\| express [\d.]+ \+ express-prom-bundle /m,
      /^\| express [\d.]+ route: ioredis [\d.]+ GET \+ pg [\d.]+ query, bare \|/m,
      /^\| express [\d.]+ route: ioredis [\d.]+ GET \+ pg [\d.]+ query \+ autoprom \|/m,
      /^\| express [\d.]+ route: ioredis [\d.]+ GET \+ pg [\d.]+ query \+ OpenTelemetry zero-code \|/m,
      /^\| fastify [\d.]+ route: ioredis [\d.]+ GET \+ pg [\d.]+ query, bare \|/m,
      /^\| fastify [\d.]+ route: ioredis [\d.]+ GET \+ pg [\d.]+ query \+ autoprom \|/m,
      /^\| fastify [\d.]+ route: ioredis [\d.]+ GET \+ pg [\d.]+ query \+ OpenTelemetry zero-code \|/m,
      /^\| express [\d.]+ route: ioredis [\d.]+ GET \+ mysql2 [\d.]+ query \+ autoprom \|/m,
      /^\| express [\d.]+ route: ioredis [\d.]+ GET \+ better-sqlite3 [\d.]+ statement \+ autoprom \|/m,
      /^\| pg [\d.]+, `await client\.query\('SELECT 1'\)`/m,
      /^\| ioredis [\d.]+, GET in pipelines of 500/m,
      /^\| better-sqlite3 [\d.]+, `SELECT 1` \| [\d.]+ µs \| [+-][\d.]+ µs/m,
      /^\| node:sqlite, `INSERT` \(one model count\) \| [\d.]+ µs \| [+-][\d.]+ µs/m,
      /^\| mysql2 [\d.]+, autoprom's subscriber .* \| – \| [+-][\d.]+ µs/m,
      /^\| postgres\.js [\d.]+, wrapped `execute` .* \| – \| [+-][\d.]+ µs/m,
      /^\| node-redis [\d.]+, GET, 500 at a time against Redis \| [\d.]+ µs \| [+-][\d.]+ µs/m,
      /^\| memjs [\d.]+, GET, 500 at a time against memcached \| [\d.]+ µs \| [+-][\d.]+ µs/m,
      /^\| fastify [\d.]+, bare \|/m,
      /^\| fastify [\d.]+ \+ autoprom \|/m,
      /^\| NestJS [\d.]+ \(express adapter\), bare \|/m,
      /^\| NestJS [\d.]+ \(express adapter\) \+ autoprom \|/m,
      /^\| Next\.js [\d.]+ \(route handler, custom server\), bare \|/m,
      /^\| Next\.js [\d.]+ \(route handler, custom server\) \+ autoprom \|/m,
      /^\| autoprom \(Exposition\.render/m,
      /^\| prom-client [\d.]+ \(registry\.metrics\(\)\)/m,
      /^\| @prometheus-io\/client [\d.]+ /m,
      /^\| OpenTelemetry exporter-prometheus [\d.]+/m,
      /^\| autoprom in a real express app /m,
      /^\| `node -e 0` \|/m,
      /^\| `node -r autoprom\/register -e 0` \|/m,
    ];
    for (const row of rows) assert.match(stdout, row, `no row ${row} in\n${stdout}`);
  });
});
