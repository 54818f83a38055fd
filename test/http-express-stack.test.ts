import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ROOT, startApp, type RunningApp } from './helpers/child';
import { valueOf } from './helpers/exposition';
import { send } from './http-sequence';

/**
 * In development mode express answers an error with its stack. autoprom puts nothing of its
 * own between express and a route's handlers, so that stack is the one the application has
 * without autoprom, frame for frame (100 of them, not just the default 10). The cases that
 * keep one frame of autoprom's are README's "What does not work yet": a plain handler or a
 * sub-application mounted with a path, and an error created inside an error handler.
 */
const CASES = [
  { path: '/boom', view: '/boom', type: 'TypeError', ownFrames: 0 },
  { path: '/next-error', view: '/next-error', type: 'SyntaxError', ownFrames: 0 },
  { path: '/api/boom', view: '/api/boom', type: 'TypeError', ownFrames: 0 },
  { path: '/api/groups/g1/boom', view: '/api/groups/:group/boom', type: 'RangeError', ownFrames: 0 },
  { path: '/sub/boom', view: '/sub/boom', type: 'EvalError', ownFrames: 1 },
  { path: '/trpc/user.get', view: '/trpc', type: 'URIError', ownFrames: 1 },
  { path: '/wrapped', view: '/wrapped', type: 'Error', ownFrames: 1 },
] as const;

/** The stack lines of express's development error page. */
function stackOf(html: string): string[] {
  const pre = /<pre>([\s\S]*)<\/pre>/.exec(html);
  assert.ok(pre, `no stack in ${html.slice(0, 200)}`);
  return pre[1]!.split('<br>').map((l) => l.replace(/&nbsp;/g, ' ').trim());
}

/** A frame in autoprom's own code (the bundle, or its modules in an unbundled build). */
const OWN = path.join(ROOT, 'dist') + path.sep;

for (const [module, preload] of [
  ['express', 'require'],
  ['express5', 'require'],
  ['express', 'import'],
  ['express5', 'import'],
] as const) {
  describe(`http: ${module} error stacks in development mode (--${preload})`, () => {
    let bare: RunningApp;
    let measured: RunningApp;
    const script = preload === 'import' ? 'http-express-stack.mjs' : 'http-express-stack.js';
    const options = { args: ['--stack-trace-limit=100'], env: { EXPRESS_MODULE: module, NODE_ENV: undefined } };
    before(async () => {
      [bare, measured] = await Promise.all([startApp(script, { ...options, preload: 'none' }), startApp(script, { ...options, preload })]);
    });
    after(async () => {
      await Promise.all([bare?.stop(), measured?.stop()]);
    });

    for (const c of CASES) {
      it(`${c.path}: ${c.ownFrames === 0 ? 'the same stack as without autoprom' : 'one frame of autoprom more'}, and the exception counted once`, async () => {
        const before = await measured.scrape();
        const [plain, withAutoprom] = await Promise.all([
          send(Number(bare.ready.port), { method: 'GET', path: c.path }),
          send(Number(measured.ready.port), { method: 'GET', path: c.path }),
        ]);
        assert.equal(plain.status, 500);
        assert.equal(withAutoprom.status, 500);
        const expected = stackOf(plain.body);
        const got = stackOf(withAutoprom.body);
        assert.ok(expected.length > 10, `${expected.length} frames`);
        const own = got.filter((line) => line.includes(OWN));
        assert.equal(own.length, c.ownFrames, got.join('\n'));
        assert.deepEqual(
          got.filter((line) => !line.includes(OWN)),
          expected,
        );
        const after = await measured.scrape();
        const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
        assert.equal(delta('django_http_exceptions_total_by_type_total', { type: c.type }), 1);
        assert.equal(delta('django_http_exceptions_total_by_view_total', { view: c.view }), 1);
        assert.equal(delta('django_http_responses_total_by_status_view_method_total', { status: '500', view: c.view, method: 'GET' }), 1);
      });
    }
  });
}
