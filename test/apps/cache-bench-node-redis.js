// Cost of the node-redis patch per command: N commands against the real Redis, GET (a read) and
// SET (any other command), each as single commands 500 at a time (node-redis writes one tick's
// commands together) and as pipelines of 500; prints CPU microseconds of the client process per command.
// Run interleaved, with and without the preload, for each major (AP_NODE_REDIS=redis4|redis5|redis):
//   node test/apps/cache-bench-node-redis.js; PROMETHEUS_METRICS_EXPORT_PORT=19465 node --require ./dist/register.js test/apps/cache-bench-node-redis.js
'use strict';
const { createClient } = require(process.env.AP_NODE_REDIS || 'redis');
const N = Number(process.env.AP_BENCH_N || 200000);
const BATCH = 500;
const KEY = 'ap:test:bench';

async function timed(send) {
  const cpu = process.cpuUsage();
  for (let done = 0; done < N; done += BATCH) await send();
  // CPU time of this process (user + system): the Redis/memcached server's own time is not in it.
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / N;
}

(async () => {
  const r = createClient({ socket: { host: '127.0.0.1', port: 6379 }, name: 'bench' });
  await r.connect();
  await r.set(KEY, 'v');
  const singles = (make) => () => {
    const all = [];
    for (let i = 0; i < BATCH; i++) all.push(make());
    return Promise.all(all);
  };
  const pipeline = (add) => () => {
    const m = r.multi();
    for (let i = 0; i < BATCH; i++) add(m);
    return m.execAsPipeline();
  };
  await timed(singles(() => r.get(KEY))); // warm-up
  const get = await timed(singles(() => r.get(KEY)));
  const set = await timed(singles(() => r.set(KEY, 'v')));
  const pipelinedGet = await timed(pipeline((m) => m.get(KEY)));
  const pipelinedSet = await timed(pipeline((m) => m.set(KEY, 'v')));
  await r.del(KEY);
  await (typeof r.close === 'function' ? r.close() : r.quit());
  process.stdout.write(`${JSON.stringify({ get, set, pipelinedGet, pipelinedSet })}\n`);
})();
