// Cost of the ioredis patch per command: N commands in pipelines of 500 against the real
// Redis, GET (a read) and SET (any other command); prints microseconds per command.
// Run interleaved, with and without the preload:
//   node test/apps/cache-bench.js; PROMETHEUS_METRICS_EXPORT_PORT=19465 node --require ./dist/register.js test/apps/cache-bench.js
'use strict';
const Redis = require(process.env.AP_IOREDIS || 'ioredis');
const N = Number(process.env.AP_BENCH_N || 200000);
const BATCH = 500;

async function timed(r, make) {
  const start = process.hrtime.bigint();
  for (let done = 0; done < N; done += BATCH) {
    const p = r.pipeline();
    for (let i = 0; i < BATCH; i++) make(p, i);
    await p.exec();
  }
  return Number(process.hrtime.bigint() - start) / 1e3 / N;
}

(async () => {
  const r = new Redis({ host: '127.0.0.1', port: 6379, connectionName: 'bench' });
  await r.set('ap:test:bench', 'v');
  await timed(r, (p) => p.get('ap:test:bench')); // warm-up
  const get = await timed(r, (p) => p.get('ap:test:bench'));
  const set = await timed(r, (p) => p.set('ap:test:bench', 'v'));
  await r.del('ap:test:bench');
  await r.quit();
  process.stdout.write(`${JSON.stringify({ get, set })}\n`);
})();
