/**
 * Sentry's OpenTelemetry-based Node SDK keeps working under autoprom: the same events reach
 * Sentry (here a local receiver) with and without the preload, and autoprom measures the
 * requests exactly. From the packed tarball in a fresh app, as users install it.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { APPS, ROOT, startApp } from './helpers/child';
import { delta } from './helpers/exposition';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const SENTRY = '@sentry/node@11.12.0';

/** What a run sent to Sentry: the item types of every envelope, and the error messages. */
interface Received {
  types: string[];
  errors: string[];
  spans: string[];
}

function receiver(): Promise<{ server: Server; port: number; received: Received }> {
  const received: Received = { types: [], errors: [], spans: [] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      for (const line of body.toString('utf8').split('\n')) {
        try {
          const item = JSON.parse(line) as {
            type?: string;
            exception?: { values?: Array<{ value?: string }> };
            items?: Array<{ name?: string }>;
          };
          if (typeof item.type === 'string') received.types.push(item.type);
          for (const span of item.items ?? []) if (typeof span.name === 'string') received.spans.push(span.name);
          for (const v of item.exception?.values ?? []) if (v.value !== undefined) received.errors.push(v.value);
        } catch {
          // a non-JSON line of the envelope
        }
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, received })),
  );
}

describe("Sentry's OpenTelemetry setup beside autoprom (packed tarball, fresh app)", function () {
  this.timeout(240000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'autoprom-sentry-'));
    const packed = JSON.parse(
      execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }),
    ) as Array<{ filename: string }>;
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'autoprom-sentry-app', private: true, version: '1.0.0' }));
    const install = spawnSync(
      npm,
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        path.join(dir, packed[0].filename),
        SENTRY,
        'express@4',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    assert.equal(install.status, 0, `npm install failed:\n${install.stdout}\n${install.stderr}`);
    copyFileSync(path.join(APPS, 'sentry-app.js'), path.join(dir, 'sentry-app.js'));
  });
  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function run(
    preload: 'require' | 'none',
  ): Promise<{ received: Received; moved?: (name: string, labels: Record<string, string>) => number; stderr: string }> {
    const sink = await receiver();
    const app = await startApp(path.join(dir, 'sentry-app.js'), {
      preload,
      register: 'autoprom/register',
      cwd: dir,
      env: { SENTRY_TEST_DSN: `http://public@127.0.0.1:${sink.port}/1` },
    });
    try {
      const base = `http://127.0.0.1:${Number(app.ready.port)}`;
      const before = preload === 'none' ? undefined : await app.scrape();
      assert.equal((await fetch(`${base}/ok/7`)).status, 200);
      assert.equal((await fetch(`${base}/boom`)).status, 500);
      const after = preload === 'none' ? undefined : await app.scrape();
      await app.stop('SIGTERM'); // Sentry flushes on SIGTERM
      const moved =
        before === undefined || after === undefined
          ? undefined
          : (name: string, labels: Record<string, string>) => delta(before, after, name, labels);
      return { received: sink.received, moved, stderr: app.stderr() };
    } finally {
      await app.stop('SIGKILL');
      sink.server.close();
    }
  }

  it('the same events reach Sentry with and without autoprom, and autoprom counts the requests exactly', async () => {
    const bare = await run('none');
    const measured = await run('require');
    assert.ok(
      bare.received.errors.includes('boom from the sentry test'),
      `Sentry got the error without autoprom: ${JSON.stringify(bare.received)}`,
    );
    assert.deepEqual(measured.received.errors, bare.received.errors);
    // The same spans: the metrics worker's scrapes never reach Sentry.
    assert.deepEqual([...measured.received.spans].sort(), [...bare.received.spans].sort());
    assert.deepEqual(
      measured.received.types.filter((t) => t === 'event'),
      bare.received.types.filter((t) => t === 'event'),
    );
    const moved = measured.moved!;
    const family = 'django_http_responses_total_by_status_view_method_total';
    assert.equal(moved(family, { view: '/ok/:id', status: '200', method: 'GET' }), 1);
    assert.equal(moved(family, { view: '/boom', status: '500', method: 'GET' }), 1);
    assert.equal(moved('django_http_exceptions_total_by_view_total', { view: '/boom' }), 1);
    assert.doesNotMatch(measured.stderr, /autoprom: (could not|internal error)/);
  });
});
