import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { APPS, startApp, type RunningApp } from './helpers/child';
import { delta } from './helpers/exposition';
import { requirePostgres } from './helpers/services';
import { syncModuleHooksWork } from '../src/module-hook';

describe('register.mjs: the ES module preload', () => {
  const running: RunningApp[] = [];
  afterEach(async () => {
    while (running.length > 0) await running.pop()!.stop();
  });

  const plainUrl = pathToFileURL(path.join(APPS, 'http-page.tpl')).href;

  it('OTEL_SDK_DISABLED=true installs no module hook: the app resolves its imports exactly as without autoprom', async () => {
    const bare = await startApp('esm-resolve.mjs', { preload: 'none' });
    running.push(bare);
    assert.equal(bare.ready.resolved, plainUrl);
    const disabled = await startApp('esm-resolve.mjs', { preload: 'import', env: { OTEL_SDK_DISABLED: 'true' } });
    running.push(disabled);
    assert.equal(disabled.ready.resolved, plainUrl);
    assert.equal(disabled.stderr(), '');
  });

  it("enabled, the hook leaves the application's own modules alone, and the same app is measured", async () => {
    const app = await startApp('esm-resolve.mjs', { preload: 'import' });
    running.push(app);
    assert.equal(app.ready.resolved, plainUrl);
    await fetch(`http://127.0.0.1:${app.ready.port as number}/`);
    const e = await app.scrape();
    assert.equal(e.meta.has('django_http_requests_before_middlewares_total'), true);
    assert.equal(app.stderr(), '');
  });

  describe('import.meta.resolve() of a module autoprom wraps (pg, postgres.js, express)', () => {
    let reference: Record<string, unknown>;
    before(async () => {
      await requirePostgres();
      const bare = await startApp('esm-resolve-instrumented.mjs', { preload: 'none' });
      reference = bare.ready;
      await bare.stop();
    });

    for (const preload of ['import', 'require', 'both'] as const)
      it(`--${preload === 'both' ? 'require and --import' : preload}: the URL it gives without autoprom (on Node 22.15 … 22.22.2 the wrapper's), and importing that URL gives the measured module`, async () => {
        const app = await startApp('esm-resolve-instrumented.mjs', { preload });
        running.push(app);
        // Where the module hook runs in its own thread (Node 22.15 … 22.22.2), it cannot tell
        // import.meta.resolve() from an import: the URL is the wrapper's, as the README says.
        const expected = (urls: unknown): unknown =>
          syncModuleHooksWork(process.version)
            ? urls
            : Object.fromEntries(Object.entries(urls as Record<string, string>).map(([k, u]) => [k, `${u}?iitm=true`]));
        assert.deepEqual(app.ready.resolved, expected(reference.resolved));
        assert.deepEqual(app.ready.again, expected(reference.again));
        assert.deepEqual(reference.same, { pg: true, postgres: true });
        assert.deepEqual(app.ready.same, { pg: true, postgres: true }, 'import(import.meta.resolve(name)) is import(name)');
        const db = { alias: 'test', vendor: 'postgresql' };
        for (const route of ['pg', 'postgres']) {
          const before = await app.scrape();
          const reply = await fetch(`http://127.0.0.1:${app.ready.port as number}/${route}`);
          assert.equal(await reply.text(), '[{"one":1}]');
          const after = await app.scrape();
          assert.equal(
            delta(before, after, 'django_db_execute_total', db),
            1,
            `one statement through ${route} imported by its resolved URL`,
          );
        }
        assert.equal(app.stderr(), '');
      });
  });
});
