import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { APPS, freePort, REGISTER_CJS, ROOT } from './helpers/child';

/** What the preload itself needs: the API and the module hooks. */
const AT_START = ['@opentelemetry/api', '@opentelemetry/instrumentation'];

/** After the first event-loop turn: the SDK and its Prometheus reader (core/lazy-meters.ts), and runtime-node. */
const AFTER_FIRST_TURN = [
  ...AT_START,
  '@opentelemetry/core',
  '@opentelemetry/exporter-prometheus',
  '@opentelemetry/instrumentation-runtime-node',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/semantic-conventions',
].sort();

/**
 * Which package loads when is read from `require.cache`, so under the preload as tsc wrote it:
 * the published bundle (dist/autoprom.js) initializes each module at its first require, as these
 * files do, and lists none of them in the cache.
 */
const REGISTER_UNBUNDLED = path.join(ROOT, 'dist', 'register-unbundled.js');

async function run(app: string, register = REGISTER_CJS): Promise<string> {
  const r = spawnSync(process.execPath, ['--require', register, path.join(APPS, app)], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PROMETHEUS_METRICS_EXPORT_PORT: String(await freePort()), PROMETHEUS_METRICS_EXPORT_ADDRESS: '127.0.0.1' },
    timeout: 30000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout;
}

describe('startup: instrumentations load when the application first needs them', () => {
  it('loads the SDK and runtime-node after the first event-loop turn, instrumentation-http at the first outgoing request, instrumentation-undici at the first fetch, nothing for pg', async () => {
    const steps = JSON.parse(await run('lazy-load.js', REGISTER_UNBUNDLED)) as Record<string, string[]>;
    const runtime = AFTER_FIRST_TURN;
    assert.deepEqual(steps, {
      preload: AT_START,
      firstTurn: runtime,
      clients: runtime,
      listening: runtime,
      httpGet: [...runtime, '@opentelemetry/instrumentation-http'].sort(),
      fetch: [...runtime, '@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-undici'].sort(),
    });
  });

  it("an application's own wrappers of http.request and http.get, set before the first request, run once per request, and each request counts once", async () => {
    assert.deepEqual(JSON.parse(await run('http-client-wrapped.js')), { wrapped: 3, counted: 3 });
  });

  for (const enabled of [undefined, 'http', 'ioredis']) {
    it(`runs an -e and a -p script (${enabled === undefined ? 'every instrumentation' : `only ${enabled}`})`, async () => {
      for (const args of [
        ['--require', REGISTER_CJS, '-e', "process.stdout.write('ran')"],
        ['--require', REGISTER_CJS, '-p', '6 * 7'],
      ]) {
        const env: NodeJS.ProcessEnv = { ...process.env, PROMETHEUS_METRICS_EXPORT_PORT: String(await freePort()) };
        if (enabled !== undefined) env.OTEL_NODE_ENABLED_INSTRUMENTATIONS = enabled;
        const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env, timeout: 30000 });
        assert.equal(r.stderr, '');
        assert.equal(r.status, 0);
        assert.equal(r.stdout.trim(), args[2] === '-e' ? 'ran' : '42');
      }
    });
  }
});
