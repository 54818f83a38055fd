/**
 * OTLP push never delays the process exit: a finished application exits by itself while the
 * collector hangs (accepts, never answers) or refuses every connection (retries).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import * as path from 'node:path';
import { APPS, freePort, REGISTER_CJS } from './helpers/child';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the one-shot app exporting to `endpoint`; killed if it is still alive after 15 s. */
function runOneShot(endpoint: string, preload: boolean): Promise<Exit> {
  return new Promise((resolve) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith('OTEL_') && !k.startsWith('PROMETHEUS_')) env[k] = v;
    Object.assign(env, {
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_LOG_LEVEL: 'none',
    });
    const args = [...(preload ? ['--require', REGISTER_CJS] : []), path.join(APPS, 'otlp-oneshot.js')];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('OTLP: the process exit is never delayed', function () {
  this.timeout(40000);
  let hanging: Server;
  const accepted: Socket[] = [];
  let hangingPort: number;

  before(async () => {
    hanging = createServer((s) => accepted.push(s));
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    hangingPort = (hanging.address() as { port: number }).port;
  });
  after(() => {
    for (const s of accepted) s.destroy();
    hanging.close();
  });

  it('a collector that accepts and never answers: the app exits by itself, code 0', async () => {
    const r = await runOneShot(`http://127.0.0.1:${hangingPort}`, true);
    assert.equal(r.signal, null, `the app had to be killed: something kept it alive\n${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'done\n');
    assert.ok(accepted.length >= 1, 'the exporter did connect to the hanging collector');
  });

  it('a collector that refuses every connection (the exporter retries): the app exits by itself, code 0', async () => {
    const r = await runOneShot(`http://127.0.0.1:${await freePort()}`, true);
    assert.equal(r.signal, null, `the app had to be killed: something kept it alive\n${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'done\n');
  });

  it('the same app without autoprom exits the same way', async () => {
    const r = await runOneShot(`http://127.0.0.1:${hangingPort}`, false);
    assert.deepEqual([r.code, r.signal, r.stdout], [0, null, 'done\n']);
  });
});
