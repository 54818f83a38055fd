import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { APPS, freePort, ROOT, startApp, type RunningApp } from './helpers/child';
import { assertDeltas, expectedDeltas, httpLabelValues, runSteps, type Step } from './http-sequence';

const NEXT_APP = path.join(APPS, 'http-next');
/** Next.js 15 lives in its own small package: a Next build resolves `next` by that name. */
const NEXT15 = path.join(ROOT, 'test', 'peers', 'next15');
const NEXT15_APP = path.join(NEXT15, 'app');

/** `next build` of `dir` with the `next` installed at `nextRoot`: offline, no telemetry, bounded. */
function nextBuild(nextRoot: string, dir: string): void {
  execFileSync(process.execPath, [path.join(nextRoot, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build', dir], {
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: 'ignore',
    timeout: 200000,
  });
}

function assertSequence(received: readonly ({ status: number } | undefined)[]): void {
  assert.deepEqual(
    received.map((r) => r?.status),
    [200, 200, 201, 200, 200, 200, 500, 500, 500, 500, 404, 404, 404],
  );
}

/** App router (route handlers, a page) and pages router (API route, getServerSideProps page). */
const STEPS: Step[] = [
  { method: 'GET', path: '/api/users/7?token=secret123', view: '/api/users/[id]' },
  { method: 'PUT', path: '/api/users/8', view: '/api/users/[id]', headers: { 'X-Requested-With': 'XMLHttpRequest' } },
  { method: 'POST', path: '/api/items', view: '/api/items', headers: { 'Content-Type': 'application/json' }, body: '{"name":"pen"}' },
  { method: 'GET', path: '/users/3', view: '/users/[id]' },
  { method: 'GET', path: '/legacy/abc', view: '/legacy/[slug]' },
  { method: 'GET', path: '/api/legacy/5', view: '/api/legacy/[id]' },
  { method: 'GET', path: '/api/boom', view: '/api/boom', exception: 'TypeError' },
  { method: 'GET', path: '/api/legacy/boom', view: '/api/legacy/[id]', exception: 'RangeError' },
  { method: 'GET', path: '/legacy/boom', view: '/legacy/[slug]', exception: 'SyntaxError' },
  { method: 'GET', path: '/users/boom', view: '/users/[id]', exception: 'EvalError' },
  // notFound() in a route handler: a deliberate 404, not an exception.
  { method: 'GET', path: '/api/missing-item', view: '/api/missing-item' },
  { method: 'GET', path: '/nope/9', view: '<unnamed view>' },
  { method: 'DELETE', path: '/nowhere?secret=hunter2', view: '<unnamed view>' },
];

describe('http: Next.js', function () {
  this.timeout(240000);

  before(() => {
    // Offline and bounded: a tiny app, no telemetry; the SWC binary is the one npm installed.
    nextBuild(ROOT, NEXT_APP);
  });

  for (const [script, preload, what] of [
    ['http-next-start.js', 'require', '`next start`'],
    ['http-next-server.js', 'require', 'a custom server'],
    ['http-next-server.mjs', 'import', 'a custom server as an ES module'],
  ] as const) {
    describe(`${what} (--${preload})`, () => {
      let app: RunningApp;
      before(async () => {
        app = await startApp(script, { preload, env: { NEXT_PORT: String(await freePort()), NEXT_TELEMETRY_DISABLED: '1' } });
      });
      after(async () => {
        await app?.stop();
      });

      it('moves every django HTTP family by exactly what the request sequence implies', async () => {
        // The readiness probe of `next start` is one 404 before the sequence; the deltas start after it.
        const before = await app.scrape();
        const received = await runSteps(app, Number(app.ready.port), STEPS);
        const after = await app.scrape();
        assertSequence(received);
        assertDeltas(before, after, expectedDeltas(STEPS, received));
      });

      it('never puts a raw path or a query string in a label', async () => {
        const e = await app.scrape();
        for (const v of httpLabelValues(e)) assert.ok(!/secret|hunter2|token|\/7\b|\/8\b|abc|boom\/|nope/.test(v), `label value ${v}`);
      });
    });
  }
});

describe('http: Next.js 15, the previous major (`next start`, --require)', function () {
  this.timeout(300000);
  let app: RunningApp;

  before(async () => {
    if (!existsSync(path.join(NEXT15, 'node_modules', 'next', 'package.json'))) {
      // Installed on demand from its lock file (about 20 s), like the bench's peers.
      execFileSync('npm', ['ci', '--prefix', NEXT15, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'ignore', timeout: 200000 });
    }
    rmSync(NEXT15_APP, { recursive: true, force: true });
    cpSync(NEXT_APP, NEXT15_APP, { recursive: true, filter: (src) => !src.includes(`${path.sep}.next`) });
    // Next 15's build also lints, and would find the repository's own ESLint config (16 dropped that step).
    writeFileSync(
      path.join(NEXT15_APP, 'next.config.js'),
      'module.exports = { poweredByHeader: false, eslint: { ignoreDuringBuilds: true } };\n',
    );
    nextBuild(NEXT15, NEXT15_APP);
    app = await startApp('http-next-start.js', {
      env: { NEXT_APP_DIR: NEXT15_APP, NEXT_PORT: String(await freePort()), NEXT_TELEMETRY_DISABLED: '1' },
    });
    assert.equal(String(app.ready.version).split('.')[0], '15');
  });
  after(async () => {
    await app?.stop();
  });

  it('moves every django HTTP family by exactly what the request sequence implies', async () => {
    const before = await app.scrape();
    const received = await runSteps(app, Number(app.ready.port), STEPS);
    const after = await app.scrape();
    assertSequence(received);
    assertDeltas(before, after, expectedDeltas(STEPS, received));
  });
});
