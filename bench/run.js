'use strict';
/**
 * autoprom overhead benchmark: `npm run bench` (full), `node bench/run.js --smoke` (CI proof
 * that it runs, a few seconds, numbers meaningless), `node bench/run.js --profile` (where
 * autoprom's time goes under load). Prints Markdown for the README; never a pass/fail on time.
 *
 * Options: --reps N --duration S --warmup S --connections C --scrapes N --startup-runs N
 *          --only id,id --no-peers --out FILE
 *          --startup-only (the start-up table alone) --against FILE (another build's
 *          dist/register.js, measured beside this one in the start-up table)
 */
const { spawnSync } = require('node:child_process');
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  median,
  freePort,
  onPath,
  cleanEnv,
  startServer,
  rssOf,
  cpuUsOf,
  runWrk,
  httpGet,
  metricsGet,
  sampleSum,
  table,
  fmt,
} = require('./lib/util');
const { selfTimes } = require('./lib/profile');

const ROOT = path.resolve(__dirname, '..');
const APPS = path.join(__dirname, 'apps');
const PEERS = path.join(__dirname, 'peers');
const RESULTS = path.join(__dirname, 'results');
const REGISTER = path.join(ROOT, 'dist', 'register.js');
const OTEL_AUTO = '@opentelemetry/auto-instrumentations-node';

