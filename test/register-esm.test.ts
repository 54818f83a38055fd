import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { APPS, startApp, type RunningApp } from './helpers/child';

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
});
