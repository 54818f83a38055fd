import * as assert from 'node:assert/strict';
import { startApp, type RunningApp } from './helpers/child';
import { assertDeltas, expectedDeltas, httpLabelValues, ROUTER_APP_STEPS, runSteps } from './http-sequence';

const STEPS = ROUTER_APP_STEPS;

for (const [module, major, preload] of [
  ['fastify', 5, 'require'],
  ['fastify4', 4, 'require'],
  ['fastify', 5, 'import'],
] as const) {
  describe(`http: fastify ${major} (require('${module}'), --${preload})`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp('http-fastify.js', { preload, env: { FASTIFY_MODULE: module, PROMETHEUS_EXCLUDE_PATHS: '/healthz' } });
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
      assertDeltas(before, after, expectedDeltas(STEPS, received));
    });

    it('never puts a raw path or a query string in a label', async () => {
      const e = await app.scrape();
      for (const v of httpLabelValues(e)) assert.ok(!/secret|hunter2|token|\/7\b/.test(v), `label value ${v}`);
    });
  });
}
