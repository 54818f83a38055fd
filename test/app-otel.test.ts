/**
 * The application's own OpenTelemetry: with only the API, its instruments are on autoprom's
 * endpoint (unit `s` histograms with the latency buckets); with its own SDK and exporter, the
 * app keeps its metrics on its own exporter, and autoprom still measures.
 */
import { strict as assert } from 'node:assert';
import { freePort, startApp } from './helpers/child';
import { delta, valueOf } from './helpers/exposition';
import { parseExposition } from './helpers/exposition';

async function work(port: number): Promise<void> {
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/work`)).text(), 'worked');
}

describe("the app's own OpenTelemetry instruments", () => {
  it('only the API: its instruments on autoprom\'s endpoint; a unit "s" histogram gets PROMETHEUS_LATENCY_BUCKETS', async () => {
    const app = await startApp('app-otel.js', { env: { APP_OTEL: 'api' } });
    try {
      await work(Number(app.ready.port));
      const e = await app.scrape();
      assert.equal(valueOf(e, 'shop_jobs_total', { kind: 'email' }), 3);
      assert.equal(valueOf(e, 'shop_jobs_total', { kind: 'boot' }), 1);
      // 0.003 s and 1.5 s: in le="0.01" and le="2.5" of the latency buckets (OpenTelemetry's defaults put both in le="5").
      assert.equal(valueOf(e, 'shop_checkout_duration_bucket', { le: '0.01' }), 1);
      assert.equal(valueOf(e, 'shop_checkout_duration_bucket', { le: '1' }), 1);
      assert.equal(valueOf(e, 'shop_checkout_duration_bucket', { le: '2.5' }), 2);
      assert.equal(valueOf(e, 'shop_checkout_duration_count'), 2);
      // A histogram without a unit keeps OpenTelemetry's default buckets.
      assert.equal(valueOf(e, 'shop_basket_size_bucket', { le: '5' }), 1);
      assert.equal(app.stderr(), '');
    } finally {
      await app.stop();
    }
  });

  it('its own SDK and exporter: the app keeps its metrics there, autoprom still measures, one line says so', async () => {
    const exporterPort = await freePort();
    const app = await startApp('app-otel.js', { env: { APP_OTEL: 'sdk', APP_EXPORTER_PORT: String(exporterPort) } });
    try {
      const before = await app.scrape();
      await work(Number(app.ready.port));
      const after = await app.scrape();
      // The app's exporter shows the app's metrics, as without autoprom.
      let own = '';
      for (let i = 0; i < 30 && !own.includes('shop_jobs'); i++) {
        own = await fetch(`http://127.0.0.1:${exporterPort}/metrics`).then(
          (r) => r.text(),
          () => '',
        );
        if (!own.includes('shop_jobs')) await new Promise((r) => setTimeout(r, 100));
      }
      const theirs = parseExposition(own);
      assert.equal(valueOf(theirs, 'shop_jobs_total', { kind: 'email', otel_scope_name: 'shop' }), 3);
      assert.equal(valueOf(theirs, 'shop_checkout_duration_count', { otel_scope_name: 'shop' }), 2);
      // autoprom's endpoint: its own families, exactly one request more; not the app's instruments.
      assert.equal(delta(before, after, 'django_http_requests_before_middlewares_total'), 1);
      assert.ok(!after.text.includes('shop_jobs'));
      assert.equal(
        app.stderr(),
        "autoprom: the application registered its own OpenTelemetry MeterProvider: its own instruments go to it (and its exporter), not to autoprom's endpoint; autoprom's metrics are unaffected\n",
      );
      assert.doesNotMatch(app.stderr(), /duplicate registration/);
    } finally {
      await app.stop();
    }
  });
});
