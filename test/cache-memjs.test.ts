/**
 * django_cache_* from memcached through memjs against a real memcached started by the test,
 * in a CommonJS app under --require and an ES module app under --import. Each scripted step
 * must move the four counters of each backend by exactly the expected amounts, and the
 * application must see the same replies and errors as without autoprom.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { freePort, startApp, type RunningApp } from './helpers/child';
import { delta, type Exposition } from './helpers/exposition';
import { until } from './helpers/redis-servers';

const FAMILIES = [
  'django_cache_get_total',
  'django_cache_get_hits_total',
  'django_cache_get_misses_total',
  'django_cache_get_fail_total',
] as const;
const BACKENDS = ['memcached', 'sessions'] as const;
type Backend = (typeof BACKENDS)[number];
/** [total, hits, misses, fails] */
type Moves = readonly [number, number, number, number];
const NONE: Moves = [0, 0, 0, 0];

/** Each step of test/apps/cache-memjs-steps.js and what it must move, per backend (others: nothing). */
const SCRIPT: ReadonlyArray<{ step: string; moves: Partial<Record<Backend, Moves>> }> = [
  { step: 'setup', moves: {} },
  // hit, miss, and an empty value (a hit).
  { step: 'get', moves: { memcached: [3, 2, 1, 0] } },
  { step: 'callback', moves: { memcached: [2, 1, 1, 0] } },
  { step: 'concurrent', moves: { memcached: [4, 3, 1, 0] } },
  { step: 'named', moves: { sessions: [2, 1, 1, 0] } },
  { step: 'refused', moves: { memcached: [2, 0, 0, 2] } },
  { step: 'timeout', moves: { memcached: [1, 0, 0, 1] } },
  { step: 'unhandled', moves: { memcached: [1, 0, 0, 1] } },
  { step: 'teardown', moves: {} },
];

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, '127.0.0.1', () => done(true));
  });
}

async function startMemcached(): Promise<{ port: number; proc: ChildProcess }> {
  if (spawnSync('memcached', ['-h'], { stdio: 'ignore' }).error !== undefined) {
    throw new Error('memcached is not installed. Install it with: apt-get update && apt-get install -y memcached');
  }
  const port = await freePort();
  // -U 0: TCP only. Run as `nobody` (memcached refuses to run as root without -u).
  const proc = spawn('memcached', ['-u', 'nobody', '-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '16'], { stdio: 'ignore' });
  await until(`memcached on ${port}`, () => reachable(port));
  return { port, proc };
}

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

describe('cache: django_cache_* from memcached through memjs', function () {
  this.timeout(60000);
  let server: { port: number; proc: ChildProcess } | undefined;
  let env: Record<string, string> = {};
  /** What the application saw, step by step, without autoprom. */
  let bare: Map<string, unknown> | undefined;

  before(async () => {
    server = await startMemcached();
    env = { AP_MEMCACHED_PORT: String(server.port), AP_CLOSED_PORT: String(await freePort()) };
  });
  after(async () => {
    const proc = server?.proc;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  });

  it('without autoprom: the reference replies and errors', async () => {
    const app = await startApp('cache-memjs.js', { preload: 'none', env });
    try {
      bare = new Map();
      for (const { step } of SCRIPT) bare.set(step, await runStep(app, step));
    } finally {
      await app.stop();
    }
  });

  it('OTEL_NODE_DISABLED_INSTRUMENTATIONS=memjs: memjs is left alone', async () => {
    const app = await startApp('cache-memjs.js', { env: { ...env, OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'memjs' } });
    try {
      await runStep(app, 'setup');
      assert.deepEqual(await runStep(app, 'get'), bare?.get('get'));
      const text = await app.scrapeText();
      assert.ok(!text.split('\n').some((l) => l.startsWith('django_cache_')), 'no cache series');
    } finally {
      await app.stop();
    }
  });

  for (const [preload, script] of [
    ['require', 'cache-memjs.js'],
    ['import', 'cache-memjs.mjs'],
  ] as const) {
    it(`${preload === 'require' ? 'CommonJS app under --require' : 'ES module app under --import'}: exact counts per step, same replies and errors`, async () => {
      const app = await startApp(script, { preload, env });
      try {
        for (const { step, moves: expected } of SCRIPT) {
          const { before, result, after } = await app.around(() => runStep(app, step));
          for (const backend of BACKENDS) {
            assert.deepEqual(
              moves(before, after, backend),
              expected[backend] ?? NONE,
              `memjs ${preload} step ${step}: backend ${backend} [total, hits, misses, fails]; result ${JSON.stringify(result)}`,
            );
          }
          if (bare !== undefined)
            assert.deepEqual(result, bare.get(step), `memjs ${preload} step ${step}: the app sees what it sees without autoprom`);
        }
        const text = await app.scrapeText();
        assert.ok(!text.includes('ap:test'), 'no memcached key in the exposition');
        assert.equal(app.stderr(), '', 'autoprom said nothing on stderr');
      } finally {
        await app.stop();
      }
    });
  }
});
