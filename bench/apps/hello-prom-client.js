'use strict';
// The same hello-world with a prom-client counter and histogram recorded by hand (PROM_LIB picks
// prom-client or @prometheus-io/client: same API), the way a careful user instruments it.
const http = require('node:http');
const listen = require('./ready');
const client = require(process.env.PROM_LIB || 'prom-client');

const registry = new client.Registry();
const requests = new client.Counter({
  name: 'http_requests_total',
  help: 'Requests by method and status.',
  labelNames: ['method', 'status'],
  registers: [registry],
});
const latency = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'Request latency by method.',
  labelNames: ['method'],
  buckets: [0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 25, 50, 75],
  registers: [registry],
});

listen(
  http.createServer((req, res) => {
    if (req.url === '/metrics') {
      registry.metrics().then((body) => res.end(body));
      return;
    }
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      requests.inc({ method: req.method, status: res.statusCode });
      latency.observe({ method: req.method }, Number(process.hrtime.bigint() - start) / 1e9);
    });
    res.setHeader('Content-Type', 'text/plain');
    res.end('Hello, World!');
  }),
);
