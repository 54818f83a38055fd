/**
 * The application's own prom-client and @prometheus-io/client metrics appear on autoprom's
 * endpoint with no code: every family exactly as the client writes it, each name once (the
 * process_* and nodejs_* of collectDefaultMetrics are autoprom's), promtool clean.
 */
import { strict as assert } from 'node:assert';
import { startApp, type RunningApp } from './helpers/child';
import { promtoolCheck } from './helpers/promtool';

/** The text block of each family (`# HELP` to the last sample) in an exposition. */
function blocks(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  for (const line of text.split('\n')) {
    const help = /^# HELP (\S+) /.exec(line);
    if (help !== null) name = help[1];
    if (line === '' || name === undefined) continue;
    out.set(name, `${out.get(name) ?? ''}${line}\n`);
  }
  return out;
}

const APP_FAMILIES = ['shop_orders_total', 'shop_queue_depth', 'shop_checkout_seconds', 'shop_basket_items', 'shop_legacy_events'];

for (const [preload, script] of [
  ['require', 'app-prom-client.js'],
  ['import', 'app-prom-client.mjs'],
] as const) {
  describe(`the app's own prom-client metrics (${script} under --${preload})`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(script, { preload });
    });
    after(async () => app?.stop());

    it("every family of the app's registries, byte for byte as the client writes it; each name once", async () => {
      await fetch(`http://127.0.0.1:${Number(app.ready.port)}/work`).then((r) => r.text());
      const own = (await (await fetch(`http://127.0.0.1:${Number(app.ready.port)}/own`)).json()) as {
        promClient: string;
        ioClient: string;
      };
      const text = await app.scrapeText();
      const exposed = blocks(text);
      const theirs = new Map([...blocks(own.promClient), ...blocks(own.ioClient)]);
      for (const name of [...APP_FAMILIES, 'shop_io_client_total']) {
        assert.equal(exposed.get(name), theirs.get(name), `family ${name}`);
      }
      assert.match(exposed.get('shop_orders_total') ?? '', /^shop_orders_total\{kind="web \\"quoted\\" \\\\ back"\} 1$/m);
      // collectDefaultMetrics gives process_* and nodejs_* too: written once, autoprom's.
      assert.ok(theirs.has('process_cpu_seconds_total') && theirs.has('nodejs_eventloop_lag_seconds'));
      const helpLines = text.split('\n').filter((l) => l.startsWith('# HELP '));
      const names = helpLines.map((l) => l.split(' ')[2]);
      assert.deepEqual(
        names.filter((n, i) => names.indexOf(n) !== i),
        [],
        'no family twice',
      );
      assert.equal(text.split('\n').filter((l) => l.startsWith('# TYPE process_cpu_seconds_total ')).length, 1);
      const check = promtoolCheck(text);
      assert.ok(check.status === 0 || check.status === 3, `promtool exit ${check.status}`);
      // prom-client's own _total gauges are the only lint findings accepted; the app's counter without _total is its own choice.
      assert.deepEqual(
        check.findings.filter((f) => !f.includes('shop_legacy_events')),
        [],
      );
      assert.equal(app.stderr(), '');
    });

    it('OTEL_NODE_DISABLED_INSTRUMENTATIONS=prom-client leaves the app registries off the endpoint', async () => {
      const off = await startApp(script, { preload, env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'prom-client' } });
      try {
        const text = await off.scrapeText();
        assert.ok(!text.includes('shop_'), 'no app family');
        assert.match(text, /^# TYPE django_http_requests_before_middlewares_total counter$/m);
      } finally {
        await off.stop();
      }
    });
  });
}
