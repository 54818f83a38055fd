'use strict';
/**
 * Scrape flood: what 10 connections scraping the metrics endpoint back to back cost the
 * application. An express app under the preload with about 10,000 series (150 routes × 3
 * methods × 3 statuses requested once) is loaded with wrk, alone and during a flood, in
 * interleaved phases of one process; the ratio is the app's requests/s during the flood over
 * its requests/s alone. On a shared machine requests/s move with everyone's load; the
 * application thread's CPU time per request (from /proc/<pid>/task/<pid>) does not, and its
 * ratio (alone ÷ during the flood) is the share of its capacity the application keeps. Used by bench/run.js, or on its own:
 *
 *   node bench/scrape-flood.js [--register dist/register.js] [--reps 3] [--duration 6]
 *
 * (`--register` points at another build's preload, to compare before and after.)
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { median, freePort, cleanEnv, pinned, startServer, runWrk, httpGet, metricsGet, table, fmt, onPath, cpuUsOf } = require('./lib/util');

const ROOT = path.resolve(__dirname, '..');
const APP = path.join(__dirname, 'apps', 'many-routes.js');
const FLOOD = path.join(__dirname, 'lib', 'flood-client.js');
const ROUTES = 150;

let clockTicks;
/** CPU time (user + system) of a process's main thread so far, µs (Linux): the application thread. */
function mainThreadCpuUs(pid) {
  if (clockTicks === undefined) clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks;
  } catch {
    return NaN;
  }
}

/** wrk on the app, with the application thread's and the whole process's CPU time per request. */
async function measured(server, o, url) {
  const main0 = mainThreadCpuUs(server.pid);
  const all0 = cpuUsOf(server.pid);
  const w = await runWrk({ cpu: o.cpus.load, url, seconds: o.duration, connections: o.connections });
  return {
    rps: w.rps,
    mainCpu: (mainThreadCpuUs(server.pid) - main0) / w.requests,
    otherCpuPerSecond: (cpuUsOf(server.pid) - all0 - (mainThreadCpuUs(server.pid) - main0)) / o.duration,
  };
}

function flood({ cpu, url, seconds, connections }) {
  const [command, args] = pinned(cpu, process.execPath, [FLOOD, url, String(seconds), String(connections)]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      const m = /^RESULT (.*)$/m.exec(out);
      if (code !== 0 || m === null) reject(new Error(`flood client failed (code ${code}): ${out}`));
      else resolve(JSON.parse(m[1]));
    });
  });
}

async function fill(base) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const { triples } = require('./scrape/dataset').dataset(ROUTES);
  const queue = triples.map(({ status, view, method }) => ({
    method,
    url: base + view.replace(':id', '7'),
    headers: { 'x-status': status },
  }));
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let r = queue.shift(); r !== undefined; r = queue.shift()) await httpGet(r.url, { method: r.method, headers: r.headers, agent });
    }),
  );
  agent.destroy();
}

/** o: { reps, duration, warmup, connections, register, cpus: { server, load } } */
async function floodBench(o) {
  const runs = [];
  for (let rep = 0; rep < o.reps; rep++) {
    const metricsPort = await freePort();
    const env = cleanEnv({
      PROMETHEUS_METRICS_EXPORT_PORT: String(metricsPort),
      PROMETHEUS_METRICS_EXPORT_ADDRESS: '127.0.0.1',
      ROUTES: String(ROUTES),
    });
    const server = await startServer({ cpu: o.cpus.server, nodeArgs: ['--require', o.register], app: APP, env, cwd: ROOT });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      await fill(base);
      const body = (await metricsGet(metricsUrl)).body;
      const series = body.split('\n').filter((l) => l !== '' && l[0] !== '#').length;
      const url = `${base}/api/v1/resource1/7`;
      if (o.warmup > 0) await runWrk({ cpu: o.cpus.load, url, seconds: o.warmup, connections: o.connections });
      // Alternate which phase runs first, so neither always meets a warmer process.
      const phases = rep % 2 === 0 ? ['alone', 'flood'] : ['flood', 'alone'];
      const r = { series };
      for (const phase of phases) {
        if (phase === 'alone') {
          const w = await measured(server, o, url);
          r.alone = w.rps;
          r.mainCpuAlone = w.mainCpu;
        } else {
          const [w, f] = await Promise.all([
            measured(server, o, url),
            flood({ cpu: o.cpus.load, url: metricsUrl, seconds: o.duration, connections: 10 }),
          ]);
          r.flood = w.rps;
          r.mainCpuFlood = w.mainCpu;
          r.otherThreadsCpu = w.otherCpuPerSecond;
          r.scrapesPerSecond = f.scrapes / o.duration;
          r.scrapeErrors = f.errors;
          r.scrapeBytes = f.scrapes > 0 ? f.bytes / f.scrapes : NaN;
        }
      }
      process.stderr.write(
        `bench: flood rep ${rep + 1}/${o.reps}: alone ${fmt.int(r.alone)} req/s (${fmt.fixed(r.mainCpuAlone, 1)} µs app thread CPU per request), during the flood ${fmt.int(r.flood)} req/s (${fmt.fixed(r.mainCpuFlood, 1)} µs), ${fmt.int(r.scrapesPerSecond)} scrapes/s\n`,
      );
      runs.push(r);
    } finally {
      await server.stop();
    }
  }
  const m = (f) => median(runs.map(f));
  return {
    runs,
    table: table(
      [
        'preload',
        'series',
        'app requests/s alone',
        'during the flood',
        'ratio (paired median)',
        'app thread CPU per request alone',
        'during the flood',
        'capacity ratio (CPU alone ÷ during)',
        'other threads CPU during the flood',
        'scrapes answered/s',
        'bytes per scrape',
        'scrape errors',
      ],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      [
        [
          `\`${path.relative(ROOT, o.register)}\``,
          fmt.int(m((r) => r.series)),
          fmt.int(m((r) => r.alone)),
          fmt.int(m((r) => r.flood)),
          fmt.fixed(
            m((r) => r.flood / r.alone),
            3,
          ),
          `${fmt.fixed(
            m((r) => r.mainCpuAlone),
            1,
          )} µs`,
          `${fmt.fixed(
            m((r) => r.mainCpuFlood),
            1,
          )} µs`,
          fmt.fixed(
            m((r) => r.mainCpuAlone / r.mainCpuFlood),
            3,
          ),
          `${fmt.int(m((r) => r.otherThreadsCpu) / 1e4)}% of a CPU`,
          fmt.int(m((r) => r.scrapesPerSecond)),
          fmt.int(m((r) => r.scrapeBytes)),
          String(runs.reduce((a, r) => a + r.scrapeErrors, 0)),
        ],
      ],
    ),
  };
}

module.exports = { floodBench };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const arg = (name, fallback) => {
    const i = argv.indexOf(name);
    return i === -1 ? fallback : argv[i + 1];
  };
  const cpus = onPath('taskset') ? { server: undefined, load: 1 } : { server: undefined, load: undefined };
  floodBench({
    reps: Number(arg('--reps', 3)),
    duration: Number(arg('--duration', 6)),
    warmup: Number(arg('--warmup', 1)),
    connections: Number(arg('--connections', 20)),
    register: path.resolve(arg('--register', path.join(ROOT, 'dist', 'register.js'))),
    cpus,
  }).then(
    (r) => process.stdout.write(`${r.table}\n`),
    (err) => {
      process.stderr.write(`bench: ${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
