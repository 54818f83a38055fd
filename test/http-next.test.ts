import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { APPS, freePort, ROOT, startApp, type RunningApp } from './helpers/child';
import { assertDeltas, expectedDeltas, httpLabelValues, runSteps, type Step } from './http-sequence';

const NEXT_APP = path.join(APPS, 'http-next');

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
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build', NEXT_APP], {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: 'ignore',
      timeout: 200000,
    });
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
        assert.deepEqual(
          received.map((r) => r?.status),
          [200, 200, 201, 200, 200, 200, 500, 500, 500, 500, 404, 404, 404],
        );
        assertDeltas(before, after, expectedDeltas(STEPS, received));
      });

      it('never puts a raw path or a query string in a label', async () => {
        const e = await app.scrape();
        for (const v of httpLabelValues(e)) assert.ok(!/secret|hunter2|token|\/7\b|\/8\b|abc|boom\/|nope/.test(v), `label value ${v}`);
      });
    });
  }
});
