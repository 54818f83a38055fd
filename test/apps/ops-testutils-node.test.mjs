// A user's own node:test tests of a plain http app (ES module), asserting metric deltas with
// autoprom/testutils. Run under the preload: node --import autoprom/register <this file>
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { assertMetricDelta, snapshot } from 'autoprom/testutils';

let server;
let base;
before(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.end('ok');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => new Promise((resolve) => server.close(resolve)));

test('counts exactly the requests the test sent, by status', async () => {
  const before = await snapshot();
  await (await fetch(`${base}/`)).text();
  await (await fetch(`${base}/missing`)).text();
  await (await fetch(`${base}/missing`)).text();
  await assertMetricDelta(before, 1, 'django_http_responses_total_by_status_total', { status: '200' });
  await assertMetricDelta(before, 2, 'django_http_responses_total_by_status_total', { status: '404' });
  assert.equal(await before.delta('django_http_responses_total_by_status_view_method_total', { view: '<unnamed view>' }), 3);
});

test('reports a wrong delta as an AssertionError', async () => {
  const before = await snapshot();
  await (await fetch(`${base}/`)).text();
  await assert.rejects(assertMetricDelta(before, 0, 'django_http_responses_total_by_status_total', { status: '200' }), {
    name: 'AssertionError',
    message: 'django_http_responses_total_by_status_total{status="200"} moved by 1, expected 0',
  });
});

if (process.env.OPS_TESTUTILS_WRONG === '1') {
  test('fails the run when the delta is wrong', async () => {
    const before = await snapshot();
    await (await fetch(`${base}/`)).text();
    await assertMetricDelta(before, 5, 'django_http_responses_total_by_status_total', { status: '200' });
  });
}