// ---------- options ----------
function parseOptions(argv) {
  const o = { smoke: false, profile: false, peers: true, only: undefined, out: undefined };
  const numbers = { reps: 7, duration: 8, warmup: 2, connections: 50, scrapes: 20, 'startup-runs': 10 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--smoke') o.smoke = true;
    else if (a === '--profile') o.profile = true;
    else if (a === '--no-peers') o.peers = false;
    else if (a === '--only') o.only = new Set(argv[++i].split(','));
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--startup-only') o.startupOnly = true;
    else if (a === '--against') o.against = path.resolve(argv[++i]);
    else if (a.startsWith('--') && a.slice(2) in numbers) {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a whole number, got ${argv[i]}`);
      numbers[a.slice(2)] = v;
      o[`set:${a.slice(2)}`] = true;
    } else throw new Error(`unknown option ${a} (see the head of bench/run.js)`);
  }
  if (o.smoke) {
    // One short repetition of everything: proves the bench runs, measures nothing.
    const smoke = { reps: 1, duration: 1, warmup: 0, connections: 10, scrapes: 3, 'startup-runs': 2 };
    for (const k of Object.keys(smoke)) if (!o[`set:${k}`]) numbers[k] = smoke[k];
  }
  return { ...o, ...numbers, startupRuns: numbers['startup-runs'] };
}

// ---------- environment ----------
function versionOf(pkg, from = ROOT) {
  // Read from node_modules directly: some packages do not export their package.json.
  try {
    return JSON.parse(fs.readFileSync(path.join(from, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

function otelAutoRegister() {
  try {
    return require.resolve(`${OTEL_AUTO}/register`, { paths: [PEERS] });
  } catch {
    return undefined;
  }
}

/** bench/peers holds OpenTelemetry's zero-code package (its pins clash with the root's). */
function ensurePeers(o) {
  if (!o.peers) return { register: undefined, why: 'not measured (--no-peers)' };
  let register = otelAutoRegister();
  if (register !== undefined) return { register };
  if (o.smoke) return { register: undefined, why: 'skipped in --smoke: bench/peers not installed (npm install --prefix bench/peers)' };
  process.stderr.write('bench: installing bench/peers (npm install --prefix bench/peers)…\n');
  const npm = spawnSync('npm', ['install', '--prefix', PEERS, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: ['ignore', 2, 2] });
  register = otelAutoRegister();
  return register !== undefined ? { register } : { register: undefined, why: `bench/peers install failed (npm exit ${npm.status})` };
}

function machine() {
  const cpu = (/^model name\s*:\s*(.*)$/m.exec(safeRead('/proc/cpuinfo')) || [])[1] || os.cpus()[0]?.model || 'unknown';
  const git = spawnSync('git', ['-C', ROOT, 'describe', '--always', '--dirty'], { encoding: 'utf8' });
  const wrk = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: os.availableParallelism(),
    cpu: cpu.trim(),
    memory: os.totalmem(),
    node: process.version,
    wrk:
      ((wrk.stdout || '') + (wrk.stderr || ''))
        .split('\n')[0]
        .replace(/\s*\[.*$/, '')
        .trim() || 'unknown',
    commit: git.status === 0 ? git.stdout.trim() : 'unknown',
  };
}

function safeRead(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// ---------- subjects ----------
function subjects(peers) {
  const v = (p) => versionOf(p) ?? '?';
  const autoprom = (extra = {}) => ({ nodeArgs: ['--require', REGISTER], autoprom: true, ...extra });
  return [
    { id: 'node-bare', group: 'node-bare', label: 'node http, bare', app: 'hello.js', path: '/' },
    {
      id: 'node-autoprom',
      group: 'node-bare',
      label: 'node http + autoprom (`--require`, every instrumentation)',
      app: 'hello.js',
      path: '/',
      ...autoprom(),
    },
    {
      id: 'node-prom-client',
      group: 'node-bare',
      label: `node http + prom-client ${v('prom-client')} (counter + histogram by hand)`,
      app: 'hello-prom-client.js',
      path: '/',
      env: { PROM_LIB: 'prom-client' },
    },
    {
      id: 'node-prometheus-io',
      group: 'node-bare',
      label: `node http + @prometheus-io/client ${v('@prometheus-io/client')} (same)`,
      app: 'hello-prom-client.js',
      path: '/',
      env: { PROM_LIB: '@prometheus-io/client' },
    },
    {
      id: 'node-otel-auto',
      group: 'node-bare',
      label:
        `node http + OpenTelemetry zero-code (${OTEL_AUTO} ${versionOf(OTEL_AUTO, PEERS) ?? ''}/register, Prometheus exporter)`.replace(
          ' /register',
          '/register',
        ),
      app: 'hello.js',
      path: '/',
      otel: true,
      nodeArgs: peers.register ? ['--require', peers.register] : [],
      unavailable: peers.register ? undefined : peers.why,
    },
    { id: 'express-bare', group: 'express-bare', label: `express ${v('express')}, bare`, app: 'express.js', path: '/users/42' },
    {
      id: 'express-autoprom',
      group: 'express-bare',
      label: `express ${v('express')} + autoprom`,
      app: 'express.js',
      path: '/users/42',
      ...autoprom(),
    },
    {
      id: 'express-prom-bundle',
      group: 'express-bare',
      label: `express ${v('express')} + express-prom-bundle ${v('express-prom-bundle')} (method, path, status)`,
      app: 'express.js',
      path: '/users/42',
      env: { EXPRESS_PROM_BUNDLE: '1' },
    },
    ...stackTrio('express', `express ${v('express')}`),
    ...stackTrio('fastify', `fastify ${v('fastify')}`),
    ...stackTrio('express', `express ${v('express')}`, 'mysql2'),
    ...stackTrio('express', `express ${v('express')}`, 'sqlite'),
    ...frameworkPair('fastify', `fastify ${v('fastify')}`, 'fastify.js'),
    ...frameworkPair('nest', `NestJS ${v('@nestjs/core')} (express adapter)`, 'nest.js'),
    ...frameworkPair('next', `Next.js ${v('next')} (route handler, custom server)`, 'next.js', { needs: buildNextApp }),
  ];

  /**
   * The realistic route (bench/apps/stack.js): one ioredis GET and one SQL statement per request
   * (pg, mysql2 or better-sqlite3), bare, with autoprom, and with OpenTelemetry's zero-code preload.
   */
  function stackTrio(framework, name, sql = 'pg') {
    const id = sql === 'pg' ? `stack-${framework}` : `stack-${framework}-${sql}`;
    const base = {
      group: `${id}-bare`,
      app: 'stack.js',
      path: '/users/42',
      env: { STACK_FRAMEWORK: framework, STACK_SQL: sql },
      needs: sql === 'mysql2' ? mariadbUp : servicesUp,
      stack: true,
    };
    const statement = {
      pg: `pg ${v('pg')} query`,
      mysql2: `mysql2 ${v('mysql2')} query`,
      sqlite: `better-sqlite3 ${v('better-sqlite3')} statement`,
    }[sql];
    const what = `${name} route: ioredis ${v('ioredis')} GET + ${statement}`;
    return [
      { id: `${id}-bare`, label: `${what}, bare`, ...base },
      {
        id: `${id}-autoprom`,
        label: `${what} + autoprom`,
        ...base,
        ...autoprom(),
        proof: ['django_db_execute_total', 'django_cache_get_total'],
      },
      {
        id: `${id}-otel-auto`,
        label: `${what} + OpenTelemetry zero-code`,
        ...base,
        otel: true,
        nodeArgs: peers.register ? ['--require', peers.register] : [],
        unavailable: peers.register ? undefined : peers.why,
      },
    ];
  }

  /** A framework's bare server and the same with autoprom, on its `/users/:id` route. */
  function frameworkPair(id, name, app, extra = {}) {
    const bare = { group: `${id}-bare`, app, path: '/users/42', ...extra };
    return [
      { id: `${id}-bare`, label: `${name}, bare`, ...bare },
      { id: `${id}-autoprom`, label: `${name} + autoprom`, ...bare, ...autoprom() },
    ];
  }
}

/** The realistic-stack subjects need Redis and PostgreSQL on 127.0.0.1 (as the tests do). */
function servicesUp() {
  const probe = (port) =>
    spawnSync(
      process.execPath,
      ['-e', `require('node:net').connect(${port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`],
      {
        timeout: 5000,
      },
    ).status === 0;
  const missing = [];
  if (!probe(6379))
    missing.push('Redis on 127.0.0.1:6379 (redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no)');
  if (!probe(5432)) missing.push('PostgreSQL on 127.0.0.1:5432 (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)');
  if (missing.length > 0) throw new Error(`the realistic-stack rows need ${missing.join(' and ')}`);
}

/** The mysql2 realistic route also needs MariaDB (or MySQL) on 127.0.0.1:3306. */
function mariadbUp() {
  servicesUp();
  const up =
    spawnSync(
      process.execPath,
      ['-e', "require('node:net').connect(3306, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"],
      { timeout: 5000 },
    ).status === 0;
  if (!up)
    throw new Error(
      'the mysql2 realistic-stack rows need MariaDB on 127.0.0.1:3306 (root, empty password, database test; .ci/run starts one)',
    );
}

/** The Next.js subjects serve a production build of bench/apps/next-app (built once, offline). */
function buildNextApp() {
  const dir = path.join(APPS, 'next-app');
  if (fs.existsSync(path.join(dir, '.next', 'BUILD_ID'))) return;
  process.stderr.write('bench: next build bench/apps/next-app…\n');
  const built = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build', dir], {
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 2, 2],
  });
  if (built.status !== 0) throw new Error(`next build bench/apps/next-app failed (exit ${built.status})`);
}

async function envFor(subject) {
  const env = { ...subject.env };
  if (subject.autoprom) {
    env.PROMETHEUS_METRICS_EXPORT_PORT = String(await freePort());
    env.PROMETHEUS_METRICS_EXPORT_ADDRESS = '127.0.0.1';
  }
  if (subject.otel) {
    Object.assign(env, {
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_NODE_RESOURCE_DETECTORS: 'none', // its default detectors call cloud metadata addresses
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
    });
  }
  return cleanEnv(env);
}

// ---------- HTTP load ----------
async function measureOnce(subject, o, cpus, extraNodeArgs = []) {
  const env = await envFor(subject);
  const server = await startServer({
    cpu: cpus.server,
    nodeArgs: [...extraNodeArgs, ...(subject.nodeArgs ?? [])],
    app: path.join(APPS, subject.app),
    env,
    cwd: ROOT,
  });
  try {
    const url = `http://127.0.0.1:${server.port}${subject.path}`;
    let sent = 0;
    if (o.warmup > 0) sent += (await runWrk({ cpu: cpus.load, url, seconds: o.warmup, connections: o.connections })).requests;
    const cpuBefore = cpuUsOf(server.pid);
    const run = await runWrk({ cpu: cpus.load, url, seconds: o.duration, connections: o.connections });
    // CPU per request holds up when other processes steal the CPU; requests/s does not.
    const cpuPerRequest = (cpuUsOf(server.pid) - cpuBefore) / run.requests;
    sent += run.requests;
    const rss = rssOf(server.pid);
    let recorded;
    let proof;
    if (subject.autoprom) {
      // Proof that the preload measured the load (not a server that silently did nothing).
      const scrape = await metricsGet(`http://127.0.0.1:${env.PROMETHEUS_METRICS_EXPORT_PORT}/metrics`).catch(() => undefined);
      recorded = scrape ? sampleSum(scrape.body, 'django_http_responses_before_middlewares_total') : NaN;
      if (subject.proof) proof = Object.fromEntries(subject.proof.map((f) => [f, scrape ? sampleSum(scrape.body, f) : NaN]));
    }
    return { ...run, rss, sent, recorded, proof, cpuPerRequest, stderr: server.stderr() };
  } finally {
    await server.stop();
  }
}

async function httpBench(list, o, cpus) {
  const results = new Map(list.map((s) => [s.id, []]));
  const runnable = list.filter((s) => !s.unavailable);
  for (let rep = 0; rep < o.reps; rep++) {
    // Interleaved, and each repetition starts one subject later: no subject always runs first.
    const order = runnable.map((_, i) => runnable[(i + rep) % runnable.length]);
    for (const s of order) {
      process.stderr.write(`bench: rep ${rep + 1}/${o.reps} ${s.id}… `);
      const r = await measureOnce(s, o, cpus);
      process.stderr.write(`${fmt.int(r.rps)} req/s\n`);
      results.get(s.id).push(r);
    }
  }
  return results;
}

function httpTable(list, results) {
  const summary = new Map();
  for (const s of list) {
    const runs = results.get(s.id);
    summary.set(s.id, {
      rps: median(runs.map((r) => r.rps)),
      min: Math.min(...runs.map((r) => r.rps)),
      max: Math.max(...runs.map((r) => r.rps)),
      p99: median(runs.map((r) => r.p99Ms)),
      rss: median(runs.map((r) => r.rss)),
      cpu: median(runs.map((r) => r.cpuPerRequest)),
      errors: runs.reduce((a, r) => a + r.errors, 0),
    });
  }
  const rows = list.map((s) => {
    if (s.unavailable) return [s.label, '–', '–', '–', '–', '–', '–', '–', '–', `not run: ${s.unavailable}`];
    const m = summary.get(s.id);
    const isBare = s.id === s.group;
    const spread = (m.max - m.min) / m.rps;
    // Paired: each repetition's subject against the same repetition's bare run (close in time),
    // so a machine that slows down or speeds up during the run moves both sides of a ratio.
    const runs = results.get(s.id);
    const bareRuns = results.get(s.group);
    const paired = (f) => median(runs.map((r, i) => (bareRuns[i] ? f(r, bareRuns[i]) : NaN)));
    return [
      s.label,
      `${fmt.fixed(m.cpu, 1)} µs`,
      isBare
        ? '–'
        : fmt.signed(
            paired((r, b) => r.cpuPerRequest - b.cpuPerRequest),
            1,
            ' µs',
          ),
      isBare
        ? '–'
        : fmt.signed(
            paired((r, b) => (r.cpuPerRequest / b.cpuPerRequest - 1) * 100),
            1,
            '%',
          ),
      fmt.int(m.rps),
      isBare
        ? '1.00'
        : fmt.fixed(
            paired((r, b) => r.rps / b.rps),
            2,
          ),
      fmt.ms(m.p99),
      fmt.mb(m.rss),
      `±${fmt.fixed((spread * 100) / 2, 1)}%`,
      m.errors > 0 ? `${m.errors} errors` : '',
    ];
  });
  return table(
    [
      'subject',
      'server CPU per request (median)',
      'added CPU per request',
      'added CPU, % of bare',
      'requests/s (median)',
      'ratio to bare',
      'p99 latency',
      'RSS after load',
      'spread of requests/s',
      'note',
    ],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    rows,
  );
}

function recordedNotes(list, results) {
  const notes = [];
  for (const s of list) {
    if (!s.autoprom) continue;
    const runs = results.get(s.id);
    if (runs.length === 0) continue;
    const recorded = runs.reduce((a, r) => a + (Number.isFinite(r.recorded) ? r.recorded : 0), 0);
    const sent = runs.reduce((a, r) => a + r.sent, 0);
    notes.push(
      recorded === 0
        ? `- ${s.id}: autoprom's endpoint counted 0 of ${fmt.int(sent)} requests (\`django_http_responses_before_middlewares_total\`): its HTTP metrics were not recording in this build.`
        : `- ${s.id}: autoprom counted ${fmt.int(recorded)} responses of ${fmt.int(sent)} requests sent (\`django_http_responses_before_middlewares_total\`; wrk's count stops at its deadline, in-flight ones finish after).`,
    );
    if (s.proof) {
      const totals = s.proof.map(
        (f) => `${fmt.int(runs.reduce((a, r) => a + (Number.isFinite(r.proof?.[f]) ? r.proof[f] : 0), 0))} in \`${f}\``,
      );
      notes.push(`- ${s.id}: and ${totals.join(', ')} (one of each per request).`);
    }
    const stderr = [...new Set(runs.map((r) => r.stderr.trim()).filter(Boolean))];
    for (const e of stderr) notes.push(`- ${s.id} stderr: \`${e.split('\n')[0].slice(0, 200)}\``);
  }
  return notes;
}

// ---------- scrape ----------
function scrapeSubjects() {
  return [
    { id: 'autoprom', label: 'autoprom (Exposition.render, serialize.ts)', file: 'autoprom.js', env: {} },
    {
      id: 'autoprom-app-thread',
      label:
        "autoprom, the application thread's part since the endpoint runs in a worker (collect + post the numbers; serialization and gzip run in the worker)",
      file: 'autoprom-app-thread.js',
      env: {},
    },
    {
      id: 'autoprom-otel-serializer',
      label: "autoprom's registry through OpenTelemetry's PrometheusSerializer (the renderer before serialize.ts)",
      file: 'autoprom.js',
      env: { BENCH_SERIALIZER: 'otel' },
    },
    {
      id: 'prom-client',
      label: `prom-client ${versionOf('prom-client')} (registry.metrics())`,
      file: 'prom-client.js',
      env: { PROM_LIB: 'prom-client' },
    },
    {
      id: 'prometheus-io',
      label: `@prometheus-io/client ${versionOf('@prometheus-io/client')} (registry.metrics())`,
      file: 'prom-client.js',
      env: { PROM_LIB: '@prometheus-io/client' },
    },
    {
      id: 'otel-exporter',
      label: `OpenTelemetry exporter-prometheus ${versionOf('@opentelemetry/exporter-prometheus')}, defaults (scope labels, target_info)`,
      file: 'otel.js',
      env: {},
    },
  ];
}

async function scrapeBench(o) {
  const rows = [];
  const row = (label, x) => [
    label,
    fmt.int(x.series),
    `${(x.bytes / 1048576).toFixed(2)} MB`,
    fmt.ms(x.medianMs),
    fmt.ms(x.minMs),
    fmt.mb(x.heapDelta),
    `${fmt.int(x.heapDelta / x.series)} B`,
  ];
  for (const s of scrapeSubjects()) {
    process.stderr.write(`bench: scrape ${s.id}…\n`);
    const r = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'scrape', s.file)], {
      env: cleanEnv({ ...s.env, BENCH_SCRAPES: String(o.scrapes) }),
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120000,
    });
    const m = /^RESULT (.*)$/m.exec(r.stdout || '');
    if (r.status !== 0 || m === null) throw new Error(`scrape ${s.id} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    const x = JSON.parse(m[1]);
    rows.push(row(s.label, x));
  }
  process.stderr.write('bench: scrape autoprom in a real express app…\n');
  rows.push(
    row(
      'autoprom in a real express app (200 routes × 3 methods × 3 statuses requested; scraped over HTTP; every family of the preload)',
      await realAppScrape(o),
    ),
  );
  return table(
    ['exporter', 'series', 'body', `scrape (median of ${o.scrapes})`, 'fastest', 'heap held by the series', 'per series'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows,
  );
}

/**
 * autoprom in a real app: the preload on an express app with 200 routes, every (route,
 * method, status) requested once, then scraped over HTTP. Its exposition holds every family
 * of the preload (runtime, process, …), not only the HTTP ones.
 */
async function realAppScrape(o) {
  const metricsPort = await freePort();
  const env = cleanEnv({ PROMETHEUS_METRICS_EXPORT_PORT: String(metricsPort), PROMETHEUS_METRICS_EXPORT_ADDRESS: '127.0.0.1' });
  const server = await startServer({
    cpu: undefined,
    nodeArgs: ['--expose-gc', '--require', REGISTER],
    app: path.join(APPS, 'many-routes.js'),
    env,
    cwd: ROOT,
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const heap = async () => JSON.parse((await httpGet(`${base}/__heap`, { agent })).body).heapUsed;
    await metricsGet(metricsUrl);
    await heap();
    const before = await heap();
    const { triples } = require('./scrape/dataset').dataset();
    const queue = triples.map(({ status, view, method }) => ({
      method,
      url: base + view.replace(':id', '7'),
      headers: { 'x-status': status },
    }));
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let r = queue.shift(); r !== undefined; r = queue.shift())
          await httpGet(r.url, { method: r.method, headers: r.headers, agent });
      }),
    );
    const after = await heap();
    let body = '';
    for (let i = 0; i < 3; i++) body = (await httpGet(metricsUrl)).body;
    const times = [];
    for (let i = 0; i < o.scrapes; i++) {
      const t0 = process.hrtime.bigint();
      body = (await httpGet(metricsUrl)).body;
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const series = body.split('\n').filter((l) => l !== '' && l[0] !== '#').length;
    return { series, bytes: Buffer.byteLength(body), medianMs: median(times), minMs: Math.min(...times), heapDelta: after - before };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

// ---------- per statement, per command ----------
/** One hook-cost script (test/apps/*-hook-cost.js): its JSON line. */
function hookCost(file, env) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'test', 'apps', file)], {
    env: cleanEnv(env),
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 600000,
  });
  const line = (r.stdout || '').trim().split('\n').pop();
  if (r.status !== 0 || !line) throw new Error(`${file} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { ...JSON.parse(line), stderr: (r.stderr || '').trim() };
}

/**
 * A per-operation script of test/apps run without and with the preload, `rounds` times in
 * alternation: for each field of its JSON line (CPU µs per operation), the median bare figure and
 * the median of the paired differences. The preload runs without its endpoint (nothing scrapes).
 */
async function pairedRuns(file, env, rounds, fields) {
  const bare = fields.map(() => []);
  const added = fields.map(() => []);
  const run = async (preload) => {
    const script = path.join(ROOT, 'test', 'apps', file);
    const r = spawnSync(process.execPath, preload ? ['--require', REGISTER, script] : [script], {
      // No endpoint thread: its start (CPU time of the same process) would land in the timed loop.
      env: cleanEnv({ ...env, PROMETHEUS_METRICS_EXPORT_SERVER: 'false' }),
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 600000,
    });
    const line = (r.stdout || '').trim().split('\n').pop();
    if (r.status !== 0 || !line) throw new Error(`${file} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(line);
  };
  for (let i = 0; i < rounds; i++) {
    let plain;
    let withAutoprom;
    if (i % 2 === 0) {
      plain = await run(false);
      withAutoprom = await run(true);
    } else {
      withAutoprom = await run(true);
      plain = await run(false);
    }
    fields.forEach((f, j) => {
      bare[j].push(plain[f]);
      added[j].push(withAutoprom[f] - plain[f]);
    });
  }
  return fields.map((_, j) => ({ bare: median(bare[j]), added: median(added[j]) }));
}

/** memcached on a free port for the memjs row (stopped by the caller), or why not. */
async function startMemcached() {
  if (!onPath('memcached')) return { why: 'memcached is not installed (apt-get install -y memcached)' };
  const port = await freePort();
  const proc = require('node:child_process').spawn(
    'memcached',
    ['-u', 'nobody', '-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '16'],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const s = require('node:net').connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) return { port, stop: () => proc.kill() };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  proc.kill();
  return { why: 'memcached did not start' };
}

async function microBench(o) {
  const n = o.smoke ? 3000 : 200000;
  const rounds = String(o.smoke ? 1 : o.reps);
  process.stderr.write('bench: pg per statement…\n');
  const pg = hookCost('pg-hook-cost.js', { PG_HOOK_N: String(n), PG_HOOK_ROUNDS: rounds, OTEL_PG_FROM: PEERS });
  process.stderr.write('bench: ioredis per command…\n');
  const redis = hookCost('redis-hook-cost.js', { REDIS_HOOK_N: String(n), REDIS_HOOK_ROUNDS: rounds });
  const us = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} µs` : '–');
  const plus = (x) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(2)} µs` : '–');
  const pgOtel = pg.addedCpuUsPerStatement.instrumentationPg;
  return table(
    ['client', 'bare', 'added by autoprom', 'added by OpenTelemetry', 'command'],
    ['l', 'r', 'r', 'r', 'l'],
    [
      [
        `pg ${versionOf('pg')}, \`await client.query('SELECT 1')\` on a connection that answers at once`,
        us(pg.bareCpuUsPerStatement),
        plus(pg.addedCpuUsPerStatement.autoprom),
        pgOtel === null || !Number.isFinite(pgOtel)
          ? `not run: ${pg.stderr.split('\n')[0] || 'instrumentation-pg not found'}`
          : `${plus(pgOtel)} (instrumentation-pg ${versionOf('@opentelemetry/instrumentation-pg', PEERS) ?? ''}, metrics only)`,
        '`node test/apps/pg-hook-cost.js`',
      ],
      [
        `ioredis ${versionOf('ioredis')}, GET in pipelines of 500 against Redis`,
        us(redis.bareCpuUsPerCommand),
        plus(redis.addedCpuUsPerCommand),
        'no metric (instrumentation-ioredis records none)',
        '`node test/apps/redis-hook-cost.js`',
      ],
      ...(await otherClients(o, us, plus)),
    ],
  );
}

