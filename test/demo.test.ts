/** `npm start`'s demo runs, with and without PostgreSQL and Redis, and says which parts it used. */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { freePort, ROOT } from './helpers/child';
import { requirePostgres, requireRedis } from './helpers/services';

function runDemo(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'demo', 'run.js'), '--duration', '2'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('demo (npm start)', function () {
  this.timeout(60000);

  it('uses PostgreSQL and Redis when they are reachable, and shows their families moving', async () => {
    await requirePostgres();
    await requireRedis();
    const { code, out } = await runDemo({ PROMETHEUS_METRICS_EXPORT_PORT: String(await freePort()) });
    assert.equal(code, 0, out);
    assert.match(out, /PostgreSQL: used/);
    assert.match(out, /Redis: {6}used/);
    assert.match(out, /^django_http_requests_total_by_method_total\{method="GET"\} [1-9]/m);
    assert.match(out, /^django_model_inserts_total\{model="demo_orders"\} [1-9]/m);
    assert.match(out, /^django_cache_get_misses_total\{backend="demo-cache"\} [1-9]/m);
  });

  it('runs without them and says so', async () => {
    const { code, out } = await runDemo({
      PROMETHEUS_METRICS_EXPORT_PORT: String(await freePort()),
      DEMO_PG_PORT: '1',
      DEMO_REDIS_PORT: '1',
    });
    assert.equal(code, 0, out);
    assert.match(out, /PostgreSQL: not reachable on 127\.0\.0\.1:1/);
    assert.match(out, /Redis: {6}not reachable on 127\.0\.0\.1:1/);
    assert.match(out, /^django_http_requests_total_by_method_total\{method="GET"\} [1-9]/m);
    assert.doesNotMatch(out, /^django_db_execute_total/m);
  });
});
