/**
 * End to end from what users get: `npm pack` the package, install the tarball into a fresh
 * app with express, pg and ioredis, run it under `--require autoprom/register` and under
 * `--import autoprom/register`, and assert exact deltas across the HTTP, db, model and cache
 * families; promtool accepts the result.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { APPS, ROOT, startApp, type RunningApp } from './helpers/child';
import { delta, type Exposition } from './helpers/exposition';
import { promtoolCheck } from './helpers/promtool';
import { PG_URL, requirePostgres, requireRedis } from './helpers/services';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The fresh apps the tarball is installed into, and how each is started. */
const VARIANTS: ReadonlyArray<{ title: string; mode: 'require' | 'import'; appDir: string; extra: string[] }> = [
  { title: 'node --require autoprom/register', mode: 'require', appDir: 'app', extra: [] },
  { title: 'node --import autoprom/register', mode: 'import', appDir: 'app', extra: [] },
  // npm hoists autoprom's instrumentations beside the app's api 1.9: they must still run on autoprom's api.
  {
    title: 'node --require autoprom/register, @opentelemetry/api 1.9 at the top of the app',
    mode: 'require',
    appDir: 'app-api19',
    extra: ['@opentelemetry/api@1.9.0'],
  },
];
const APP_DIRS = new Set<string>();

