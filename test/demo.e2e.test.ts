/** `npm start`'s demo runs, with and without PostgreSQL and Redis, and says which parts it used. */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, Socket, type Server as TcpServer } from 'node:net';
import * as path from 'node:path';
import { freePort, ROOT } from './helpers/child';
import { requirePostgres, requireRedis } from './helpers/services';

interface DemoRun {
  readonly child: ChildProcess;
  out(): string;
  readonly done: Promise<{ code: number | null; out: string }>;
}

/** Starts `npm start`'s runner in its own process group (as a shell runs it), killed after 30 s at most. */
function startDemo(env: Record<string, string>, args: string[] = ['--duration', '2']): DemoRun {
  const child = spawn(process.execPath, [path.join(ROOT, 'demo', 'run.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  const done = new Promise<{ code: number | null; out: string }>((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
  return { child, out: () => out, done };
}

function runDemo(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return startDemo(env).done;
}

function listen<T extends HttpServer | TcpServer>(server: T): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

/** A server that accepts connections and never answers (nor closes them). */
function silentServer(): { server: TcpServer; sockets: Socket[] } {
  const sockets: Socket[] = [];
  return { server: createTcpServer((s) => sockets.push(s)), sockets };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('error', () => resolve(true));
    s.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(false);
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

  it("refuses a metrics port another server holds, instead of showing that server's pages as metrics", async () => {
    const other = createHttpServer((req, res) => {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/html');
      res.end('<html><body>Not Found</body></html>\n');
    });
    const port = await listen(other);
    try {
      const { code, out } = await runDemo({ PROMETHEUS_METRICS_EXPORT_PORT: String(port), DEMO_PG_PORT: '1', DEMO_REDIS_PORT: '1' });
      assert.equal(code, 1, out);
      assert.match(out, new RegExp(`demo: port ${port} is already in use by another program`));
      assert.match(out, /PROMETHEUS_METRICS_EXPORT_PORT=9465 npm start/);
      assert.doesNotMatch(out, /samples in all/);
    } finally {
      other.close();
    }
  });

  it('never hangs on ports that accept and never answer: metrics, PostgreSQL and Redis', async () => {
    const silent = silentServer();
    const silentPort = await listen(silent.server);
    try {
      // Held metrics port: refused at once, without waiting on it.
      const held = await runDemo({ PROMETHEUS_METRICS_EXPORT_PORT: String(silentPort), DEMO_PG_PORT: '1', DEMO_REDIS_PORT: '1' });
      assert.equal(held.code, 1, held.out);
      assert.match(held.out, /is already in use by another program/);
      // PostgreSQL and Redis ports that are neither: each reported as not usable, and the demo runs on.
      const { code, out } = await runDemo({
        PROMETHEUS_METRICS_EXPORT_PORT: String(await freePort()),
        DEMO_PG_PORT: String(silentPort),
        DEMO_REDIS_PORT: String(silentPort),
      });
      assert.equal(code, 0, out);
      assert.match(out, new RegExp(`PostgreSQL: not usable on 127\\.0\\.0\\.1:${silentPort} \\(`));
      assert.match(out, new RegExp(`Redis: {6}not usable on 127\\.0\\.0\\.1:${silentPort} \\(`));
      assert.match(out, /^django_http_requests_total_by_method_total\{method="GET"\} [1-9]/m);
    } finally {
      for (const s of silent.sockets) s.destroy();
      silent.server.close();
    }
  });

  it('stops cleanly on Ctrl-C: the last lines, no fetch error, exit 0, and the service is gone', async () => {
    const run = startDemo({ PROMETHEUS_METRICS_EXPORT_PORT: String(await freePort()), DEMO_PG_PORT: '1', DEMO_REDIS_PORT: '1' }, []);
    const servicePort = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not show the exposition in 20 s:\n${run.out()}`)), 20000);
      const check = () => {
        const m = /demo service on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*samples in all/.exec(run.out());
        if (m !== null) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        } else setTimeout(check, 100);
      };
      check();
    });
    // Ctrl-C in a terminal signals the whole foreground process group.
    process.kill(-run.child.pid!, 'SIGINT');
    const { code, out } = await run.done;
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /fetch failed|could not scrape|did not answer|exited/);
    assert.match(out, /samples in all[\s\S]*demo stopped\n$/);
    assert.equal(await refused(servicePort), true, 'the demo service still listens after the demo stopped');
  });
});
