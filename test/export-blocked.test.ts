/**
 * The metrics endpoint answers while the application's event loop is blocked: a real app under
 * the preload blocks its loop for 4 s in a route, and is scraped during the block.
 */
import { strict as assert } from 'node:assert';
import { waitForWorker } from './export-helpers';
import { fetchMetrics, startApp, type RunningApp } from './helpers/child';
import { parseExposition, valueOf } from './helpers/exposition';
import { promtoolCheck } from './helpers/promtool';

const GAUGE = 'autoprom_eventloop_blocked_seconds';
const OPENMETRICS =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

async function get(port: number, pathname: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${pathname}`);
  return res.text();
}

async function scrape(app: RunningApp, accept = 'text/plain'): Promise<{ contentType: string | null; text: string }> {
  const res = await fetchMetrics(`http://127.0.0.1:${app.metricsPort}/metrics`, { headers: { accept } });
  assert.equal(res.status, 200);
  return { contentType: res.headers.get('content-type'), text: await res.text() };
}

/** The exposition without the gauge's sample line (its HELP and TYPE stay). */
function withoutGaugeSample(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith(`${GAUGE} `))
    .join('\n');
}

async function waitForStdout(app: RunningApp, re: RegExp): Promise<void> {
  for (let i = 0; i < 500 && !re.test(app.stdout()); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match(app.stdout(), re);
}

describe('export: the endpoint answers while the application thread is blocked', () => {
  let app: RunningApp | undefined;
  afterEach(async () => {
    await app?.stop('SIGKILL');
    app = undefined;
  });

  it('serves the last collection and the seconds blocked during a 4 s block, valid for promtool, and fresh values after', async () => {
    app = await startApp('export-block.js', {
      env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http' },
      args: ['--unhandled-rejections=strict'],
    });
    const port = app.ready.port as number;
    await waitForWorker(app);
    for (let i = 0; i < 3; i++) assert.equal(await get(port, '/x'), 'done');
    const before = await scrape(app);
    const b = parseExposition(before.text);
    assert.equal(valueOf(b, 'django_http_requests_before_middlewares_total'), 3);
    assert.equal(valueOf(b, GAUGE), 0);

    let blockEnded = false;
    const blocking = get(port, '/block?ms=4000').then((body) => {
      blockEnded = true;
      return body;
    });
    await waitForStdout(app, /^BLOCKING$/m);

    const during = await scrape(app);
    const duringOpenMetrics = await scrape(app, OPENMETRICS);
    assert.equal(blockEnded, false, 'the scrapes were answered only after the block ended');
    assert.equal(during.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    const d = parseExposition(during.text);
    // Exactly the last collection (before the block request arrived), and the gauge says how stale.
    assert.equal(withoutGaugeSample(during.text), withoutGaugeSample(before.text));
    assert.equal(valueOf(d, 'django_http_requests_before_middlewares_total'), 3);
    assert.ok(valueOf(d, GAUGE) > 0, `${GAUGE} ${valueOf(d, GAUGE)} during the block`);
    assert.equal(d.meta.get(GAUGE)?.type, 'gauge');
    const check = promtoolCheck(during.text);
    assert.deepEqual(check.findings, []);
    assert.equal(check.status, 0);

    assert.equal(duringOpenMetrics.contentType, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    assert.ok(duringOpenMetrics.text.endsWith('\n# EOF\n'), 'OpenMetrics ends with # EOF');
    const om = parseExposition(duringOpenMetrics.text.replace(/^# EOF\n$/m, ''));
    assert.equal(valueOf(om, 'django_http_requests_before_middlewares_total'), 3);
    assert.ok(valueOf(om, GAUGE) >= valueOf(d, GAUGE), 'the later scrape has been blocked at least as long');

    assert.equal(await blocking, 'done');
    const after = parseExposition((await scrape(app)).text);
    assert.equal(valueOf(after, GAUGE), 0);
    assert.equal(valueOf(after, 'django_http_requests_before_middlewares_total'), 4);
    assert.equal(valueOf(after, 'django_http_responses_before_middlewares_total'), 4);
    assert.equal(valueOf(after, 'django_http_requests_latency_including_middlewares_seconds_bucket', { le: '2.5' }), 3);
    assert.equal(valueOf(after, 'django_http_requests_latency_including_middlewares_seconds_bucket', { le: '5.0' }), 4);

    assert.equal(app.stdout(), `READY ${JSON.stringify(app.ready)}\nBLOCKING\n`);
    assert.equal(app.stderr(), '');
  });

  it('answers a block that comes before any collection: the gauge alone says how long, valid for promtool', async () => {
    app = await startApp('export-block.js', { env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http', START_BLOCK_MS: '4000' } });
    const port = app.ready.port as number;
    await waitForStdout(app, /^BLOCKING$/m);
    const during = await scrape(app);
    assert.doesNotMatch(app.stdout(), /^UNBLOCKED$/m, 'answered while the loop was blocked');
    const d = parseExposition(during.text);
    // Nothing was ever collected: no family but the gauge, which counts from the scrape's request.
    assert.deepEqual([...d.meta.keys()], [GAUGE]);
    assert.ok(valueOf(d, GAUGE) >= 0.5, `${GAUGE} ${valueOf(d, GAUGE)} during the block`);
    const check = promtoolCheck(during.text);
    assert.deepEqual(check.findings, []);
    assert.equal(check.status, 0);

    await waitForStdout(app, /^UNBLOCKED$/m);
    assert.equal(await get(port, '/x'), 'done');
    const after = parseExposition((await scrape(app)).text);
    assert.equal(valueOf(after, GAUGE), 0);
    assert.equal(valueOf(after, 'django_http_requests_before_middlewares_total'), 1);
    assert.equal(app.stderr(), '');
  });
});
