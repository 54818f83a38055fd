// Cost of the memjs patch per read: N GETs against a real memcached (AP_MEMCACHED_PORT), 500 at a
// time, promise and callback forms; prints CPU microseconds of the client process per read.
// Run interleaved, with and without the preload:
//   node test/apps/cache-bench-memjs.js; PROMETHEUS_METRICS_EXPORT_PORT=19465 node --require ./dist/register.js test/apps/cache-bench-memjs.js
'use strict';
const memjs = require('memjs');
const N = Number(process.env.AP_BENCH_N || 100000);
const BATCH = 500;
const KEY = 'ap:test:bench';

async function timed(make) {
  const cpu = process.cpuUsage();
  for (let done = 0; done < N; done += BATCH) {
    const all = [];
    for (let i = 0; i < BATCH; i++) all.push(make());
    await Promise.all(all);
  }
  // CPU time of this process (user + system): the Redis/memcached server's own time is not in it.
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / N;
}

(async () => {
  const mc = memjs.Client.create(`127.0.0.1:${process.env.AP_MEMCACHED_PORT || 11211}`, { logger: { log() {} } });
  await mc.set(KEY, 'v', {});
  const viaCallback = () => new Promise((resolve, reject) => mc.get(KEY, (err, v) => (err ? reject(err) : resolve(v))));
  await timed(() => mc.get(KEY)); // warm-up
  const get = await timed(() => mc.get(KEY));
  const callback = await timed(viaCallback);
  await mc.delete(KEY);
  mc.close();
  process.stdout.write(`${JSON.stringify({ get, callback })}\n`);
})();
