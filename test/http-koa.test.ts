import * as assert from 'node:assert/strict';
import { startApp, type RunningApp } from './helpers/child';
import { assertDeltas, expectedDeltas, httpLabelValues, ROUTER_APP_STEPS, runSteps, type Step } from './http-sequence';

const STEPS: Step[] = [
  ...ROUTER_APP_STEPS,
  // koa-mount: a plain handler mounted under a path is named by its mount path.
  { method: 'GET', path: '/trpc/user.get?input=secret123', view: '/trpc' },
  { method: 'POST', path: '/trpc/user.create', view: '/trpc', headers: { 'Content-Type': 'application/json' }, body: '{"name":"pen"}' },
  // A mounted sub-application's router: its route under the mount path; its 404 stays unnamed.
  { method: 'GET', path: '/v1/orders/5/lines/2', view: '/v1/orders/:orderId/lines/:line' },
  { method: 'GET', path: '/v1/nothing/5', view: '<unnamed view>' },
  // Mounts inside mounts join.
  { method: 'GET', path: '/outer/inner/anything', view: '/outer/inner' },
  { method: 'GET', path: '/mw-error/x', view: '/mw-error', exception: 'URIError' },
  { method: 'GET', path: '/mw-forbidden', view: '/mw-forbidden' },
];

for (const [script, preload] of [
  ['http-koa.js', 'require'],
  ['http-koa.mjs', 'import'],
] as const) {
  describe(`http: koa with @koa/router and koa-mount (--${preload})`, () => {
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
      assert.equal(received[13]?.status, 403);
      assert.deepEqual(
        received.slice(14).map((r) => r?.status),
        [200, 200, 200, 404, 200, 500, 403],
      );
      assertDeltas(before, after, expectedDeltas(STEPS, received));
    });

    it('never puts a raw path or a query string in a label', async () => {
      const e = await app.scrape();
      for (const v of httpLabelValues(e))
        assert.ok(!/secret|hunter2|token|\/7\b|\/5\b|user\.|anything|nothing/.test(v), `label value ${v}`);
    });
  });
}