/** The other instrumented clients: SQLite in process, mysql2's and postgres.js's hooks, node-redis and memjs against their servers. */
async function otherClients(o, us, plus) {
  const pairs = o.smoke ? 1 : Math.max(3, Math.min(o.reps, 5));
  const rows = [];
  const none = 'no zero-code OpenTelemetry metric';
  for (const [client, what] of [
    ['better-sqlite3', `better-sqlite3 ${versionOf('better-sqlite3')}`],
    ['node:sqlite', 'node:sqlite'],
  ]) {
    for (const mode of ['text', 'insert']) {
      process.stderr.write(`bench: ${client} ${mode} per statement…\n`);
      const env = { DB_BENCH_CLIENT: client, DB_BENCH_MODE: mode, DB_BENCH_N: o.smoke ? '2000' : '100000' };
      const [r] = await pairedRuns('db-bench-vendors.js', env, pairs, ['cpuUsPerStatement']);
      rows.push([
        `${what}, ${mode === 'text' ? '`SELECT 1`' : '`INSERT` (one model count)'}`,
        us(r.bare),
        plus(r.added),
        none,
        `\`DB_BENCH_CLIENT=${client} DB_BENCH_MODE=${mode} node [-r autoprom/register] test/apps/db-bench-vendors.js\``,
      ]);
    }
  }
  process.stderr.write('bench: mysql2 and postgres.js per statement…\n');
  const hooks = hookCost('db-hook-cost.js', { DB_HOOK_N: o.smoke ? '5000' : '1000000' });
  rows.push(
    [
      `mysql2 ${versionOf('mysql2')}, autoprom's subscriber on mysql2's tracing path (no server round trip)`,
      '–',
      plus(hooks.addedCpuUsPerStatement.mysql2),
      none,
      '`node test/apps/db-hook-cost.js`',
    ],
    [
      `postgres.js ${versionOf('postgres')}, wrapped \`execute\` and settle (no server round trip)`,
      '–',
      plus(hooks.addedCpuUsPerStatement.postgresJs),
      none,
      '`node test/apps/db-hook-cost.js`',
    ],
  );
  process.stderr.write('bench: node-redis per command…\n');
  const [get, pipelinedGet] = await pairedRuns('cache-bench-node-redis.js', { AP_BENCH_N: o.smoke ? '2000' : '100000' }, pairs, [
    'get',
    'pipelinedGet',
  ]);
  rows.push(
    [
      `node-redis ${versionOf('redis')}, GET, 500 at a time against Redis`,
      us(get.bare),
      plus(get.added),
      none,
      '`node [-r autoprom/register] test/apps/cache-bench-node-redis.js`',
    ],
    [`node-redis ${versionOf('redis')}, GET in pipelines of 500`, us(pipelinedGet.bare), plus(pipelinedGet.added), none, 'the same'],
  );
  process.stderr.write('bench: memjs per read…\n');
  const memcached = await startMemcached();
  if (memcached.port === undefined)
    rows.push([`memjs ${versionOf('memjs')}, GET`, '–', `not run: ${memcached.why}`, none, '`test/apps/cache-bench-memjs.js`']);
  else {
    try {
      const [r] = await pairedRuns(
        'cache-bench-memjs.js',
        { AP_BENCH_N: o.smoke ? '2000' : '50000', AP_MEMCACHED_PORT: String(memcached.port) },
        pairs,
        ['get'],
      );
      rows.push([
        `memjs ${versionOf('memjs')}, GET, 500 at a time against memcached`,
        us(r.bare),
        plus(r.added),
        none,
        '`AP_MEMCACHED_PORT=<port> node [-r autoprom/register] test/apps/cache-bench-memjs.js`',
      ]);
    } finally {
      memcached.stop();
    }
  }
  return rows;
}

