import * as assert from 'node:assert/strict';
import { startApp, type RunningApp } from './helpers/child';
import { assertDeltas, expectedDeltas, httpLabelValues, runSteps, type Step } from './http-sequence';

function nestSteps(adapter: 'express' | 'fastify'): Step[] {
  const steps: Step[] = [
    { method: 'GET', path: '/api/users/7?token=secret123', view: '/api/users/:id' },
    { method: 'PUT', path: '/api/users/7', view: '/api/users/:id', headers: { 'X-Requested-With': 'XMLHttpRequest' } },
    { method: 'POST', path: '/api/items', view: '/api/items', headers: { 'Content-Type': 'application/json' }, body: '{"name":"pen"}' },
    // RouterModule path under the global prefix.
    { method: 'GET', path: '/api/admin/stats/monday', view: '/api/admin/stats/:day' },
    { method: 'GET', path: '/api/errors/boom', view: '/api/errors/boom', exception: 'TypeError' },
    { method: 'GET', path: '/api/errors/reject', view: '/api/errors/reject', exception: 'RangeError' },
    // An HttpException 5xx is an exception; a 4xx one is an outcome.
    { method: 'GET', path: '/api/errors/server', view: '/api/errors/server', exception: 'InternalServerErrorException' },
    { method: 'GET', path: '/api/errors/forbidden', view: '/api/errors/forbidden' },
    // The app's own exception filter answers 502 (no super.catch): still one exception.
    { method: 'GET', path: '/api/errors/payment', view: '/api/errors/payment', exception: 'PaymentError' },
    { method: 'GET', path: '/api/missing/thing', view: '<unnamed view>' },
    { method: 'DELETE', path: '/nowhere?secret=hunter2', view: '<unnamed view>' },
  ];
  if (adapter === 'express') steps.push({ method: 'GET', path: '/legacy/anything', view: '/legacy' });
  return steps;
}

for (const [script, preload, adapter] of [
  ['http-nest.js', 'require', 'express'],
  ['http-nest.js', 'require', 'fastify'],
  ['http-nest.mjs', 'import', 'express'],
  ['http-nest.mjs', 'import', 'fastify'],
] as const) {
  describe(`http: NestJS 12, ${adapter} adapter (--${preload})`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(script, { preload, env: { NEST_ADAPTER: adapter } });
    });
    after(async () => {
      await app?.stop();
    });

    it('moves every django HTTP family by exactly what the request sequence implies', async () => {
      const steps = nestSteps(adapter);
      const before = await app.scrape();
      const received = await runSteps(app, Number(app.ready.port), steps);
      const after = await app.scrape();
      assert.deepEqual(
        received.slice(0, 11).map((r) => r?.status),
        [200, 200, 201, 200, 500, 500, 500, 403, 502, 404, 404],
      );
      assertDeltas(before, after, expectedDeltas(steps, received));
    });

    it('never puts a raw path or a query string in a label', async () => {
      const e = await app.scrape();
      for (const v of httpLabelValues(e)) assert.ok(!/secret|hunter2|token|\/7\b|monday|anything/.test(v), `label value ${v}`);
    });
  });
}
