'use strict';
// autoprom's per-scrape cost on the application thread since the endpoint moved to a worker:
// gather OpenTelemetry's streams (Exposition.gather), write the Registry's series into columns
// (Exposition.encode: label values only for series new since the last scrape) and post them
// through a MessagePort (Float64Arrays transferred), as worker-host.ts does. Serialization and
// gzip happen on the worker's thread and are not timed here. Same data set and RESULT line as
// harness.js, plus cpuMeanMs: this thread's CPU time over all timed scrapes divided by their number
// (process.threadCpuUsage, too coarse for one scrape), which other load on the machine moves
// less than wall time.
const path = require('node:path');
const { MessageChannel } = require('node:worker_threads');
const { LATENCY, dataset, latencyOf, NAMES, OBSERVATIONS_PER_PAIR } = require('./dataset');

const dist = path.join(__dirname, '..', '..', 'dist', 'src');
const { Registry } = require(path.join(dist, 'core', 'registry'));
const { Exposition } = require(path.join(dist, 'export', 'exposition'));
const { serializePrometheus } = require(path.join(dist, 'export', 'serialize'));
const { transferList } = require(path.join(dist, 'export', 'snapshot'));
const { MeterProvider } = require('@opentelemetry/sdk-metrics');

function heap() {
  global.gc();
  global.gc();
  return process.memoryUsage();
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const scrapes = Number(process.env.BENCH_SCRAPES || 20);
  const before = heap();
  const registry = new Registry({ namespace: '', cardinalityLimit: 2000, latencyBuckets: LATENCY });
  const exposition = new Exposition([registry]);
  new MeterProvider({ readers: [exposition.reader] });
  const { pairs, triples } = dataset();
  const latency = registry.histogram(NAMES.latency);
  const requests = registry.counter(NAMES.requests);
  const responses = registry.counter(NAMES.responses);
  let i = 0;
  for (const { view, method } of pairs) {
    const h = latency.labels(view, method);
    for (let k = 0; k < OBSERVATIONS_PER_PAIR; k++) h.observe(latencyOf(i++));
    requests.labels(view, 'http', method).inc(OBSERVATIONS_PER_PAIR);
  }
  for (const { status, view, method } of triples) responses.labels(status, view, method).inc(3);
  const after = heap();

  // The worker's end of the channel receives (and drops) what the application thread posts.
  const { port1, port2 } = new MessageChannel();
  port2.on('message', () => undefined);
  const scrape = async () => {
    const gathered = await exposition.gather();
    const collection = exposition.encode(gathered);
    port1.postMessage({ kind: 'collected', id: 1, collection }, transferList(collection));
  };
  const cpuMs = () => {
    const u = process.threadCpuUsage();
    return (u.user + u.system) / 1000;
  };
  for (let k = 0; k < 3; k++) await scrape();
  const times = [];
  const c0 = cpuMs();
  for (let k = 0; k < scrapes; k++) {
    const t0 = process.hrtime.bigint();
    await scrape();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const cpuMeanMs = (cpuMs() - c0) / scrapes;
  const body = serializePrometheus(await exposition.collect());
  if (body !== (await exposition.render())) throw new Error("the worker's columns do not render what the collection renders");
  let series = 0;
  for (const line of body.split('\n')) if (line !== '' && line[0] !== '#') series++;
  port1.close();
  process.stdout.write(
    `RESULT ${JSON.stringify({ series, bytes: Buffer.byteLength(body), medianMs: median(times), minMs: Math.min(...times), cpuMeanMs, heapDelta: after.heapUsed - before.heapUsed, rss: process.memoryUsage().rss, scrapes })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
