import * as assert from 'node:assert/strict';
import { startApp, type RunningApp } from './helpers/child';
import { assertDeltas, expectedDeltas, httpLabelValues, runSteps, type Step } from './http-sequence';

const STEPS: Step[] = [
  { method: 'GET', path: '/api/users/7?token=secret123', view: '/api/users/{id}' },
  { method: 'POST', path: '/api/items', view: '/api/items', headers: { 'Content-Type': 'application/json' }, body: '{"name":"pen"}' },
  { method: 'GET', path: '/api/empty', view: '/api/empty' },
  { method: 'GET', path: '/api/stream', view: '/api/stream' },
  { method: 'GET', path: '/api/latin', view: '/api/latin' },
  { method: 'PUT', path: '/api/users/7', view: '/api/users/{id}', headers: { 'X-Requested-With': 'XMLHttpRequest' } },
  { method: 'GET', path: '/api/boom', view: '/api/boom', exception: 'TypeError' },
  { method: 'GET', path: '/api/reject', view: '/api/reject', exception: 'RangeError' },
  // Boom: a 4xx is an outcome, a 5xx an exception.
  { method: 'GET', path: '/api/forbidden', view: '/api/forbidden' },
  // Boom errors are plain Error instances.
  { method: 'GET', path: '/api/unavailable', view: '/api/unavailable', exception: 'Error' },
  { method: 'GET', path: '/api/files/a/b.txt', view: '/api/files/{path*}' },
  { method: 'GET', path: '/api/missing/thing', view: '<unnamed view>' },
  { method: 'PROPFIND', path: '/api/users/7', view: '<unnamed view>' },
  { method: 'DELETE', path: '/nowhere?secret=hunter2', view: '<unnamed view>' },
  { method: 'GET', path: '/healthz', view: '<unnamed view>', excluded: true },
  { method: 'GET', path: '/api/hang', view: '/api/hang', hang: true },
];

for (const [script, preload, module, major] of [
  ['http-hapi.js', 'require', '@hapi/hapi', 21],
  ['http-hapi.js', 'require', 'hapi20', 20],
  ['http-hapi.mjs', 'import', '@hapi/hapi', 21],
] as const) {
  describe(`http: hapi ${major} (${module}, --${preload})`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(script, { preload, env: { HAPI_MODULE: module, PROMETHEUS_EXCLUDE_PATHS: '/healthz' } });
      if (app.ready.version !== undefined) assert.equal(String(app.ready.version).split('.')[0], String(major));
    });
    after(async () => {
      await app?.stop();
    });

    it('moves every django HTTP family by exactly what the request sequence implies', async () => {
      const before = await app.scrape();
      const received = await runSteps(app, Number(app.ready.port), STEPS);
      const after = await app.scrape();
      assert.deepEqual(
        received.slice(0, 14).map((r) => r?.status),
        [200, 201, 200, 200, 200, 200, 500, 500, 403, 503, 200, 404, 404, 404],
      );
      assertDeltas(before, after, expectedDeltas(STEPS, received));
    });

    it('never puts a raw path or a query string in a label', async () => {
      const e = await app.scrape();
      for (const v of httpLabelValues(e)) assert.ok(!/secret|hunter2|token|\/7\b|b\.txt/.test(v), `label value ${v}`);
    });
  });
}
