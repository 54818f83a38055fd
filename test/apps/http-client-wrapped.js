// An application (or a tool such as a mock or an APM agent) that wraps http.request and http.get
// after requiring http, before any request: three requests through its wrappers, then one line
// { wrapped, counted } — how often its wrappers ran, and autoprom's count for the target host.
'use strict';
const http = require('node:http');
const { ownMetrics } = require('./own-metrics');

let wrapped = 0;
const request = http.request;
http.request = function wrappedRequest(...args) {
  wrapped++;
  return request.apply(this, args);
};
const get = http.get;
http.get = function wrappedGet(...args) {
  wrapped++;
  return get.apply(this, args);
};

const target = http.createServer((_req, res) => res.end('ok'));
target.listen(0, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${target.address().port}`;
  const done = (resolve) => (res) => res.resume().on('end', resolve);
  await new Promise((resolve) => http.get(`${base}/a`, done(resolve)));
  await new Promise((resolve) => http.get(`${base}/b`, done(resolve)));
  await new Promise((resolve) => http.request(`${base}/c`, done(resolve)).end());
  const ranBefore = wrapped;
  // Through the original http.get, so that the application's wrappers see only its own three requests.
  const body = (await ownMetrics(get)).text;
  const host = `host="127.0.0.1:${target.address().port}"`;
  const counted = body
    .split('\n')
    .filter((l) => l.startsWith('http_client_request_duration_seconds_count{') && l.includes(host))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  process.stdout.write(`${JSON.stringify({ wrapped: ranBefore, counted })}\n`);
  process.exit(0);
});
