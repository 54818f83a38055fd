/**
 * One endpoint for every process of a service: node:cluster (primary with and without the
 * preload) and PM2 cluster mode, real processes, exact sums, a SIGKILLed worker's counts kept,
 * a blocked worker answered for.
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { APPS, REGISTER_CJS, REGISTER_ESM, ROOT, freePort, startApp } from './helpers/child';
import { parseExposition, valueOf, type Exposition } from './helpers/exposition';

const GET = { method: 'GET' };
const OK = { status: '200', view: '<unnamed view>', method: 'GET' };
const FAILED = { status: '500', view: '<unnamed view>', method: 'GET' };

function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('OTEL_') && !k.startsWith('PROMETHEUS_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, PROMETHEUS_METRICS_EXPORT_ADDRESS: '127.0.0.1', ...extra };
}

/** GET on a fresh connection (so that node:cluster hands each request to the next worker); the body is the worker's pid. */
function get(port: number, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathname, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10000, () => req.destroy(new Error(`GET ${pathname} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function scrape(metricsPort: number): Promise<Exposition> {
  let last: unknown;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      if (res.status === 200) return parseExposition(await res.text());
      last = new Error(`HTTP ${res.status}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no scrape on ${metricsPort}: ${String(last)}`);
}

/** Scrapes until `ok` holds (processes joining, a worker re-forked), at most 20 s. */
async function scrapeUntil(metricsPort: number, ok: (e: Exposition) => boolean, what: string, log: () => string): Promise<Exposition> {
  const deadline = Date.now() + 20000;
  let e = await scrape(metricsPort);
  while (!ok(e)) {
    if (Date.now() > deadline) throw new Error(`${what} not seen in 20 s; last exposition:\n${e.text.slice(-3000)}\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
    e = await scrape(metricsPort);
  }
  return e;
}

const processes = (e: Exposition) => valueOf(e, 'autoprom_cluster_processes');
const exited = (e: Exposition) => valueOf(e, 'autoprom_cluster_processes_exited_total');

interface ClusterApp {
  readonly child: ChildProcess;
  readonly metricsPort: number;
  readonly appPort: number;
  /** The worker pids of the last READY line. */
  workers(): number[];
  waitReady(count: number): Promise<number[]>;
  send(line: string): void;
  log(): string;
  stop(): Promise<void>;
}

async function startCluster(options: { workers: number; primaryPreload: boolean; flag?: '--require' | '--import' }): Promise<ClusterApp> {
  const metricsPort = await freePort();
  const appPort = await freePort();
  const preload = options.flag === '--import' ? ['--import', pathToFileURL(REGISTER_ESM).href] : ['--require', REGISTER_CJS];
  const args = options.primaryPreload ? preload : [];
  const child = spawn(process.execPath, [...args, path.join(APPS, 'cluster-app.js')], {
    cwd: ROOT,
    env: childEnv({
      PROMETHEUS_METRICS_EXPORT_PORT: String(metricsPort),
      OTEL_LOG_LEVEL: 'info',
      CLUSTER_WORKERS: String(options.workers),
      CLUSTER_APP_PORT: String(appPort),
      ...(options.primaryPreload ? {} : { CLUSTER_WORKER_PRELOAD: REGISTER_CJS }),
    }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const readyLines = () => [...out.matchAll(/^READY (.*)$/gm)].map((m) => JSON.parse(m[1]) as { workers: number[] });
  const log = () => `stdout:\n${out}\nstderr:\n${err}`;
  const app: ClusterApp = {
    child,
    metricsPort,
    appPort,
    workers: () => readyLines().at(-1)?.workers ?? [],
    async waitReady(count) {
      const deadline = Date.now() + 20000;
      while (readyLines().length < count) {
        if (Date.now() > deadline) throw new Error(`cluster not READY (${count}) in 20 s\n${log()}`);
        if (child.exitCode !== null) throw new Error(`cluster exited\n${log()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return app.workers();
    },
    send: (line) => child.stdin!.write(`${line}\n`),
    log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
  return app;
}

/** Sends `ok` requests answered 200 and `failed` answered 500; returns the pids that answered. */
async function traffic(appPort: number, ok: number, failed: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < ok; i++) {
    const r = await get(appPort, `/work/${i}?secret=x`);
    assert.equal(r.status, 200);
    pids.add(Number(r.body));
  }
  for (let i = 0; i < failed; i++) assert.equal((await get(appPort, '/fail')).status, 500);
  return pids;
}

/** Whether a TCP port on 127.0.0.1 can be bound (nothing holds it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

async function waitPortFree(port: number, what: string): Promise<void> {
  const deadline = Date.now() + 15000;
  while (!(await portFree(port))) {
    if (Date.now() > deadline) throw new Error(`${what}: port ${port} still held after 15 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('one endpoint for every process of a service (node:cluster, PM2)', function () {
  this.timeout(120000);

  for (const [primaryPreload, flag] of [
    [true, '--require'],
    [true, '--import'],
    [false, '--require'],
  ] as const) {
    const title = primaryPreload
      ? `node:cluster, primary under ${flag}: the primary serves the exact sum of itself and 4 workers`
      : 'node:cluster, only the workers under the preload: an aggregator process serves the exact sum of 4 workers';
    it(`${title}; a SIGKILLed worker's counts stay, the re-forked one adds to them`, async () => {
      const app = await startCluster({ workers: 4, primaryPreload, flag });
      try {
        await app.waitReady(1);
        const members = primaryPreload ? 5 : 4;
        const before = await scrapeUntil(app.metricsPort, (e) => processes(e) === members, `${members} processes in the sum`, app.log);
        const pids = await traffic(app.appPort, 40, 8);
        // node:cluster's round robin spread the requests: the sum is over several processes.
        assert.ok(pids.size >= 2, `requests went to ${pids.size} worker(s)`);
        const after = await scrape(app.metricsPort);
        const moved = (e: Exposition, b: Exposition, name: string, labels: Record<string, string>) =>
          valueOf(e, name, labels) - valueOf(b, name, labels);
        assert.equal(moved(after, before, 'django_http_requests_total_by_method_total', GET), 48);
        assert.equal(moved(after, before, 'django_http_responses_total_by_status_view_method_total', OK), 40);
        assert.equal(moved(after, before, 'django_http_responses_total_by_status_view_method_total', FAILED), 8);
        assert.equal(
          moved(after, before, 'django_http_requests_latency_seconds_by_view_method_count', { view: '<unnamed view>', method: 'GET' }),
          48,
        );
        // Each family once per label set, no process label; a gauge with the max rule is not multiplied.
        assert.equal(after.samples.filter((s) => s.name === 'django_http_requests_total_by_method_total').length, 1);
        const versionInfo = after.samples.filter((s) => s.name === 'nodejs_version_info');
        assert.deepEqual(
          versionInfo.map((s) => s.value),
          [1],
        );
        assert.doesNotMatch(after.text, /secret|\/work\/1/);
        assert.equal(after.samples.filter((s) => s.name === 'autoprom_cluster_eventloop_blocked_seconds').length, members);

        const victim = [...pids][0];
        app.send(`kill ${victim}`);
        const reforked = await app.waitReady(2);
        assert.ok(!reforked.includes(victim));
        const afterKill = await scrapeUntil(
          app.metricsPort,
          (e) => processes(e) === members && exited(e) === 1,
          'the re-forked worker joined and the killed one counted as exited',
          app.log,
        );
        // Never backwards: the killed worker's last collected counts stay in the sum.
        assert.equal(moved(afterKill, before, 'django_http_requests_total_by_method_total', GET), 48);
        assert.equal(moved(afterKill, before, 'django_http_responses_total_by_status_view_method_total', FAILED), 8);

        await traffic(app.appPort, 20, 0);
        const end = await scrape(app.metricsPort);
        assert.equal(moved(end, before, 'django_http_requests_total_by_method_total', GET), 68);
        assert.equal(moved(end, before, 'django_http_responses_total_by_status_view_method_total', OK), 60);
        assert.match(
          app.log(),
          /this process's metrics are summed with its service's on http:\/\/127\.0\.0\.1:\d+\/metrics, served by process \d+/,
        );
        assert.doesNotMatch(app.log(), /EADDRINUSE|cannot listen/);
      } finally {
        await app.stop();
      }
      // The aggregator (or the primary's endpoint) ends with the service: the port is free again.
      await waitPortFree(app.metricsPort, 'after the primary ended');
    });
  }

  it("a blocked worker: the scrape answers with its last numbers and that worker's blocked seconds, the others' fresh", async () => {
    const app = await startCluster({ workers: 2, primaryPreload: true });
    try {
      const [first] = await app.waitReady(1);
      const before = await scrapeUntil(app.metricsPort, (e) => processes(e) === 3, '3 processes in the sum', app.log);
      await traffic(app.appPort, 10, 0);
      // Collected by every process before the block: the blocked worker's last numbers include its requests.
      const collected = await scrape(app.metricsPort);
      assert.equal(
        valueOf(collected, 'django_http_requests_total_by_method_total', GET) -
          valueOf(before, 'django_http_requests_total_by_method_total', GET),
        10,
      );
      app.send(`block ${first} 5000`);
      const during = await scrapeUntil(
        app.metricsPort,
        (e) => valueOf(e, 'autoprom_cluster_eventloop_blocked_seconds', { pid: String(first) }) > 0,
        'the blocked worker reported as blocked',
        app.log,
      );
      // Answered while that worker's loop was blocked (a 5 s block), with its last numbers in the sum.
      assert.equal(
        valueOf(during, 'django_http_requests_total_by_method_total', GET) -
          valueOf(before, 'django_http_requests_total_by_method_total', GET),
        10,
      );
      assert.equal(valueOf(during, 'autoprom_cluster_processes'), 3);
      const others = during.samples.filter(
        (s) => s.name === 'autoprom_cluster_eventloop_blocked_seconds' && s.labels.pid !== String(first),
      );
      assert.equal(others.length, 2);
      for (const s of others) assert.equal(s.value, 0, `pid ${s.labels.pid}`);
      assert.ok(valueOf(during, 'autoprom_eventloop_blocked_seconds') > 0);
    } finally {
      await app.stop();
    }
  });

  it('a process of another service on the same port: the busy-port warning names the autoprom process that holds it', async () => {
    const holder = await startApp('pipeline-plain.js');
    try {
      // The holder's metrics worker serves the port (and its group socket) before the other starts.
      await holder.scrape();
      const other = await startApp('pipeline-plain.js', {
        env: { PROMETHEUS_METRICS_EXPORT_PORT: String(holder.metricsPort), OTEL_LOG_LEVEL: 'info' },
      });
      try {
        const deadline = Date.now() + 10000;
        while (!/cannot listen/.test(other.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.match(
          other.stderr(),
          new RegExp(
            `cannot listen on 127\\.0\\.0\\.1:${holder.metricsPort} \\(EADDRINUSE\\); metrics endpoint not started, the application runs on \\(autoprom in process ${holder.child.pid} holds that port, for another service`,
          ),
        );
      } finally {
        await other.stop();
      }
    } finally {
      await holder.stop();
    }
  });

  it('a temporary directory where no group socket can be made: a process on its own serves as ever, says nothing, and exits as it would', async () => {
    // /proc refuses new directories (a recursive mkdir there never returns): TMPDIR is where the socket would go.
    const app = await startApp('exit-later.js', { env: { TMPDIR: '/proc/autoprom-test', EXIT_AFTER_MS: '1500' } });
    try {
      const e = await app.scrape();
      assert.equal(valueOf(e, 'autoprom_eventloop_blocked_seconds'), 0);
      // process.exit ends the metrics worker too: the exit is the app's own, at once.
      const timer = setTimeout(() => app.child.kill('SIGKILL'), 10000);
      const { code, signal } = await app.exited;
      clearTimeout(timer);
      assert.deepEqual({ code, signal }, { code: 3, signal: null });
      assert.equal(app.stderr(), '');
    } finally {
      await app.stop('SIGKILL');
    }
  });

  describe('PM2 cluster mode (a private PM2_HOME)', () => {
    const pm2Bin = path.join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
    let home: string;
    const pm2 = (args: string[], env: Record<string, string> = {}) => {
      const r = spawnSync(process.execPath, [pm2Bin, ...args], {
        cwd: ROOT,
        env: childEnv({ PM2_HOME: home, ...env }),
        encoding: 'utf8',
        timeout: 60000,
      });
      if (r.status !== 0) throw new Error(`pm2 ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    const pm2Log = () => {
      let text = '';
      for (const dir of [home, path.join(home, 'logs')])
        for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : [])
          if (f.endsWith('.log')) text += `--- ${f}\n${fs.readFileSync(path.join(dir, f), 'utf8')}`;
      return text;
    };
    before(() => {
      assert.ok(fs.existsSync(pm2Bin), 'pm2 is a devDependency: run npm install');
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'autoprom-pm2-'));
    });
    after(() => {
      try {
        pm2(['kill']);
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
    });

    it("2 instances summed exactly on the one port; a killed instance's counts stay after PM2 restarts it; pm2 kill frees the port", async () => {
      const metricsPort = await freePort();
      const appPort = await freePort();
      pm2(['start', path.join(APPS, 'pm2-app.js'), '-i', '2', '--name', 'svc', '--node-args', `--require ${REGISTER_CJS}`], {
        PROMETHEUS_METRICS_EXPORT_PORT: String(metricsPort),
        PM2_APP_PORT: String(appPort),
      });
      const before = await scrapeUntil(metricsPort, (e) => processes(e) === 2, '2 PM2 instances in the sum', pm2Log);
      const pids = await traffic(appPort, 30, 4);
      assert.equal(pids.size, 2, 'both instances answered');
      const after = await scrape(metricsPort);
      const moved = (e: Exposition, name: string, labels: Record<string, string>) =>
        valueOf(e, name, labels) - valueOf(before, name, labels);
      assert.equal(moved(after, 'django_http_requests_total_by_method_total', GET), 34);
      assert.equal(moved(after, 'django_http_responses_total_by_status_view_method_total', FAILED), 4);

      process.kill([...pids][0], 'SIGKILL');
      const restarted = await scrapeUntil(
        metricsPort,
        (e) => processes(e) === 2 && exited(e) === 1,
        'PM2 restarted the killed instance',
        pm2Log,
      );
      assert.equal(moved(restarted, 'django_http_requests_total_by_method_total', GET), 34);
      await traffic(appPort, 10, 0);
      assert.equal(moved(await scrape(metricsPort), 'django_http_requests_total_by_method_total', GET), 44);

      pm2(['kill']);
      await waitPortFree(metricsPort, 'after pm2 kill');
    });
  });
});
