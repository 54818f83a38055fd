/**
 * `NODE_OPTIONS="--require autoprom/register" npm start`: npm's own process gets the preload
 * too, and must not take the metrics port; the application does, and counts exactly.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { APPS, fetchMetrics, freePort, REGISTER_CJS } from './helpers/child';
import { parseExposition, valueOf } from './helpers/exposition';

describe('a package manager that launches the app (NODE_OPTIONS)', function () {
  this.timeout(60000);

  it('npm start: the application, not npm, serves the metrics port, with exact counts', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'autoprom-npm-start-'));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'launched', private: true, scripts: { start: 'node app.js' } }));
    copyFileSync(path.join(APPS, 'pipeline-plain.js'), path.join(dir, 'app.js'));
    const metricsPort = await freePort();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith('OTEL_') && !k.startsWith('PROMETHEUS_')) env[k] = v;
    // The tests' node (22.15+) first on PATH: npm and the app both run on it.
    env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${env.PATH ?? ''}`;
    Object.assign(env, {
      NODE_OPTIONS: `--require ${REGISTER_CJS}`,
      PROMETHEUS_METRICS_EXPORT_PORT: String(metricsPort),
      PROMETHEUS_METRICS_EXPORT_ADDRESS: '127.0.0.1',
    });
    const child = spawn('npm', ['start', '--silent'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    try {
      for (let i = 0; i < 300 && !/^READY /m.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      const ready = /^READY (.*)$/m.exec(out);
      assert.ok(ready !== null, `the app did not start\nstdout: ${out}\nstderr: ${err}`);
      const appPort = (JSON.parse(ready[1]) as { port: number }).port;
      for (let i = 0; i < 3; i++) assert.equal((await fetch(`http://127.0.0.1:${appPort}/a`)).status, 200);
      const e = parseExposition(await (await fetchMetrics(`http://127.0.0.1:${metricsPort}/metrics`)).text());
      assert.equal(valueOf(e, 'django_http_requests_before_middlewares_total'), 3);
      assert.doesNotMatch(err, /EADDRINUSE|cannot listen/);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
