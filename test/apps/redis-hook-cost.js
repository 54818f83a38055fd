// The CPU cost per Redis command of autoprom's ioredis patch, in one process against the real
// Redis: rounds of GETs (a read: one cache outcome each) in pipelines of 500, with the patch on
// and off in turn (the same client, the same connection), CPU time of this process only.
// Run it without the preload: it loads autoprom's modules itself. Prints µs per command, medians.
'use strict';
const { parseConfig } = require('../../dist/src/config');
const { Registry } = require('../../dist/src/core/registry');
const { IoredisCacheInstrumentation } = require('../../dist/src/cache/ioredis');
const { isPatched } = require('../../dist/src/core/patch');

const N = Number(process.env.REDIS_HOOK_N || 100000);
const ROUNDS = Number(process.env.REDIS_HOOK_ROUNDS || 5);
const BATCH = 500;

const { config } = parseConfig({});
const registry = new Registry({ namespace: '', cardinalityLimit: 2000, latencyBuckets: config.latencyBuckets });
const instrumentation = new IoredisCacheInstrumentation({ config, registry, ownServers: new Set() });
const Redis = require('ioredis');
const [definition] = instrumentation.getModuleDefinitions();

async function round(r) {
  const t = process.cpuUsage();
  for (let done = 0; done < N; done += BATCH) {
    const p = r.pipeline();
    for (let i = 0; i < BATCH; i++) p.get('ap:test:hook-cost');
    await p.exec();
  }
  const c = process.cpuUsage(t);
  return (c.user + c.system) / N;
}

(async () => {
  const r = new Redis({ host: '127.0.0.1', port: 6379, connectionName: 'hook-cost' });
  await r.set('ap:test:hook-cost', 'v');
  definition.unpatch(Redis);
  await round(r); // warm-up
  const rows = [];
  for (let i = 0; i < ROUNDS; i++) {
    const bare = await round(r);
    definition.patch(Redis);
    if (!isPatched(Redis.prototype.sendCommand)) throw new Error("autoprom's ioredis patch did not apply");
    const patched = await round(r);
    definition.unpatch(Redis);
    const bare2 = await round(r);
    rows.push({ bare: (bare + bare2) / 2, added: patched - (bare + bare2) / 2 });
  }
  await r.del('ap:test:hook-cost');
  await r.quit();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const fix = (x) => Number(x.toFixed(3));
  process.stdout.write(
    `${JSON.stringify({
      n: N,
      bareCpuUsPerCommand: fix(median(rows.map((x) => x.bare))),
      addedCpuUsPerCommand: fix(median(rows.map((x) => x.added))),
      rounds: rows.map((x) => ({ bare: fix(x.bare), added: fix(x.added) })),
    })}\n`,
  );
})().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
