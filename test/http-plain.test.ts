import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startApp, type RunningApp } from './helpers/child';
import { delta, samplesOf, valueOf, type Exposition } from './helpers/exposition';
import { assertDeltas, expectedDeltas, httpLabelValues, runSteps, scrapeUntil, send, type Step } from './http-sequence';

const HTTP_FAMILIES = [
  'django_http_requests_latency_seconds_by_view_method_count',
  'django_http_requests_total_by_method_total',
  'django_http_requests_total_by_transport_total',
  'django_http_requests_total_by_view_transport_method_total',
  'django_http_responses_total_by_status_total',
  'django_http_responses_total_by_status_view_method_total',
  'django_http_responses_total_by_charset_total',
  'django_http_exceptions_total_by_view_total',
];

function seriesCounts(e: Exposition): Record<string, number> {
  return Object.fromEntries(HTTP_FAMILIES.map((f) => [f, samplesOf(e, f).length]));
}

async function memory(port: number): Promise<{ rss: number; heapUsed: number }> {
  return JSON.parse((await send(port, { method: 'GET', path: '/__memory' })).body) as { rss: number; heapUsed: number };
}

describe('http: plain node http and https servers', () => {
  let app: RunningApp;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'autoprom-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    app = await startApp('http-plain.js', {
      args: ['--expose-gc'],
      env: { TLS_KEY: path.join(dir, 'key.pem'), TLS_CERT: path.join(dir, 'cert.pem'), PROMETHEUS_EXCLUDE_PATHS: '/healthz,/internal/*' },
    });
  });
  after(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('measures a plain server as <unnamed view>, with methods, ajax, bodies and exclusions', async () => {
    const steps: Step[] = [
      { method: 'GET', path: '/anything?password=swordfish', view: '<unnamed view>' },
      { method: 'POST', path: '/upload', view: '<unnamed view>', body: 'x'.repeat(3000) },
      { method: 'PATCH', path: '/p', view: '<unnamed view>', headers: { 'X-Requested-With': 'XMLHttpRequest' } },
      { method: 'OPTIONS', path: '/o', view: '<unnamed view>' },
      { method: 'MKCOL', path: '/dav', view: '<unnamed view>' },
      { method: 'GET', path: '/healthz', view: '<unnamed view>', excluded: true },
      { method: 'GET', path: '/internal/ready', view: '<unnamed view>', excluded: true },
      { method: 'GET', path: '/internal', view: '<unnamed view>' },
      { method: 'GET', path: '/written', view: '<unnamed view>' },
      { method: 'GET', path: '/written-array', view: '<unnamed view>' },
      { method: 'GET', path: '/hang', view: '<unnamed view>', hang: true },
    ];
    const before = await app.scrape();
    const received = await runSteps(app, Number(app.ready.port), steps);
    const after = await app.scrape();
    assertDeltas(before, after, expectedDeltas(steps, received));
    // Headers given straight to writeHead count too.
    assert.equal(delta(before, after, 'django_http_responses_total_by_charset_total', { charset: 'windows-1252' }), 1);
    assert.equal(delta(before, after, 'django_http_responses_total_by_charset_total', { charset: 'us-ascii' }), 1);
    for (const v of httpLabelValues(after)) assert.ok(!v.includes('swordfish') && !v.includes('/anything'), `label value ${v}`);
  });

  it('counts https requests under transport https', async () => {
    const before = await app.scrape();
    await new Promise<void>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: Number(app.ready.httpsPort), path: '/secure', rejectUnauthorized: false, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
      req.end();
    });
    const after = await app.scrape();
    assert.equal(delta(before, after, 'django_http_requests_total_by_transport_total', { transport: 'https' }), 1);
    assert.equal(delta(before, after, 'django_http_requests_total_by_transport_total', { transport: 'http' }), 0);
    assert.equal(
      delta(before, after, 'django_http_requests_total_by_view_transport_method_total', {
        view: '<unnamed view>',
        transport: 'https',
        method: 'GET',
      }),
      1,
    );
    assert.equal(delta(before, after, 'django_http_responses_total_by_charset_total', { charset: 'utf-8' }), 1);
  });

  it('counts a response cut off mid-body as unknown latency, never in the latency histograms', async () => {
    const port = Number(app.ready.port);
    const before = await app.scrape();
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /slow-partial HTTP/1.1\r\nHost: x\r\n\r\n'));
      socket.once('data', () => {
        socket.destroy();
        resolve();
      });
      socket.on('error', reject);
    });
    const after = await scrapeUntil(
      app,
      (e) => delta(before, e, 'django_http_requests_unknown_latency_total') === 1,
      'the cut-off response',
    );
    assert.equal(delta(before, after, 'django_http_requests_unknown_latency_including_middlewares_total'), 1);
    assert.equal(delta(before, after, 'django_http_requests_latency_including_middlewares_seconds_count'), 0);
    assert.equal(delta(before, after, 'django_http_responses_before_middlewares_total'), 0);
    assert.equal(delta(before, after, 'django_http_requests_before_middlewares_total'), 1);
  });

  it('handles keep-alive and pipelined requests on one connection', async () => {
    const port = Number(app.ready.port);
    const before = await app.scrape();
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        );
      });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (text += d));
      socket.on('end', () => {
        assert.equal(text.split('HTTP/1.1 200').length - 1, 3);
        resolve();
      });
      socket.on('error', reject);
    });
    const after = await app.scrape();
    assert.equal(delta(before, after, 'django_http_requests_before_middlewares_total'), 3);
    assert.equal(delta(before, after, 'django_http_responses_before_middlewares_total'), 3);
    assert.equal(delta(before, after, 'django_http_requests_unknown_latency_total'), 0);
  });

  it('leaves a malformed Content-Length to Node (400 before any handler, never a 500), nothing moves', async () => {
    const before = await app.scrape();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(app.ready.port), '127.0.0.1', () =>
        socket.write('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'),
      );
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (text += d));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
    const after = await app.scrape();
    assert.equal(delta(before, after, 'django_http_requests_before_middlewares_total'), 0);
    assert.equal(delta(before, after, 'django_http_responses_total_by_status_total', { status: '500' }), 0);
  });

  it('never measures scrapes of its own metrics endpoint', async () => {
    const before = await app.scrape();
    for (let i = 0; i < 5; i++) await app.scrapeText();
    await app.scrapeText('/not-metrics').catch(() => undefined);
    const after = await app.scrape();
    assert.equal(delta(before, after, 'django_http_requests_before_middlewares_total'), 0);
  });

  it('keeps series flat and memory bounded under 10,000 distinct URLs', async function () {
    this.timeout(120000);
    const port = Number(app.ready.port);
    // Warm-up: every label set the flood can produce exists once.
    await send(port, { method: 'GET', path: '/warm?x=0' });
    const before = await app.scrape();
    const memBefore = await memory(port);
    const counts = seriesCounts(before);
    for (let i = 0; i < 10000; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => send(port, { method: 'GET', path: `/users/${i + j}/orders?session=s${i + j}` })),
      );
    }
    const after = await app.scrape();
    const memAfter = await memory(port);
    assert.deepEqual(seriesCounts(after), counts);
    assert.equal(delta(before, after, 'django_http_requests_before_middlewares_total'), 10000 + 1); // + the /__memory request
    for (const v of httpLabelValues(after)) assert.ok(!/\/users\/\d|session/.test(v), `label value ${v}`);
    process.stdout.write(
      `      memory after 10,000 distinct URLs: rss ${((memAfter.rss - memBefore.rss) / 1024).toFixed(0)} KiB, heapUsed ${((memAfter.heapUsed - memBefore.heapUsed) / 1024).toFixed(0)} KiB (after gc), series ${JSON.stringify(Object.values(counts))}\n`,
    );
  });
});

describe('http: PROMETHEUS_METRIC_NAMESPACE and disabled instrumentations', () => {
  it('prefixes every django HTTP family with the namespace', async () => {
    const app = await startApp('http-plain.js', { env: { PROMETHEUS_METRIC_NAMESPACE: 'shop' } });
    try {
      const before = await app.scrape();
      await send(Number(app.ready.port), { method: 'GET', path: '/' });
      const after = await app.scrape();
      assert.equal(delta(before, after, 'shop_django_http_requests_total_by_method_total', { method: 'GET' }), 1);
      assert.equal(valueOf(after, 'django_http_requests_total_by_method_total', { method: 'GET' }), 0);
    } finally {
      await app.stop();
    }
  });

  it('measures nothing when http is disabled', async () => {
    const app = await startApp('http-plain.js', { env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http' } });
    try {
      await send(Number(app.ready.port), { method: 'GET', path: '/' });
      const after = await app.scrape();
      assert.equal(samplesOf(after, 'django_http_requests_before_middlewares_total').length, 0);
    } finally {
      await app.stop();
    }
  });
});
