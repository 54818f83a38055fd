import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, startApp, type RunningApp } from './helpers/child';
import { assertDeltas, expectedDeltas, httpLabelValues, runSteps, type Step } from './http-sequence';

function nestSteps(adapter: 'express' | 'fastify'): Step[] {
  const steps: Step[] = [
    { method: 'GET', path: '/api/users/7?token=secret123', view: '/api/users/:id' },
    { method: 'PUT', path: '/api/users/7', view: '/api/users/:id', headers: { 'X-Requested-With': 'XMLHttpRequest' } },
    { method: 'POST', path: '/api/items', view: '/api/items', headers: { 'Content-Type': 'application/json' }, body: '{"name":"pen"}' },
    // RouterModule path under the global prefix.
    { method: 'GET', path: '/api/admin/stats/monday', view: '/api/admin/stats/:day' },
    { method: 'GET', path: '/api/errors/boom', view: '/api/errors/boom', exception: 'TypeError' },
    { method: 'GET', path: '/api/errors/reject', view: '/api/errors/reject', exception: 'RangeError' },
    // An HttpException 5xx is an exception; a 4xx one is an outcome.
    { method: 'GET', path: '/api/errors/server', view: '/api/errors/server', exception: 'InternalServerErrorException' },
    { method: 'GET', path: '/api/errors/forbidden', view: '/api/errors/forbidden' },
    // The app's own exception filter answers 502 (no super.catch): still one exception.
    { method: 'GET', path: '/api/errors/payment', view: '/api/errors/payment', exception: 'PaymentError' },
    { method: 'GET', path: '/api/missing/thing', view: '<unnamed view>' },
    { method: 'DELETE', path: '/nowhere?secret=hunter2', view: '<unnamed view>' },
  ];
  if (adapter === 'express') steps.push({ method: 'GET', path: '/legacy/anything', view: '/legacy' });
  return steps;
}

/** NestJS 11 (CommonJS) lives in its own small package: its core needs @nestjs/common 11 by that name. */
const NEST11 = path.join(ROOT, 'test', 'peers', 'nest11');

function ensureNest11(): string {
  if (!existsSync(path.join(NEST11, 'node_modules', '@nestjs', 'core', 'package.json'))) {
    // Installed on demand from its lock file (about 20 s), like the bench's peers.
    execFileSync('npm', ['ci', '--prefix', NEST11, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'ignore', timeout: 200000 });
  }
  return NEST11;
}

for (const [script, preload, adapter, major] of [
  ['http-nest.js', 'require', 'express', 12],
  ['http-nest.js', 'require', 'fastify', 12],
  ['http-nest.mjs', 'import', 'express', 12],
  ['http-nest.mjs', 'import', 'fastify', 12],
  ['http-nest.js', 'require', 'express', 11],
  ['http-nest.js', 'require', 'fastify', 11],
] as const) {
  describe(`http: NestJS ${major}, ${adapter} adapter (--${preload})`, function () {
    this.timeout(240000);
    let app: RunningApp;
    before(async () => {
      const nestDir = major === 11 ? ensureNest11() : undefined;
      app = await startApp(script, { preload, env: { NEST_ADAPTER: adapter, NEST_DIR: nestDir } });
      if (app.ready.version !== undefined) assert.equal(String(app.ready.version).split('.')[0], String(major));
    });
    after(async () => {
      await app?.stop();
    });

    it('moves every django HTTP family by exactly what the request sequence implies', async () => {
      const steps = nestSteps(adapter);
      const before = await app.scrape();
      const received = await runSteps(app, Number(app.ready.port), steps);
      const after = await app.scrape();
      assert.deepEqual(
        received.slice(0, 11).map((r) => r?.status),
        [200, 200, 201, 200, 500, 500, 500, 403, 502, 404, 404],
      );
      assertDeltas(before, after, expectedDeltas(steps, received));
    });

    it('never puts a raw path or a query string in a label', async () => {
      const e = await app.scrape();
      for (const v of httpLabelValues(e)) assert.ok(!/secret|hunter2|token|\/7\b|monday|anything/.test(v), `label value ${v}`);
    });
  });
}
