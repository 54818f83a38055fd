/**
 * django_cache_* from ioredis against real Redis servers: the shared one on 6379, a
 * private one (DEBUG SLEEP for timeouts) and a private three-node cluster, for ioredis 5
 * and 6, in a CommonJS app under --require and an ES module app under --import. Each
 * scripted step must move the four counters of each backend by exactly the expected
 * amounts, and the application must see the same replies and errors as without autoprom.
 */
import { strict as assert } from 'node:assert';
import { PRELOAD_MODES, startApp, type RunningApp } from './helpers/child';
import { delta, type Exposition } from './helpers/exposition';
import { startRedisServers, stopServers, type RedisServers as Servers } from './helpers/redis-servers';
import { requireRedis } from './helpers/services';

const FAMILIES = [
  'django_cache_get_total',
  'django_cache_get_hits_total',
  'django_cache_get_misses_total',
  'django_cache_get_fail_total',
] as const;
const BACKENDS = ['appcache', 'redis', 'clustered'] as const;
type Backend = (typeof BACKENDS)[number];
/** [total, hits, misses, fails] */
type Moves = readonly [number, number, number, number];
const NONE: Moves = [0, 0, 0, 0];

/** Each step of test/apps/cache-steps.js and what it must move, per backend (others: nothing). */
const SCRIPT: ReadonlyArray<{ step: string; moves: Partial<Record<Backend, Moves>> }> = [
  { step: 'setup', moves: {} },
  { step: 'get', moves: { appcache: [3, 2, 1, 0] } },
  { step: 'getexGetdel', moves: { appcache: [3, 2, 1, 0] } },
  { step: 'hget', moves: { appcache: [3, 1, 2, 0] } },
  { step: 'mget', moves: { appcache: [5, 3, 2, 0] } },
  { step: 'hmget', moves: { appcache: [3, 2, 1, 0] } },
  { step: 'call', moves: { appcache: [2, 1, 1, 0] } },
  { step: 'multiDirectLost', moves: { appcache: [2, 1, 0, 1] } },
  { step: 'callback', moves: { appcache: [1, 1, 0, 0] } },
  { step: 'pipeline', moves: { appcache: [5, 3, 2, 0] } },
  { step: 'autoPipelining', moves: { appcache: [5, 3, 2, 0] } },
  { step: 'multi', moves: { appcache: [4, 3, 1, 0] } },
  { step: 'multiWrongType', moves: { appcache: [2, 1, 0, 1] } },
  { step: 'multiDirect', moves: { appcache: [2, 1, 1, 0] } },
  { step: 'offlineQueue', moves: { appcache: [4, 2, 2, 0] } },
  { step: 'wrongType', moves: { appcache: [2, 0, 0, 2] } },
  { step: 'refused', moves: { appcache: [4, 0, 0, 4] } },
  { step: 'ended', moves: { appcache: [1, 0, 0, 1] } },
  { step: 'timeout', moves: { appcache: [1, 0, 0, 1] } },
  { step: 'lostNoRetry', moves: { appcache: [1, 0, 0, 1] } },
  { step: 'lostResent', moves: { appcache: [1, 1, 0, 0] } },
  { step: 'defaultBackend', moves: { redis: [2, 1, 1, 0] } },
  { step: 'unhandled', moves: { appcache: [1, 0, 0, 1] } },
  // early get (miss), get, get miss, mget 2 hits 1 miss, pipeline hit+miss, multi hit+miss, 3 misses, WRONGTYPE.
  { step: 'cluster', moves: { clustered: [14, 5, 8, 1] } },
  // Redirected once each: GET hit; pipeline GET hit + MGET hit and miss; MULTI two GET hits.
  // Then with maxRedirections 0: a GET and a pipelined GET fail on MOVED.
  { step: 'clusterMoved', moves: { clustered: [8, 5, 1, 2] } },
  { step: 'teardown', moves: {} },
];

/** Steps whose replies and errors must be identical with and without autoprom. */
const COMPARED = SCRIPT.map((s) => s.step).filter((s) => s !== 'cluster' && s !== 'clusterMoved');

