/**
 * The metrics endpoint never takes the application's file descriptors: with the app at a
 * 1024-descriptor limit, 1100 idle connections to the metrics port leave the app's own port
 * answering, and the endpoint answers again once they go.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import * as path from 'node:path';
import { APPS, freePort, REGISTER_CJS } from './helpers/child';

function open(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
  });
}

async function status(url: string): Promise<number | string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    return String((err as { cause?: { code?: string } }).cause?.code ?? err);
  }
}

describe('metrics endpoint: bounded connections', function () {
  this.timeout(60000);

  it("1100 idle connections to the metrics port, the app at 1024 descriptors: the app's port still answers", async () => {
    const metricsPort = await freePort();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith('OTEL_') && !k.startsWith('PROMETHEUS_')) env[k] = v;
    Object.assign(env, { PROMETHEUS_METRICS_EXPORT_PORT: String(metricsPort), PROMETHEUS_METRICS_EXPORT_ADDRESS: '127.0.0.1' });
    const child = spawn(
      'prlimit',
      ['--nofile=1024:1024', process.execPath, '--require', REGISTER_CJS, path.join(APPS, 'pipeline-plain.js')],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 200 && !/^READY /m.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      const appPort = (JSON.parse(/^READY (.*)$/m.exec(out)![1]) as { port: number }).port;
      // The metrics worker has taken the port over once the endpoint keeps a connection alive.
      for (let i = 0; i < 100 && (await status(`http://127.0.0.1:${metricsPort}/metrics`)) !== 200; i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.equal(await status(`http://127.0.0.1:${metricsPort}/metrics`), 200);

      for (let i = 0; i < 1100; i++) {
        const s = await open(metricsPort);
        if (s !== undefined) {
          s.on('error', () => undefined);
          sockets.push(s);
        }
      }
      // Every one of the app's own requests is answered, however many idle connections came.
      const statuses: Array<number | string> = [];
      for (let i = 0; i < 20; i++) statuses.push(await status(`http://127.0.0.1:${appPort}/a`));
      assert.deepEqual(statuses, Array(20).fill(200), `stderr: ${err}`);

      for (const s of sockets.splice(0)) s.destroy();
      let scrape: number | string = 0;
      for (let i = 0; i < 100 && scrape !== 200; i++) {
        scrape = await status(`http://127.0.0.1:${metricsPort}/metrics`);
        if (scrape !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(scrape, 200, 'the endpoint answers again');
      assert.doesNotMatch(err, /EMFILE|internal error/);
    } finally {
      for (const s of sockets) s.destroy();
      child.kill('SIGKILL');
    }
  });
});
