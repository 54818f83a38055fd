import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, startApp, type RunningApp } from './helpers/child';
import { assertDeltas, expectedDeltas, httpLabelValues, ROUTER_APP_STEPS, runSteps, type Step } from './http-sequence';

const STEPS: Step[] = ROUTER_APP_STEPS;

/**
 * restify 11 lives in its own small package, under its own name (autoprom hooks restify's files
 * by the package name), with the Node 22 it runs on: it loads spdy, which reads
 * `process.binding('http_parser')`, gone since Node 23.
 */
const RESTIFY11 = path.join(ROOT, 'test', 'peers', 'restify11');
const RESTIFY11_NODE = path.join(RESTIFY11, 'node_modules', 'node', 'bin', 'node');

function ensureRestify11(): string {
  if (!existsSync(path.join(RESTIFY11, 'node_modules', 'restify', 'package.json')) || !existsSync(RESTIFY11_NODE)) {
    // Installed on demand from its lock file (about 10 s), like the other previous majors.
    execFileSync('npm', ['ci', '--prefix', RESTIFY11, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'ignore', timeout: 200000 });
  }
  return RESTIFY11;
}

for (const [script, preload, major] of [
  ['http-restify.js', 'require', 12],
  ['http-restify.mjs', 'import', 12],
  ['http-restify.js', 'require', 11],
  ['http-restify.mjs', 'import', 11],
] as const) {
  describe(`http: restify ${major} (--${preload}${major === 11 ? ', Node 22' : ''})`, function () {
    this.timeout(240000);
    let app: RunningApp;
    before(async () => {
      const peer = major === 11 ? ensureRestify11() : undefined;
      app = await startApp(script, {
        preload,
        env: { RESTIFY_PEER: peer, PROMETHEUS_EXCLUDE_PATHS: '/healthz' },
        node: peer === undefined ? undefined : RESTIFY11_NODE,
      });
      assert.equal(String(app.ready.version).split('.')[0], String(major));
    });
    after(async () => {
      await app?.stop();
    });

    it('moves every django HTTP family by exactly what the request sequence implies', async () => {
      const before = await app.scrape();
      const received = await runSteps(app, Number(app.ready.port), STEPS);
      const after = await app.scrape();
      assert.equal(received[6]?.status, 500);
      assert.equal(received[1]?.status, 201);
      assert.equal(received[13]?.status, 403);
      assertDeltas(before, after, expectedDeltas(STEPS, received));
    });

    it('never puts a raw path or a query string in a label', async () => {
      const e = await app.scrape();
      for (const v of httpLabelValues(e)) assert.ok(!/secret|hunter2|token|\/7\b/.test(v), `label value ${v}`);
    });
  });
}
