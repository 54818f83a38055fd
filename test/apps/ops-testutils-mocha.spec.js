/* global describe, before, after, it */
// A user's own mocha tests of an express app, asserting metric deltas with autoprom/testutils.
// Run under the preload: node --require autoprom/register node_modules/mocha/bin/mocha.js <this file>
const assert = require('node:assert');
const express = require('express');
const { snapshot, delta, assertMetricDelta, assertMetricEquals } = require('autoprom/testutils');

describe('an app tested with autoprom/testutils (mocha)', () => {
  let server;
  let base;
  before((done) => {
    const app = express();
    app.get('/users/:id', (req, res) => res.json({ id: req.params.id }));
    server = app.listen(0, '127.0.0.1', () => {
      base = `http://127.0.0.1:${server.address().port}`;
      done();
    });
  });
  after((done) => server.close(done));

  it('counts exactly the requests the test sent', async () => {
    const before = await snapshot();
    for (let i = 0; i < 3; i++) await (await fetch(`${base}/users/${i}`)).text();
    await assertMetricDelta(before, 3, 'django_http_responses_total_by_status_view_method_total', {
      view: '/users/:id',
      method: 'GET',
      status: '200',
    });
    assert.strictEqual(await before.delta('django_http_requests_total_by_method_total', { method: 'GET' }), 3);
    const after = await snapshot();
    assert.strictEqual(delta(before, after, 'django_http_requests_latency_seconds_by_view_method_count', { view: '/users/:id' }), 3);
    assert.strictEqual(delta(before, after, 'django_http_requests_total_by_method_total', { method: 'POST' }), 0);
    await assertMetricEquals(after.value('django_http_requests_before_middlewares_total'), 'django_http_requests_before_middlewares_total');
  });

  it('reports a wrong delta as an AssertionError naming the series and what it moved by', async () => {
    const before = await snapshot();
    await (await fetch(`${base}/users/9`)).text();
    await assert.rejects(assertMetricDelta(before, 2, 'django_http_responses_total_by_status_view_method_total', { view: '/users/:id' }), {
      name: 'AssertionError',
      message: 'django_http_responses_total_by_status_view_method_total{view="/users/:id"} moved by 1, expected 2',
    });
  });

  if (process.env.OPS_TESTUTILS_WRONG === '1') {
    it('fails the run when the delta is wrong', async () => {
      const before = await snapshot();
      await (await fetch(`${base}/users/1`)).text();
      await assertMetricDelta(before, 5, 'django_http_requests_total_by_method_total', { method: 'GET' });
    });
  }
});
