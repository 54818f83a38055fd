import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { APPS, freePort, REGISTER_CJS, ROOT } from './helpers/child';

/** What the preload itself needs: the API, the module hooks, the SDK and the Prometheus exporter. */
const AT_START = [
  '@opentelemetry/api',
  '@opentelemetry/core',
  '@opentelemetry/exporter-prometheus',
  '@opentelemetry/instrumentation',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/semantic-conventions',
];

describe('startup: instrumentations load when the application first needs them', () => {
  it('loads runtime-node after the first event-loop turn, instrumentation-http at the first outgoing request, instrumentation-undici at the first fetch, nothing for pg', async () => {
    const r = spawnSync(process.execPath, ['--require', REGISTER_CJS, path.join(APPS, 'lazy-load.js')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, PROMETHEUS_METRICS_EXPORT_PORT: String(await freePort()), PROMETHEUS_METRICS_EXPORT_ADDRESS: '127.0.0.1' },
      timeout: 30000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const steps = JSON.parse(r.stdout) as Record<string, string[]>;
    const runtime = [...AT_START, '@opentelemetry/instrumentation-runtime-node'].sort();
    assert.deepEqual(steps, {
      preload: AT_START,
      firstTurn: runtime,
      clients: runtime,
      listening: runtime,
      httpGet: [...runtime, '@opentelemetry/instrumentation-http'].sort(),
      fetch: [...runtime, '@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-undici'].sort(),
    });
  });
});
