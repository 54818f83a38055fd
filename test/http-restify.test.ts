import * as assert from 'node:assert/strict';
import { startApp, type RunningApp } from './helpers/child';
import { assertDeltas, expectedDeltas, httpLabelValues, ROUTER_APP_STEPS, runSteps, type Step } from './http-sequence';

const STEPS: Step[] = ROUTER_APP_STEPS;

for (const [script, preload] of [
  ['http-restify.js', 'require'],
  ['http-restify.mjs', 'import'],
] as const) {
  describe(`http: restify 12 (--${preload})`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(script, { preload, env: { PROMETHEUS_EXCLUDE_PATHS: '/healthz' } });
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
      for (const v of httpLabelValues(e)) assert.ok(!/secret|hunter2|token|\/7\b/.test(v), `label value ${v}`);
    });
  });
}