describe('end to end: the packed tarball in a fresh app', function () {
  this.timeout(240000);
  let dir: string;
  let tarball: string;

  before(async () => {
    await requirePostgres();
    await requireRedis();
    dir = mkdtempSync(path.join(tmpdir(), 'autoprom-e2e-'));
    const packed = JSON.parse(
      execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(dir, packed[0].filename);
    const files = packed[0].files.map((f) => f.path);
    // The bundle and its entry points, .d.ts, package.json, docs and licences, and import-in-the-middle
    // (bundled as a dependency): no sources, tests, benchmarks or unbundled modules.
    for (const f of files) {
      assert.match(
        f,
        /^(package\.json|README\.md|LICENSE|dist\/THIRD-PARTY-LICENSES\.txt|dist\/register\.mjs|dist\/src\/module-hook-async\.mjs|dist\/.+\.d\.ts|dist\/.+\.js|node_modules\/.+)$/,
        `unexpected file in the package: ${f}`,
      );
    }
    assert.deepEqual(files.filter((f) => f.startsWith('dist/') && f.endsWith('.js')).sort(), [
      'dist/autoprom.js',
      'dist/register.js',
      'dist/src/export/aggregator.js',
      'dist/src/export/worker.js',
      'dist/src/iitm-sync-hooks.js',
      'dist/src/index.js',
      'dist/src/testutils.js',
      'dist/src/worker-thread.js',
    ]);

    for (const variant of VARIANTS) {
      if (APP_DIRS.has(variant.appDir)) continue;
      APP_DIRS.add(variant.appDir);
      const app = path.join(dir, variant.appDir);
      execFileSync('mkdir', ['-p', app]);
      writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'autoprom-e2e-app', private: true, version: '1.0.0' }));
      const install = spawnSync(
        npm,
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          '--loglevel=error',
          tarball,
          'express@4',
          'pg@8',
          'ioredis@5',
          ...variant.extra,
        ],
        { cwd: app, encoding: 'utf8' },
      );
      assert.equal(install.status, 0, `npm install of the tarball failed:\n${install.stdout}\n${install.stderr}`);
      copyFileSync(path.join(APPS, 'e2e-app.js'), path.join(app, 'e2e-app.js'));
      copyFileSync(path.join(APPS, 'e2e-app.mjs'), path.join(app, 'e2e-app.mjs'));
      copyFileSync(path.join(APPS, 'e2e-routes.js'), path.join(app, 'e2e-routes.js'));
    }
  });

  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('installs exactly one copy of @opentelemetry/sdk-metrics', () => {
    const out = spawnSync(npm, ['ls', '--all', '--parseable', '@opentelemetry/sdk-metrics'], {
      cwd: path.join(dir, 'app'),
      encoding: 'utf8',
    });
    const copies = out.stdout.split('\n').filter((l) => l.endsWith(path.join('node_modules', '@opentelemetry', 'sdk-metrics')));
    assert.equal(copies.length, 1, out.stdout);
  });

  it('an app with @opentelemetry/api 1.9 at its top keeps it there, and autoprom runs on the 1.10 in its bundle', () => {
    const app = path.join(dir, 'app-api19');
    assert.equal(JSON.parse(readFileSync(path.join(app, 'node_modules/@opentelemetry/api/package.json'), 'utf8')).version, '1.9.0');
    // The bundle carries its own api (whatever npm installs beside it); its licence list names the version.
    const licences = readFileSync(path.join(app, 'node_modules/autoprom/dist/THIRD-PARTY-LICENSES.txt'), 'utf8');
    assert.match(licences, /^@opentelemetry\/api@1\.10\.0 \(Apache-2\.0\)$/m);
  });

  for (const { title, mode, appDir: variantDir } of VARIANTS) {
    describe(title, () => {
      let app: RunningApp;
      before(async () => {
        const appDir = path.join(dir, variantDir);
        app = await startApp(path.join(appDir, mode === 'require' ? 'e2e-app.js' : 'e2e-app.mjs'), {
          preload: mode,
          register: 'autoprom/register',
          cwd: appDir,
          env: { E2E_PG_URL: PG_URL },
          args: ['--unhandled-rejections=strict'],
        });
      });
      after(async () => {
        await app?.stop('SIGKILL');
      });

      it('moves every area by exactly what the requests did', async () => {
        const base = `http://127.0.0.1:${app.ready.port as number}`;
        const before = await app.scrape();
        const statuses: number[] = [];
        const call = async (method: string, p: string) => {
          const res = await fetch(base + p, { method });
          await res.arrayBuffer();
          statuses.push(res.status);
        };
        await call('POST', '/api/users');
        await call('GET', '/api/users/1?session=s3cr3t');
        await call('GET', '/api/users/1');
        await call('GET', '/api/users/999');
        await call('GET', '/nope/at/all');
        assert.deepEqual(statuses, [201, 200, 200, 404, 404]);
        const after = await app.scrape();
        const d = (name: string, labels: Record<string, string> = {}) => delta(before, after, name, labels);

        assert.equal(d('django_http_requests_before_middlewares_total'), 5);
        assert.equal(d('django_http_responses_before_middlewares_total'), 5);
        assert.equal(d('django_http_requests_latency_including_middlewares_seconds_count'), 5);
        assert.equal(d('django_http_requests_total_by_method_total', { method: 'GET' }), 4);
        assert.equal(d('django_http_requests_total_by_method_total', { method: 'POST' }), 1);
        assert.equal(
          d('django_http_responses_total_by_status_view_method_total', { status: '201', view: '/api/users', method: 'POST' }),
          1,
        );
        assert.equal(
          d('django_http_responses_total_by_status_view_method_total', { status: '200', view: '/api/users/:id', method: 'GET' }),
          2,
        );
        assert.equal(
          d('django_http_responses_total_by_status_view_method_total', { status: '404', view: '/api/users/:id', method: 'GET' }),
          1,
        );
        assert.equal(
          d('django_http_responses_total_by_status_view_method_total', { status: '404', view: '<unnamed view>', method: 'GET' }),
          1,
        );
        assert.equal(d('django_http_requests_latency_seconds_by_view_method_count', { view: '/api/users/:id', method: 'GET' }), 3);

        const db = { alias: 'test', vendor: 'postgresql' };
        assert.equal(d('django_db_execute_total', db), 3);
        assert.equal(d('django_db_query_duration_seconds_count', db), 3);
        assert.equal(d('django_model_inserts_total', { model: 'ap_e2e_users' }), 1);

        const cache = { backend: 'sessions' };
        assert.equal(d('django_cache_get_total', cache), 3);
        assert.equal(d('django_cache_get_hits_total', cache), 1);
        assert.equal(d('django_cache_get_misses_total', cache), 2);
        assert.equal(d('django_cache_get_fail_total', cache), 0);

        assertNoSecrets(after);
        const check = promtoolCheck(after.text);
        assert.deepEqual(check.findings, []);
        assert.ok(check.status === 0 || check.status === 3, `promtool exit ${check.status}`);
        assert.equal(app.stderr(), '');
      });
    });
  }

  it('the tarball carries the README', () => {
    const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    assert.match(list, /package\/README\.md/);
    assert.ok(readFileSync(path.join(ROOT, 'README.md'), 'utf8').length > 0);
  });
});

function assertNoSecrets(e: Exposition): void {
  for (const s of e.samples) {
    for (const v of Object.values(s.labels)) {
      assert.doesNotMatch(v, /s3cr3t|\/api\/users\/1|\/nope|e2e:user/, `label value ${v} on ${s.name}`);
    }
  }
}
