import * as assert from 'node:assert/strict';
import { startApp, type RunningApp } from './helpers/child';
import { samplesOf, valueOf } from './helpers/exposition';
import { assertDeltas, expectedDeltas, httpLabelValues, runSteps, send, type Step } from './http-sequence';

const EXCLUDE = '/healthz,/internal/*';

function expressSteps(major: 4 | 5): Step[] {
  const steps: Step[] = [
    { method: 'GET', path: '/api/users/7?token=secret123', view: '/api/users/:id' },
    { method: 'GET', path: '/api/users/8', view: '/api/users/:id' },
    { method: 'POST', path: '/api/items', view: '/api/items', headers: { 'Content-Type': 'application/json' }, body: '{"name":"pen"}' },
    { method: 'GET', path: '/api/empty', view: '/api/empty' },
    { method: 'GET', path: '/api/stream', view: '/api/stream' },
    { method: 'GET', path: '/api/latin', view: '/api/latin' },
    { method: 'PUT', path: '/api/users/7', view: '/api/users/:id', headers: { 'X-Requested-With': 'XMLHttpRequest' } },
    { method: 'GET', path: '/api/boom', view: '/api/boom', exception: 'TypeError' },
    { method: 'GET', path: '/api/next-error', view: '/api/next-error', exception: 'SyntaxError' },
    { method: 'GET', path: '/api/page', view: '/api/page', template: 'http-page' },
    { method: 'GET', path: '/api/nested/g1/x', view: '/api/nested/:group/:name' },
    { method: 'GET', path: '/sub/things/9', view: '/sub/things/:id' },
    { method: 'GET', path: '/sub/deep/things/9', view: '/sub/deep/things/:id' },
    { method: 'GET', path: '/sub/inner/x/9', view: '/sub/inner/x/:id' },
    { method: 'GET', path: '/sub/rpc/call', view: '/sub/rpc' },
    { method: 'GET', path: '/sub/hello', view: '/sub' },
    { method: 'GET', path: '/sub/mw-boom', view: '/sub', exception: 'EvalError' },
    { method: 'GET', path: '/sub/missing', view: '<unnamed view>' },
    { method: 'GET', path: '/t1/x/9', view: '/t1/x/:id' },
    { method: 'GET', path: '/t2/x/9', view: '/t2/x/:id' },
    { method: 'GET', path: '/regex/42', view: '/regex/(\\d+)' },
    { method: 'GET', path: '/list-b', view: '/list-a,/list-b' },
    { method: 'GET', path: '/api/invalid', view: '/api/invalid' },
    { method: 'GET', path: '/guarded', view: '<unnamed view>', exception: 'EvalError' },
    { method: 'GET', path: '/mw-error/x', view: '/mw-error', exception: 'URIError' },
    { method: 'GET', path: '/mw-next-error/x', view: '/mw-next-error', exception: 'ReferenceError' },
    { method: 'GET', path: '/mounted/anything', view: '/mounted' },
    { method: 'GET', path: '/api/rpc/call', view: '/api/rpc' },
    { method: 'GET', path: '/a/ping/1', view: '/a/ping/:n' },
    { method: 'GET', path: '/b/ping/2', view: '/b/ping/:n' },
    { method: 'GET', path: '/api/missing/thing', view: '<unnamed view>' },
    { method: 'PROPFIND', path: '/api/users/7', view: '<unnamed view>' },
    { method: 'DELETE', path: '/nowhere?secret=hunter2', view: '<unnamed view>' },
    { method: 'GET', path: '/healthz', view: '<unnamed view>', excluded: true },
    { method: 'GET', path: '/internal/status?x=1', view: '<unnamed view>', excluded: true },
    { method: 'GET', path: '/api/hang', view: '/api/hang', hang: true },
  ];
  // express 4 leaves a rejected promise unhandled; express 5 routes it to next(err).
  if (major === 5) steps.push({ method: 'GET', path: '/api/reject', view: '/api/reject', exception: 'RangeError' });
  return steps;
}

