import * as assert from 'node:assert/strict';
import { startApp, type RunningApp } from './helpers/child';
import { assertDeltas, expectedDeltas, httpLabelValues, ROUTER_APP_STEPS, runSteps, type Step } from './http-sequence';

/** Handlers mounted with `fastify.use(path, fn)` (@fastify/middie, @fastify/express): their mount path. */
const MOUNTED_STEPS: Step[] = [
  { method: 'GET', path: '/trpc/user.get?input=secret123', view: '/trpc' },
  { method: 'POST', path: '/trpc/user.create', view: '/trpc', headers: { 'Content-Type': 'application/json' }, body: '{"name":"pen"}' },
  { method: 'GET', path: '/mw-error/x', view: '/mw-error', exception: 'URIError' },
  { method: 'GET', path: '/v1/admin/stats/monday', view: '/v1/admin/stats/:day', headers: { Authorization: 'Bearer x' } },
  { method: 'GET', path: '/v1/admin/stats/monday', view: '/v1/admin' },
];

for (const [module, major, preload, middleware] of [
  ['fastify', 5, 'require', undefined],
  ['fastify4', 4, 'require', undefined],
  ['fastify', 5, 'import', undefined],
  ['fastify', 5, 'require', '@fastify/middie'],
  ['fastify', 5, 'import', '@fastify/middie'],
  ['fastify', 5, 'require', '@fastify/express'],
  ['fastify', 5, 'import', '@fastify/express'],
] as const) {
  const steps = middleware === undefined ? ROUTER_APP_STEPS : [...ROUTER_APP_STEPS, ...MOUNTED_STEPS];
  const title = `fastify ${major} (${preload === 'import' ? 'ES module app' : `require('${module}')`}${middleware === undefined ? '' : ` with ${middleware}`}, --${preload})`;
  describe(`http: ${title}`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(preload === 'import' ? 'http-fastify.mjs' : 'http-fastify.js', {
        preload,
        env: { FASTIFY_MODULE: module, FASTIFY_MIDDLEWARE: middleware, PROMETHEUS_EXCLUDE_PATHS: '/healthz' },
      });
      assert.equal(String(app.ready.version).split('.')[0], String(major));
    });
    after(async () => {
      await app?.stop();
    });

    it('moves every django HTTP family by exactly what the request sequence implies', async () => {
      const before = await app.scrape();
      const received = await runSteps(app, Number(app.ready.port), steps);
      const after = await app.scrape();
      assert.equal(received[6]?.status, 500);
      assert.equal(received[1]?.status, 201);
      assert.equal(received[13]?.status, 400);
      if (middleware !== undefined)
        assert.deepEqual(
          received.slice(14).map((r) => r?.status),
          [200, 200, 500, 200, 401],
        );
      assertDeltas(before, after, expectedDeltas(steps, received));
    });

    it('never puts a raw path or a query string in a label', async () => {
      const e = await app.scrape();
      for (const v of httpLabelValues(e)) assert.ok(!/secret|hunter2|token|\/7\b|user\.|monday/.test(v), `label value ${v}`);
    });
  });
}
