/**
 * django_cache_* from node-redis 4, 5 and 6 against real Redis servers: the shared one on 6379,
 * a private one (DEBUG SLEEP for timeouts) and a private three-node cluster, in a CommonJS app
 * under --require and an ES module app under --import. Each scripted step must move the four
 * counters of each backend by exactly the expected amounts, and the application must see the
 * same replies and errors as without autoprom.
 */
import { strict as assert } from 'node:assert';
import { freePort, startApp, type RunningApp } from './helpers/child';
import { delta, type Exposition } from './helpers/exposition';
import { startRedisServers, stopServers, type RedisServers } from './helpers/redis-servers';
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

/** Each step of test/apps/cache-node-redis-steps.js and what it must move, per backend (others: nothing). */
const SCRIPT: ReadonlyArray<{
  step: string;
  moves: Partial<Record<Backend, Moves>>;
  /** Where a major's own behaviour differs (what the application sees differs too). */
  byMajor?: Partial<Record<number, Partial<Record<Backend, Moves>>>>;
}> = [
  { step: 'setup', moves: {} },
  { step: 'get', moves: { appcache: [3, 2, 1, 0] } },
  { step: 'getexGetdel', moves: { appcache: [3, 2, 1, 0] } },
  { step: 'hget', moves: { appcache: [3, 1, 2, 0] } },
  { step: 'mget', moves: { appcache: [5, 3, 2, 0] } },
  { step: 'hmget', moves: { appcache: [3, 2, 1, 0] } },
  { step: 'sendCommand', moves: { appcache: [4, 2, 2, 0] } },
  { step: 'pipeline', moves: { appcache: [5, 3, 2, 0] } },
  { step: 'pipelineWrongType', moves: { appcache: [3, 1, 1, 1] } },
  { step: 'autoPipelining', moves: { appcache: [5, 3, 2, 0] } },
  { step: 'multi', moves: { appcache: [4, 3, 1, 0] } },
  { step: 'multiWrongType', moves: { appcache: [2, 1, 0, 1] } },
  { step: 'watchAborted', moves: {} },
  { step: 'offlineQueue', moves: { appcache: [4, 2, 2, 0] } },
  { step: 'wrongType', moves: { appcache: [3, 0, 0, 3] } },
  // Queued while connecting to a closed port: GET and a two-key MGET; then a GET and a pipelined GET refused offline.
  { step: 'refused', moves: { appcache: [5, 0, 0, 5] } },
  { step: 'ended', moves: { appcache: [3, 0, 0, 3] } },
  { step: 'timeout', moves: { appcache: [1, 0, 0, 1] } },
  { step: 'lost', moves: { appcache: [1, 0, 0, 1] } },
  { step: 'lostReconnects', moves: { appcache: [2, 1, 0, 1] } },
  { step: 'defaultBackend', moves: { redis: [2, 1, 1, 0] } },
  { step: 'unhandled', moves: { appcache: [2, 0, 0, 2] } },
  // get, get miss, mget 2 hits 1 miss, pipeline hit+miss, multi hit+miss, 3 misses on other nodes, WRONGTYPE.
  { step: 'cluster', moves: { clustered: [13, 5, 7, 1] } },
  // Redirected once each: GET hit; MGET hit and miss; a MULTI of two GETs: hits where node-redis
  // redirects it (6), two failures where the application gets the error (4: EXECABORT, 5: MOVED).
  // Then with maxCommandRedirections 0: a GET fails on MOVED.
  { step: 'clusterMoved', moves: { clustered: [6, 4, 1, 1] }, byMajor: { 4: { clustered: [6, 2, 1, 3] }, 5: { clustered: [6, 2, 1, 3] } } },
  { step: 'teardown', moves: {} },
];

/** Steps whose replies and errors must be identical with and without autoprom (cluster ones carry slot numbers). */
const COMPARED = SCRIPT.map((s) => s.step).filter((s) => s !== 'cluster' && s !== 'clusterMoved');

const MODULES = [
  { module: 'redis4', major: 4 },
  { module: 'redis5', major: 5 },
  { module: 'redis', major: 6 },
] as const;

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

describe('cache: django_cache_* from node-redis against real Redis servers', function () {
  this.timeout(180000);
  let servers: RedisServers | undefined;
  let closedPort = 0;

  before(async function () {
    await requireRedis();
    servers = await startRedisServers();
    closedPort = await freePort();
  });
  after(async () => stopServers(servers));

  function appEnv(module: string, major: number): Record<string, string> {
    return {
      AP_NODE_REDIS: module,
      AP_NODE_REDIS_MAJOR: String(major),
      AP_PRIVATE_REDIS_PORT: String(servers!.privatePort),
      AP_CLUSTER_PORTS: servers!.clusterPorts.join(','),
      AP_CLOSED_PORT: String(closedPort),
    };
  }

  for (const { module, major } of MODULES) {
    /** What the application saw, step by step, without autoprom. */
    let bare: Map<string, unknown> | undefined;

    describe(`node-redis ${major} (${module})`, () => {
      it('without autoprom: the reference replies and errors', async () => {
        const app = await startApp('cache-node-redis.js', { preload: 'none', env: appEnv(module, major) });
        try {
          bare = new Map();
          for (const step of COMPARED) bare.set(step, await runStep(app, step));
        } finally {
          await app.stop();
        }
      });

      it('OTEL_NODE_DISABLED_INSTRUMENTATIONS=redis: node-redis is left alone', async () => {
        const app = await startApp('cache-node-redis.js', {
          env: { ...appEnv(module, major), OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'redis' },
        });
        try {
          await runStep(app, 'setup');
          const replies = await runStep(app, 'get');
          if (bare !== undefined) assert.deepEqual(replies, bare.get('get'));
          const text = await app.scrapeText();
          assert.ok(!text.split('\n').some((l) => l.startsWith('django_cache_')), 'no cache series');
        } finally {
          await app.stop();
        }
      });

      for (const [preload, script] of [
        ['require', 'cache-node-redis.js'],
        ['import', 'cache-node-redis.mjs'],
      ] as const) {
        it(`${preload === 'require' ? 'CommonJS app under --require' : 'ES module app under --import'}: exact counts per step, same replies and errors`, async () => {
          const app = await startApp(script, { preload, env: appEnv(module, major) });
          try {
            const first = await app.scrape();
            for (const name of FAMILIES) assert.equal(first.meta.get(name)?.type, 'counter', `${name} is exposed before any read`);
            for (const { step, moves: common, byMajor } of SCRIPT) {
              const expected = byMajor?.[major] ?? common;
              const { before, result, after } = await app.around(() => runStep(app, step));
              for (const backend of BACKENDS) {
                assert.deepEqual(
                  moves(before, after, backend),
                  expected[backend] ?? NONE,
                  `${module} ${preload} step ${step}: backend ${backend} [total, hits, misses, fails]; result ${JSON.stringify(result)}`,
                );
              }
              if (bare !== undefined && bare.has(step))
                assert.deepEqual(result, bare.get(step), `${module} ${preload} step ${step}: the app sees what it sees without autoprom`);
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
