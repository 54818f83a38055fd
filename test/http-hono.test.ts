import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, startApp, type RunningApp } from './helpers/child';
import { assertDeltas, expectedDeltas, httpLabelValues, ROUTER_APP_STEPS, runSteps, type Step } from './http-sequence';

const STEPS: Step[] = [
  ...ROUTER_APP_STEPS,
  { method: 'GET', path: '/v2/orders/5/lines/2', view: '/v2/orders/:orderId/lines/:line' },
  // A mounted handler: its mount path.
  { method: 'GET', path: '/legacy/anything/1', view: '/legacy/*' },
];

/** Hono 3 lives in its own small package, with the @hono/node-server of its time (later ones need Hono 4 by that name). */
const HONO3 = path.join(ROOT, 'test', 'peers', 'hono3');

function ensureHono3(): string {
  if (!existsSync(path.join(HONO3, 'node_modules', 'hono', 'package.json'))) {
    // Installed on demand from its lock file (a few seconds), like the other previous majors.
    execFileSync('npm', ['ci', '--prefix', HONO3, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'ignore', timeout: 200000 });
  }
  return HONO3;
}

for (const [script, preload, major] of [
  ['http-hono.js', 'require', 4],
  ['http-hono.mjs', 'import', 4],
  ['http-hono.js', 'require', 3],
  ['http-hono.mjs', 'import', 3],
] as const) {
  describe(`http: Hono ${major} on @hono/node-server (--${preload})`, function () {
    this.timeout(240000);
    let app: RunningApp;
    before(async () => {
      const peer = major === 3 ? ensureHono3() : undefined;
      app = await startApp(script, { preload, env: { HONO_PEER: peer, PROMETHEUS_EXCLUDE_PATHS: '/healthz' } });
      assert.equal(String(app.ready.version).split('.')[0], String(major));
    });
    after(async () => {
      await app?.stop();
    });

    it('moves every django HTTP family by exactly what the request sequence implies', async () => {
      const before = await app.scrape();
      const received = await runSteps(app, Number(app.ready.port), STEPS);
      const after = await app.scrape();
      assert.equal(received[6]?.status, 500);
      assert.equal(received[1]?.status, 201);
      assert.equal(received[13]?.status, 403);
      assertDeltas(before, after, expectedDeltas(STEPS, received));
    });

    it('never puts a raw path or a query string in a label', async () => {
      const e = await app.scrape();
      for (const v of httpLabelValues(e)) assert.ok(!/secret|hunter2|token|\/7\b|\/5\b|anything/.test(v), `label value ${v}`);
    });
  });
}