// ---------- startup ----------
async function startupBench(o, peers) {
  const subjectsList = [
    { label: 'node -e 0', args: [] },
    { label: 'node -r autoprom/register -e 0', args: ['--require', REGISTER], autoprom: true },
  ];
  if (o.against !== undefined)
    subjectsList.splice(1, 0, {
      label: `node -r ${path.relative(ROOT, o.against) || o.against} -e 0 (another build)`,
      args: ['--require', o.against],
      autoprom: true,
    });
  if (peers.register)
    subjectsList.push({
      label: `node -r ${OTEL_AUTO}/register -e 0 (Prometheus exporter)`,
      args: ['--require', peers.register],
      otel: true,
    });
  const times = subjectsList.map(() => []);
  const cpu = subjectsList.map(() => []);
  const rss = subjectsList.map(() => []);
  // The process's own CPU time (every thread) and RSS, read as it exits: `-e` runs this instead of `0`.
  const probe =
    "process.on('exit',()=>{const c=process.cpuUsage();process.stdout.write(JSON.stringify([(c.user+c.system)/1000,process.memoryUsage().rss]))})";
  for (let i = 0; i < o.startupRuns; i++) {
    for (let j = 0; j < subjectsList.length; j++) {
      const s = subjectsList[j];
      const env = await envFor(s);
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [...s.args, '-e', probe], {
        env,
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 30000,
      });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let read = [NaN, NaN];
      try {
        read = JSON.parse(r.stdout.toString());
      } catch {
        // a failed run counts as NaN
      }
      times[j].push(r.status === 0 ? ms : NaN);
      cpu[j].push(r.status === 0 ? read[0] : NaN);
      rss[j].push(r.status === 0 ? read[1] : NaN);
    }
  }
  const bare = median(times[0]);
  const bareCpu = median(cpu[0]);
  const bareRss = median(rss[0]);
  const rows = subjectsList.map((s, j) => {
    const m = median(times[j]);
    const c = median(cpu[j]);
    const r = median(rss[j]);
    return [
      `\`${s.label}\``,
      fmt.ms(m),
      j === 0 ? '–' : fmt.signed(m - bare, 1, ' ms'),
      fmt.ms(c),
      j === 0 ? '–' : fmt.signed(c - bareCpu, 1, ' ms'),
      fmt.mb(r),
      j === 0 ? '–' : fmt.signed((r - bareRss) / 1048576, 1, ' MB'),
    ];
  });
  return table(
    ['process', `wall time (median of ${o.startupRuns}, interleaved)`, 'added', 'CPU time (all threads)', 'added', 'RSS at exit', 'added'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows,
  );
}

