'use strict';
// The application thread's part of a scrape in a real app, every family of the preload on:
// an express app with 200 routes, every (route, method, status) requested once (about 14,000
// series, as bench/apps/many-routes.js), then N collections made as worker-host.ts makes them
// for the metrics worker (gather OpenTelemetry's streams, write the Registry's columns, post
// them through a MessagePort), timed by this thread's CPU time. Run under the preload:
//
//   node -r ./dist/register.js bench/scrape/autoprom-app-thread-real.js
//   BENCH_ROOT=<another checkout> node -r <another checkout>/dist/register.js bench/scrape/autoprom-app-thread-real.js
//
// (OTEL_NODE_DISABLED_INSTRUMENTATIONS=runtime leaves the process_* and nodejs_* families out.)
const http = require('node:http');
const path = require('node:path');
const { MessageChannel } = require('node:worker_threads');
const express = require('express');

const root = process.env.BENCH_ROOT || path.join(__dirname, '..', '..');
const running = require(path.join(root, 'dist', 'src', 'preload')).start();
const { encodeCollection, transferList } = require(path.join(root, 'dist', 'src', 'export', 'snapshot'));
if (running?.exposition === undefined)
  throw new Error('run under the preload (node -r ./dist/register.js), with the Prometheus exporter on');

const app = express();
const reply = (req, res) =>
  res
    .status(Number(req.get('x-status') || 200))
    .type('text/plain')
    .send('ok');
for (let i = 0; i < 200; i++) {
  app.get(`/api/v1/resource${i}/:id`, reply);
  app.post(`/api/v1/resource${i}/:id`, reply);
  app.put(`/api/v1/resource${i}/:id`, reply);
}

function request(port, agent, method, url, status) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: url, agent, headers: { 'x-status': status } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

const cpuUs = () => {
  const u = process.threadCpuUsage();
  return u.user + u.system;
};

const server = http.createServer(app).listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const queue = [];
  for (let i = 0; i < 200; i++)
    for (const method of ['GET', 'POST', 'PUT'])
      for (const status of ['200', '404', '500']) queue.push([method, `/api/v1/resource${i}/7`, status]);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let r = queue.shift(); r !== undefined; r = queue.shift()) await request(port, agent, ...r);
    }),
  );
  agent.destroy();

  const exposition = running.exposition;
  const { port1, port2 } = new MessageChannel();
  port2.on('message', () => undefined);
  const phases = { gather: 0, encode: 0, post: 0 };
  const collectOnce = async (timed) => {
    const t0 = cpuUs();
    // The build before the columns had no gather/encode: its collect + encodeCollection.
    const gathered = typeof exposition.encode === 'function' ? await exposition.gather() : await exposition.collect();
    const t1 = cpuUs();
    const collection = typeof exposition.encode === 'function' ? exposition.encode(gathered) : encodeCollection(gathered);
    const t2 = cpuUs();
    port1.postMessage({ kind: 'collected', id: 1, collection }, transferList(collection));
    const t3 = cpuUs();
    if (!timed) return;
    phases.gather += t1 - t0;
    phases.encode += t2 - t1;
    phases.post += t3 - t2;
  };
  for (let k = 0; k < 20; k++) await collectOnce(false);
  const n = Number(process.env.BENCH_SCRAPES || 300);
  for (let k = 0; k < n; k++) {
    await collectOnce(true);
    // Let the event loop turn now and then, as between real scrapes.
    if (k % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const body = await exposition.render();
  const series = body.split('\n').filter((l) => l !== '' && l[0] !== '#').length;
  const ms = (us) => Math.round(us / n) / 1000;
  process.stdout.write(
    `RESULT ${JSON.stringify({ series, cpuMeanMs: ms(phases.gather + phases.encode + phases.post), gatherMs: ms(phases.gather), encodeMs: ms(phases.encode), postMs: ms(phases.post), scrapes: n })}\n`,
  );
  port1.close();
  server.close();
  process.exit(0);
});
