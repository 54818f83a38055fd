/**
 * autoprom/testutils as users run it: their own mocha and node:test suites under the preload assert
 * exact deltas (and fail the run when a delta is wrong); snapshots of an app in another process
 * read its endpoint.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { APPS, freePort, REGISTER_CJS, REGISTER_ESM, ROOT, startApp } from './helpers/child';
import { assertMetricDelta, delta, parseExposition, snapshot, MetricsSnapshot } from '../src/testutils';

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const MOCHA = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
const MOCHA_SPEC = path.join(APPS, 'ops-testutils-mocha.spec.js');
const NODE_TEST = path.join(APPS, 'ops-testutils-node.test.mjs');

describe("testutils: exact metric deltas in users' own tests", function () {
  this.timeout(60000);

  it('a mocha suite under --require autoprom/register passes with exact deltas', async () => {
    const { code, out } = await run(['--require', REGISTER_CJS, MOCHA, '--no-config', MOCHA_SPEC], {
      PROMETHEUS_METRICS_EXPORT_PORT: String(await freePort()),
    });
    assert.equal(code, 0, out);
    assert.match(out, /2 passing/);
    assert.doesNotMatch(out, /failing/);
  });

  it('a mocha suite fails when a delta is wrong, saying what the series moved by', async () => {
    const { code, out } = await run(['--require', REGISTER_CJS, MOCHA, '--no-config', MOCHA_SPEC], {
      PROMETHEUS_METRICS_EXPORT_PORT: String(await freePort()),
      OPS_TESTUTILS_WRONG: '1',
    });
    assert.equal(code, 1, out);
    assert.match(out, /2 passing/);
    assert.match(out, /1 failing/);
    assert.match(out, /django_http_requests_total_by_method_total\{method="GET"\} moved by 1, expected 5/);
  });

  it('a node:test suite (ES module) under node --import autoprom/register --test passes with exact deltas', async () => {
    const { code, out } = await run(['--import', `file://${REGISTER_ESM}`, '--test', '--test-reporter=tap', NODE_TEST], {
      PROMETHEUS_METRICS_EXPORT_PORT: String(await freePort()),
    });
    assert.equal(code, 0, out);
    assert.match(out, /^# pass 2$/m);
    assert.match(out, /^# fail 0$/m);
  });

  it('a node:test suite fails when a delta is wrong, saying what the series moved by', async () => {
    const { code, out } = await run(['--import', `file://${REGISTER_ESM}`, '--test', '--test-reporter=tap', NODE_TEST], {
      PROMETHEUS_METRICS_EXPORT_PORT: String(await freePort()),
      OPS_TESTUTILS_WRONG: '1',
    });
    assert.equal(code, 1, out);
    assert.match(out, /^# pass 2$/m);
    assert.match(out, /^# fail 1$/m);
    assert.match(out, /django_http_responses_total_by_status_total\{status="200"\} moved by 1, expected 5/);
  });

  it('snapshots an app in another process through its metrics port', async () => {
    const app = await startApp('pipeline-plain.js');
    try {
      const before = await snapshot(app.metricsPort);
      for (let i = 0; i < 4; i++) await (await fetch(`http://127.0.0.1:${app.ready.port as number}/item/${i}`)).text();
      assert.equal(await before.delta('django_http_requests_before_middlewares_total'), 4);
      await assertMetricDelta(before, 4, 'django_http_responses_total_by_status_total', { status: '200' });
      await assertMetricDelta(before, 0, 'django_http_responses_total_by_status_total', { status: '500' });
    } finally {
      await app.stop();
    }
  });

  it('says how to fix it when autoprom is not running in this process', async () => {
    await assert.rejects(snapshot(), /autoprom is not running in this process; run the tests with --require autoprom\/register/);
  });
});

describe('testutils: parsing and arithmetic (unit)', () => {
  const text = [
    '# HELP django_http_responses_total_by_status_total Count of responses by status.',
    '# TYPE django_http_responses_total_by_status_total counter',
    'django_http_responses_total_by_status_total{status="200"} 7',
    'django_http_responses_total_by_status_total{status="404"} 2',
    'django_http_requests_latency_seconds_by_view_method_bucket{view="/a",method="GET",le="+Inf"} 3',
    'django_http_requests_latency_seconds_by_view_method_bucket{view="/b \\"q\\"",method="POST",le="+Inf"} 1',
    'process_start_time_seconds 1796168328',
    'nodejs_eventloop_lag_seconds 1.5e-3 1796168328000',
    'odd_gauge +Inf',
    '',
  ].join('\n');
  const snap = new MetricsSnapshot(parseExposition(text));

  it('parseExposition reads names, labels (escapes included), values and skips comments', () => {
    assert.equal(snap.samples.length, 7);
    assert.deepEqual(snap.samplesOf('django_http_requests_latency_seconds_by_view_method_bucket')[1].labels, {
      view: '/b "q"',
      method: 'POST',
      le: '+Inf',
    });
    assert.equal(snap.value('odd_gauge'), Infinity);
  });

  it('value sums the series carrying every given label; 0 when none does', () => {
    const table: Array<[name: string, labels: Record<string, string>, want: number]> = [
      ['django_http_responses_total_by_status_total', {}, 9],
      ['django_http_responses_total_by_status_total', { status: '404' }, 2],
      ['django_http_responses_total_by_status_total', { status: '500' }, 0],
      ['django_http_requests_latency_seconds_by_view_method_bucket', { le: '+Inf' }, 4],
      ['django_http_requests_latency_seconds_by_view_method_bucket', { view: '/a', method: 'POST' }, 0],
      ['nodejs_eventloop_lag_seconds', {}, 0.0015],
      ['no_such_metric', {}, 0],
    ];
    for (const [name, labels, want] of table) assert.equal(snap.value(name, labels), want, `${name} ${JSON.stringify(labels)}`);
  });

  it('delta is after minus before, a series new in after counting from 0', () => {
    const after = new MetricsSnapshot(
      parseExposition(
        `${text.replace('{status="200"} 7', '{status="200"} 10')}django_http_responses_total_by_status_total{status="500"} 1\n`,
      ),
    );
    assert.equal(delta(snap, after, 'django_http_responses_total_by_status_total', { status: '500' }), 1);
    assert.equal(delta(snap, after, 'django_http_responses_total_by_status_total', { status: '200' }), 3);
    assert.equal(delta(snap, after, 'process_start_time_seconds'), 0);
  });
});