// ---------- profile ----------
async function profileBench(list, o, cpus) {
  const dir = path.join(RESULTS, 'profile');
  fs.rmSync(dir, { recursive: true, force: true });
  const out = [];
  for (const s of list) {
    const id = s.id;
    const sub = path.join(dir, id);
    fs.mkdirSync(sub, { recursive: true });
    process.stderr.write(`bench: profiling ${id}…\n`);
    const r = await measureOnce(s, o, cpus, ['--cpu-prof', `--cpu-prof-dir=${sub}`]);
    const file = fs.readdirSync(sub).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`no .cpuprofile written for ${id}`);
    const p = selfTimes(path.join(sub, file));
    const busy = p.totalMs - (p.owners.get('(idle)')?.selfMs ?? 0);
    const perRequest = (ms) => `${((ms * 1000) / r.sent).toFixed(2)} µs`;
    const share = (ms) => `${((ms / busy) * 100).toFixed(1)}%`;
    out.push(
      `#### ${s.label}: ${fmt.int(r.sent)} requests, ${fmt.int(busy)} ms busy of ${fmt.int(p.totalMs)} ms profiled, ${perRequest(busy)} busy per request`,
    );
    out.push('');
    out.push('By package: self time (its own code on top of the stack) and total time (anywhere on the stack, callees included):');
    out.push('');
    out.push(
      table(
        ['code', 'self ms', 'self share', 'self per request', 'total per request'],
        ['l', 'r', 'r', 'r', 'r'],
        [...p.owners]
          .filter(([k]) => k !== '(idle)' && k !== '(root)')
          .slice(0, 12)
          .map(([k, t]) => [k, fmt.int(t.selfMs), share(t.selfMs), perRequest(t.selfMs), perRequest(t.totalMs)]),
      ),
    );
    out.push('');
    out.push('Top functions by self time:');
    out.push('');
    const row = (f) => [
      `\`${f.name}\``,
      `\`${f.where || f.owner}\``,
      fmt.int(f.selfMs),
      share(f.selfMs),
      perRequest(f.selfMs),
      perRequest(f.totalMs),
    ];
    const header = ['function', 'where', 'self ms', 'self share', 'self per request', 'total per request'];
    const align = ['l', 'l', 'r', 'r', 'r', 'r'];
    out.push(
      table(
        header,
        align,
        p.functions
          .filter((f) => f.name !== '(idle)' && f.name !== '(root)')
          .slice(0, 25)
          .map(row),
      ),
    );
    const ours = p.functions.filter(
      (f) => f.selfMs > 0 && (f.owner === 'autoprom' || f.owner.startsWith('@opentelemetry/') || f.owner === 'require-in-the-middle'),
    );
    if (ours.length > 0) {
      const startup = p.functions.find((f) => f.where.startsWith('dist/register.js:'));
      out.push('');
      out.push(
        `autoprom and OpenTelemetry functions, by self time${startup ? ` (the preload's start-up, all of it under \`dist/register.js\`, took ${fmt.int(startup.totalMs)} ms of the profile)` : ''}:`,
      );
      out.push('');
      out.push(table(header, align, ours.slice(0, 20).map(row)));
    }
    out.push('');
    out.push(`Profile: \`${path.relative(ROOT, path.join(sub, file))}\` (open in Chrome DevTools or speedscope).`);
    out.push('');
  }
  return out.join('\n');
}

