import * as assert from 'node:assert/strict';
import { startApp, type RunningApp } from './helpers/child';
import { assertDeltas, expectedDeltas, httpLabelValues, runSteps, type Step } from './http-sequence';

const STEPS: Step[] = [
  { method: 'GET', path: '/api/users/7?token=secret123', view: '/api/users/:id' },
  { method: 'POST', path: '/api/items', view: '/api/items', headers: { 'Content-Type': 'application/json' }, body: '{"name":"pen"}' },
  { method: 'GET', path: '/api/empty', view: '/api/empty' },
  { method: 'GET', path: '/api/stream', view: '/api/stream' },
  { method: 'GET', path: '/api/latin', view: '/api/latin' },
  { method: 'PUT', path: '/api/users/7', view: '/api/users/:id', headers: { 'X-Requested-With': 'XMLHttpRequest' } },
  { method: 'GET', path: '/api/boom', view: '/api/boom', exception: 'TypeError' },
  { method: 'GET', path: '/api/reject', view: '/api/reject', exception: 'RangeError' },
  { method: 'GET', path: '/api/missing/thing', view: '<unnamed view>' },
  { method: 'PROPFIND', path: '/api/users/7', view: '<unnamed view>' },
  { method: 'DELETE', path: '/nowhere?secret=hunter2', view: '<unnamed view>' },
  { method: 'GET', path: '/healthz', view: '<unnamed view>', excluded: true },
  { method: 'GET', path: '/api/hang', view: '/api/hang', hang: true },
];

for (const [module, major, preload] of [['fastify', 5, 'require'], ['fastify4', 4, 'require'], ['fastify', 5, 'import']] as const) {
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
