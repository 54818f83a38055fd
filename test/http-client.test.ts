import * as assert from 'node:assert/strict';
import { startApp, type RunningApp } from './helpers/child';
import { delta, samplesOf } from './helpers/exposition';
import { send } from './http-sequence';

const NAME = 'http_client_request_duration_seconds_count';

for (const { file, preload, title } of [
  { file: 'http-client.js', preload: 'require' as const, title: 'CommonJS app under --require' },
  { file: 'http-client.mjs', preload: 'import' as const, title: 'ES module app under --import, http.get imported by name' },
])
  describe(`http: outgoing requests (http.get and fetch), ${title}`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(file, { preload });
    });
    after(async () => {
      await app?.stop();
    });

    it('observes each outgoing request once by method, host and status', async () => {
      const host = `127.0.0.1:${Number(app.ready.targetPort)}`;
      const before = await app.scrape();
      const r = await send(Number(app.ready.port), { method: 'GET', path: '/run' });
      assert.equal(r.body, 'done');
      const after = await app.scrape();
      // http.get: 2 × 200 and 1 × 404; fetch: GET 200, POST 404.
      assert.equal(delta(before, after, NAME, { method: 'GET', host, status: '200' }), 3);
      assert.equal(delta(before, after, NAME, { method: 'GET', host, status: '404' }), 1);
      assert.equal(delta(before, after, NAME, { method: 'POST', host, status: '404' }), 1);
      // A refused connection, once through fetch and once through http.get.
      assert.equal(delta(before, after, NAME, { method: 'GET', host: `127.0.0.1:${Number(app.ready.refusedPort)}`, status: 'error' }), 2);
      const total = samplesOf(after, NAME).reduce((s, x) => s + x.value, 0) - samplesOf(before, NAME).reduce((s, x) => s + x.value, 0);
      assert.equal(total, 7);
      // Exactly one family of that name, with the catalogue's labels only.
      assert.equal(after.text.split('\n').filter((l) => l.startsWith('# TYPE http_client_request_duration_seconds ')).length, 1);
      for (const s of samplesOf(after, NAME)) assert.deepEqual(Object.keys(s.labels).sort(), ['host', 'method', 'status']);
      // The target server's side is measured too (5 requests reached it), the app's /run once.
      assert.equal(delta(before, after, 'django_http_requests_before_middlewares_total'), 6);
      assert.ok(!after.text.includes('http_server_request_duration'));
    });

    it('bounds its label sets across scrapes, not per collection: past the limit, one overflow series', async () => {
      const bounded = await startApp(file, { preload, env: { PROMETHEUS_METRICS_CARDINALITY_LIMIT: '20' } });
      try {
        let sent = 0;
        for (let round = 0; round < 3; round++) {
          // 40 new hosts each round: 120 distinct label sets in all.
          const r = await send(Number(bounded.ready.port), { method: 'GET', path: `/spread/${round * 40}/40` });
          assert.equal(r.body, 'spread');
          sent += 40;
          const e = await bounded.scrape();
          const series = samplesOf(e, NAME);
          assert.equal(series.length, 20, `round ${round}: label sets`);
          const overflow = series.filter((s) => s.labels.otel_metric_overflow === 'true');
          assert.equal(overflow.length, 1, `round ${round}: one overflow series`);
          assert.equal(
            series.reduce((n, s) => n + s.value, 0),
            sent,
            `round ${round}: every request counted`,
          );
        }
      } finally {
        await bounded.stop();
      }
    });
  });