// ---------- main ----------
async function main() {
  const o = parseOptions(process.argv.slice(2));
  if (!onPath('wrk')) throw new Error('wrk is not installed: apt-get install -y wrk');
  if (!fs.existsSync(REGISTER)) throw new Error(`${path.relative(ROOT, REGISTER)} is missing: run npm run build first`);
  const [major] = process.versions.node.split('.').map(Number);
  if (major < 22)
    throw new Error(`Node ${process.version}: autoprom needs >= 22.15; run it as npm run bench (Node from node_modules/.bin)`);
  const m = machine();
  const loadBefore = os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  // Server and load generator on different CPUs; on one CPU they share it (said in the header).
  const cpus = m.nproc >= 2 && onPath('taskset') ? { server: 0, load: 1 } : { server: undefined, load: undefined };
  const peers = ensurePeers(o);
  let list = subjects(peers);
  if (o.only) {
    // A subject's ratios need the bare server of its group: keep it too (except when profiling).
    const groups = new Set(list.filter((s) => o.only.has(s.id)).map((s) => s.group));
    list = list.filter((s) => o.only.has(s.id) || (!o.profile && groups.has(s.id)));
  }

  for (const need of new Set(list.filter((s) => !s.unavailable && s.needs).map((s) => s.needs))) need();

  const command = `node bench/run.js${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const lines = [];
  lines.push(`## Overhead benchmark${o.smoke ? ' (smoke run: proves the bench runs; its numbers mean nothing)' : ''}`);
  lines.push('');
  lines.push(
    `${m.date} · ${m.nproc} CPUs, ${m.cpu}, ${(m.memory / 2 ** 30).toFixed(0)} GiB RAM · Node ${m.node} · ${m.wrk} · autoprom ${m.commit} · \`${command}\``,
  );
  lines.push('');

  if (o.startupOnly) {
    lines.push('### Startup');
    lines.push('');
    lines.push(await startupBench(o, peers));
    lines.push('');
  } else if (o.profile) {
    lines.push(`### CPU profile under load (wrk -t1 -c${o.connections}, ${o.warmup} s warm-up + ${o.duration} s)`);
    lines.push('');
    lines.push(await profileBench(o.only ? list : list.filter((s) => s.id === 'node-bare' || s.id === 'node-autoprom'), o, cpus));
  } else {
    const pin =
      cpus.server === undefined
        ? 'server and wrk share the CPUs (no taskset or one CPU)'
        : 'server pinned to CPU 0, wrk to CPU 1 (taskset)';
    lines.push(
      `### Server CPU per request and requests/s: hello-worlds, and a realistic route (one Redis GET and one SQL statement per request) (wrk -t1 -c${o.connections}, ${o.warmup} s warm-up + ${o.duration} s, ${o.reps} interleaved repetition${o.reps === 1 ? '' : 's'}, a fresh process each; ${pin})`,
    );
    lines.push('');
    const results = await httpBench(list, o, cpus);
    fs.mkdirSync(RESULTS, { recursive: true });
    const raw = Object.fromEntries([...results].map(([id, runs]) => [id, runs.map(({ raw: _raw, stderr: _stderr, ...r }) => r)]));
    fs.writeFileSync(path.join(RESULTS, `${o.smoke ? 'smoke' : 'latest'}-runs.json`), `${JSON.stringify(raw, null, 1)}\n`);
    lines.push(httpTable(list, results));
    lines.push('');
    lines.push(
      `Ratios and added CPU are against the bare server of the same group (node http, the realistic express and fastify routes, express, fastify, NestJS, Next.js) in the same repetition, median over repetitions. Server CPU per request is the server process's user + system CPU time during the measured run divided by the requests wrk completed (the primary figure: its paired difference is what the subject adds to each request), and it holds up when something else on the machine steals CPU time, which requests/s does not (load average before the run: ${loadBefore}, after: ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(
          ' ',
        )}). Spread is half the min–max range of requests/s over the repetitions. Framework subjects request \`/users/42\` (route \`/users/:id\`, in Next.js \`/users/[id]\`).`,
    );
    const notes = recordedNotes(list, results);
    if (notes.length) lines.push('', ...notes);
    lines.push('');
    lines.push(
      '### Per statement and per command (CPU time of the client process, interleaved rounds with the instrumentation on and off, medians)',
    );
    lines.push('');
    lines.push(await microBench(o));
    lines.push('');
    lines.push(
      "pg's figure leaves out the server round trip (40-75 µs of CPU per statement here, with a run-to-run spread larger than the instrumentation's share): the real pg 8 Client and Query run against a connection stand-in that answers each query at once, so what remains is pg's own client-side work and what instruments it. autoprom's share counts, times and classifies every statement; OpenTelemetry's is instrumentation-pg's patch as a metrics-only setup runs it (no TracerProvider).",
    );
    lines.push('');
    lines.push(
      '### Scrape of 13,800 series (200 routes × 3 methods: a 16-bucket latency histogram, a request counter; × 3 statuses: a response counter)',
    );
    lines.push('');
    lines.push(await scrapeBench(o));
    lines.push('');
    lines.push(
      "Scrape time is the exporter's own render call (what its /metrics endpoint runs) plus encoding the body to bytes, in-process, after 3 warm-up scrapes. Heap is measured after a full GC, before and after the series are created. The real-app row is timed from the client over loopback HTTP, and its heap is what the app holds more after the traffic than before.",
    );
    lines.push('');
    lines.push(
      `### Scrape flood (10 connections scraping back to back, Prometheus 2.42's Accept and gzip; wrk -c${o.connections} on the app alongside)`,
    );
    lines.push('');
    lines.push(
      (
        await require('./scrape-flood').floodBench({
          reps: Math.min(o.reps, 5),
          duration: o.duration,
          warmup: o.warmup,
          connections: o.connections,
          register: REGISTER,
          cpus: { server: undefined, load: cpus.load },
        })
      ).table,
    );
    lines.push('');
    lines.push(
      "Each repetition is one process: the app's requests/s alone and during the flood, in alternating order; the ratio is the median of the per-repetition ratios. The capacity ratio compares the application thread's own CPU time per request (Linux per-thread accounting), which other load on the machine does not move. The app process is not pinned (its metrics worker thread may use the other CPU), wrk and the flood client share CPU 1. `node bench/scrape-flood.js --register <other build>/register.js` measures another build the same way.",
    );
    lines.push('');
    lines.push('### Startup');
    lines.push('');
    lines.push(await startupBench(o, peers));
    lines.push('');
  }

  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  const out = o.out ?? path.join(RESULTS, o.profile ? 'profile.md' : o.smoke ? 'smoke.md' : 'latest.md');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${text}\n`);
  process.stderr.write(`bench: written to ${path.relative(ROOT, out)}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err?.stack ?? err}\n`);
  process.exit(1);
});
