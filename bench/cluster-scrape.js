'use strict';
/**
 * Scrape latency of the summed endpoint: an express app with about 14,000 series per process
 * (200 routes × 3 methods × 3 statuses), as one process and as node:cluster with 4 workers
 * under the preload (the primary sums itself and the workers). Every (route, method, status) is
 * requested once per worker, so each worker holds the whole set; then the endpoint is scraped
 * over loopback HTTP, median of 20 after 3 warm-ups. Also shows what a worker crash does to the
 * totals (the request counter before and after a SIGKILL of one worker).
 *
 *   node bench/cluster-scrape.js [--workers 4] [--routes 200] [--scrapes 20]
 */
const path = require('node:path');
const http = require('node:http');
const { median, freePort, cleanEnv, startServer, httpGet, metricsGet, sampleSum, table, fmt } = require('./lib/util');

const ROOT = path.resolve(__dirname, '..');
const REGISTER = path.join(ROOT, 'dist', 'register.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : dflt);
const WORKERS = opt('workers', 4);
const ROUTES = opt('routes', 200);
const SCRAPES = opt('scrapes', 20);
const agent = new http.Agent({ keepAlive: false, maxSockets: 8 });

function send(port, method, pathname, status) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathname, agent, headers: { 'x-status': String(status) } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

async function fill(port, copies) {
  const jobs = [];
  for (let i = 0; i < ROUTES; i++)
    for (const method of ['GET', 'POST', 'PUT'])
      for (const status of [200, 404, 500]) for (let c = 0; c < copies; c++) jobs.push([method, `/api/v1/resource${i}/${c}`, status]);
  let next = 0;
  const runner = async () => {
    while (next < jobs.length) {
      const [m, p, s] = jobs[next++];
      await send(port, m, p, s);
    }
  };
  await Promise.all(Array.from({ length: 8 }, runner));
  return jobs.length;
}

async function scrapeTimes(metricsPort) {
  const url = `http://127.0.0.1:${metricsPort}/metrics`;
  for (let i = 0; i < 3; i++) await httpGet(url);
  const times = [];
  let body = '';
  for (let i = 0; i < SCRAPES; i++) {
    // Past the 250 ms sharing window: every scrape makes its own collection.
    await new Promise((r) => setTimeout(r, 300));
    const t = performance.now();
    body = (await httpGet(url)).body;
    times.push(performance.now() - t);
  }
  return { medianMs: median(times), body };
}

async function measure(workers) {
  const metricsPort = await freePort();
  const app = workers === 0 ? path.join(__dirname, 'apps', 'many-routes.js') : path.join(__dirname, 'apps', 'cluster-many-routes.js');
  const server = await startServer({
    nodeArgs: ['--require', REGISTER],
    app,
    cwd: ROOT,
    env: cleanEnv({
      PROMETHEUS_METRICS_EXPORT_PORT: String(metricsPort),
      PROMETHEUS_METRICS_EXPORT_ADDRESS: '127.0.0.1',
      ROUTES: String(ROUTES),
      CLUSTER_WORKERS: String(workers),
    }),
  });
  try {
    const expected = workers === 0 ? 1 : workers + 1;
    for (let i = 0; i < 100; i++) {
      const { body } = await metricsGet(`http://127.0.0.1:${metricsPort}/metrics`);
      if (workers === 0 || sampleSum(body, 'autoprom_cluster_processes') === expected) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const requests = await fill(server.port, Math.max(1, workers));
    const { medianMs, body } = await scrapeTimes(metricsPort);
    const series = body.split('\n').filter((l) => l !== '' && l[0] !== '#').length;
    return {
      workers,
      requests,
      series,
      medianMs,
      bytes: Buffer.byteLength(body),
      counted: sampleSum(body, 'django_http_requests_total_by_method_total'),
    };
  } finally {
    await server.stop();
  }
}

async function main() {
  const rows = [];
  for (const workers of [0, WORKERS]) {
    const r = await measure(workers);
    rows.push([
      workers === 0 ? 'one process' : `node:cluster, ${workers} workers + primary`,
      fmt.int(r.requests),
      fmt.int(r.counted),
      fmt.int(r.series),
      fmt.mb(r.bytes),
      fmt.ms(r.medianMs),
    ]);
  }
  console.log(
    `### Scrape of the summed endpoint (${ROUTES} routes × 3 methods × 3 statuses per process; median of ${SCRAPES} scrapes over HTTP)\n`,
  );
  console.log(
    table(['app', 'requests sent', 'requests counted', 'series in the answer', 'body', 'scrape'], ['l', 'r', 'r', 'r', 'r', 'r'], rows),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