for (const [module, major] of [
  ['express', 4],
  ['express5', 5],
] as const) {
  describe(`http: express ${major} (require('${module}'), --require)`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp('http-express.js', {
        env: { EXPRESS_MODULE: module, PROMETHEUS_EXCLUDE_PATHS: EXCLUDE, NODE_ENV: 'production' },
      });
      assert.equal(String(app.ready.version).split('.')[0], String(major));
    });
    after(async () => {
      await app?.stop();
    });

    it('moves every django HTTP family by exactly what the request sequence implies', async () => {
      const steps = expressSteps(major);
      const before = await app.scrape();
      const received = await runSteps(app, Number(app.ready.port), steps);
      const after = await app.scrape();
      assert.equal(received[7]?.status, 500);
      assert.equal(received[2]?.status, 201);
      assert.equal(received[steps.findIndex((s) => s.path === '/api/invalid')]?.status, 400);
      assertDeltas(before, after, expectedDeltas(steps, received));
    });

    it('never puts a raw path or a query string in a label', async () => {
      const e = await app.scrape();
      for (const v of httpLabelValues(e)) {
        assert.ok(!/secret|hunter2|token|\/7|\/8|\/9|g1|42/.test(v), `label value ${v}`);
      }
      assert.ok(!e.text.includes('secret123'));
      assert.ok(!e.text.includes('hunter2'));
    });

    it('counts an exception once even when error handlers pass it on', async () => {
      const before = await app.scrape();
      await send(Number(app.ready.port), { method: 'GET', path: '/api/boom' });
      const after = await app.scrape();
      assert.equal(
        valueOf(after, 'django_http_exceptions_total_by_type_total', { type: 'TypeError' }) -
          valueOf(before, 'django_http_exceptions_total_by_type_total', { type: 'TypeError' }),
        1,
      );
    });
  });
}

describe('http: every labelled family stays within the series limit', () => {
  it('folds label sets past PROMETHEUS_METRICS_CARDINALITY_LIMIT into one overflow series', async () => {
    const app = await startApp('http-express.js', { env: { PROMETHEUS_METRICS_CARDINALITY_LIMIT: '8' } });
    try {
      const port = Number(app.ready.port);
      for (let i = 0; i < 30; i++) await send(port, { method: 'GET', path: `/many-${i}` });
      const e = await app.scrape();
      for (const name of [
        'django_http_requests_latency_seconds_by_view_method_count',
        'django_http_requests_total_by_view_transport_method_total',
        'django_http_responses_total_by_status_view_method_total',
      ]) {
        const samples = samplesOf(e, name);
        assert.equal(samples.length, 8, name);
        assert.equal(samples.filter((s) => s.labels.otel_metric_overflow === 'true').length, 1, name);
        assert.equal(
          samples.reduce((sum, s) => sum + s.value, 0),
          30,
          name,
        );
      }
    } finally {
      await app.stop();
    }
  });
});

for (const module of ['express', 'express5']) {
  describe(`http: ${module} in an ES module app (--import)`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp('http-express.mjs', { preload: 'import', env: { EXPRESS_MODULE: module } });
    });
    after(async () => {
      await app?.stop();
    });

    it('captures the route, the exception and the template', async () => {
      const steps: Step[] = [
        { method: 'GET', path: '/api/users/1?token=secret123', view: '/api/users/:id' },
        { method: 'GET', path: '/api/boom', view: '/api/boom', exception: 'TypeError' },
        { method: 'GET', path: '/api/page', view: '/api/page', template: 'http-page' },
        { method: 'GET', path: '/nope', view: '<unnamed view>' },
      ];
      const before = await app.scrape();
      const received = await runSteps(app, Number(app.ready.port), steps);
      const after = await app.scrape();
      assertDeltas(before, after, expectedDeltas(steps, received));
    });
  });
}