async function runStep(app: RunningApp, step: string): Promise<unknown> {
  const port = (app.ready as { port: number }).port;
  const res = await fetch(`http://127.0.0.1:${port}/step/${step}`, { method: 'POST' });
  const body = (await res.json()) as { result?: unknown; thrown?: unknown; stack?: string; unknownStep?: string };
  if (body.unknownStep !== undefined) throw new Error(`unknown step ${step}`);
  if (body.thrown !== undefined)
    throw new Error(`step ${step} threw ${JSON.stringify(body.thrown)}\n${body.stack}\nstderr: ${app.stderr()}`);
  return body.result;
}

function moves(before: Exposition, after: Exposition, backend: Backend): Moves {
  const m = FAMILIES.map((f) => delta(before, after, f, { backend }));
  return [m[0], m[1], m[2], m[3]];
}

function appEnv(module: string, servers: Servers): Record<string, string> {
  return { AP_IOREDIS: module, AP_PRIVATE_REDIS_PORT: String(servers.privatePort), AP_CLUSTER_PORTS: servers.clusterPorts.join(',') };
}

describe('cache: django_cache_* from ioredis against real Redis servers', function () {
  this.timeout(120000);
  let servers: Servers | undefined;

  before(async function () {
    await requireRedis();
    servers = await startRedisServers();
  });
  after(async () => stopServers(servers));

  for (const module of ['ioredis', 'ioredis5']) {
    /** What the application saw, step by step, without autoprom. */
    let bare: Map<string, unknown> | undefined;

    describe(`${module}`, () => {
      it('without autoprom: the reference replies and errors', async () => {
        const app = await startApp('cache-redis.js', { preload: 'none', env: appEnv(module, servers!) });
        try {
          bare = new Map();
          for (const step of COMPARED) bare.set(step, await runStep(app, step));
        } finally {
          await app.stop();
        }
      });

      it('OTEL_NODE_DISABLED_INSTRUMENTATIONS=ioredis: ioredis is left alone', async () => {
        const app = await startApp('cache-redis.js', {
          env: { ...appEnv(module, servers!), OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'ioredis' },
        });
        try {
          await runStep(app, 'setup');
          const replies = await runStep(app, 'get');
          if (bare !== undefined) assert.deepEqual(replies, bare.get('get'));
          // The cache families exist (node-redis and memjs stay on), but ioredis moved no series.
          const text = await app.scrapeText();
          assert.ok(!text.split('\n').some((l) => l.startsWith('django_cache_')), 'no cache series');
        } finally {
          await app.stop();
        }
      });

      for (const { preload, esm, title } of PRELOAD_MODES) {
        const script = esm ? 'cache-redis.mjs' : 'cache-redis.js';
        it(`${title}: exact counts per step, same replies and errors`, async () => {
          const app = await startApp(script, { preload, env: appEnv(module, servers!) });
          try {
            const first = await app.scrape();
            for (const name of FAMILIES) assert.equal(first.meta.get(name)?.type, 'counter', `${name} is exposed before any read`);
            for (const { step, moves: expected } of SCRIPT) {
              const { before, result, after } = await app.around(() => runStep(app, step));
              for (const backend of BACKENDS) {
                assert.deepEqual(
                  moves(before, after, backend),
                  expected[backend] ?? NONE,
                  `${module} ${title} step ${step}: backend ${backend} [total, hits, misses, fails]; result ${JSON.stringify(result)}`,
                );
              }
              if (bare !== undefined && bare.has(step))
                assert.deepEqual(result, bare.get(step), `${module} ${title} step ${step}: the app sees what it sees without autoprom`);
            }
            // No key and no value ever reaches a label.
            const text = await app.scrapeText();
            assert.ok(!text.includes('ap:test'), 'no Redis key in the exposition');
            assert.ok(
              !/v1|"x"/.test(
                text
                  .split('\n')
                  .filter((l) => l.startsWith('django_cache'))
                  .join('\n'),
              ),
              'no Redis value in a cache label',
            );
            assert.equal(app.stderr(), '', 'autoprom said nothing on stderr');
          } finally {
            await app.stop();
          }
        });
      }
    });
  }
});
