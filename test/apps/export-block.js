// A plain node http app whose GET /block?ms=N blocks the event loop for N ms (a synchronous
// loop), printing BLOCKING on stdout just before; GET /metrics in the app is metricsHandler.
// Prints READY once listening. With START_BLOCK_MS=N it then blocks its event loop for N ms
// before anything was collected (BLOCKING before, UNBLOCKED after).
const http = require('node:http');
const { metricsHandler } = require(process.env.AUTOPROM_MODULE || '../../dist/src/index.js');

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/metrics') return metricsHandler(req, res);
  if (url.pathname === '/block') {
    const ms = Number(url.searchParams.get('ms'));
    process.stdout.write('BLOCKING\n');
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // the event loop is stuck here, as with a catastrophic regex or a huge JSON.parse
    }
  }
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end('done');
});
const startBlockMs = Number(process.env.START_BLOCK_MS ?? 0);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, pid: process.pid })}\n`);
  if (startBlockMs > 0) {
    setTimeout(() => {
      process.stdout.write('BLOCKING\n');
      const until = Date.now() + startBlockMs;
      while (Date.now() < until) {
        // blocked before the endpoint ever collected
      }
      process.stdout.write('UNBLOCKED\n');
    }, 20);
  }
});
