// An application with its own prom-client and @prometheus-io/client metrics (default registries),
// and prom-client's default metrics, as many apps have before they add autoprom.
const http = require('node:http');
const promClient = require('prom-client');
const ioClient = require('@prometheus-io/client');
const { defineMetrics } = require('./app-prom-client-metrics');

const m = defineMetrics(promClient, ioClient);
promClient.collectDefaultMetrics();

const server = http.createServer(async (req, res) => {
  if (req.url === '/work') {
    m.work();
    res.end('worked');
  } else if (req.url === '/own') {
    // What the app's own registries write, for the test to compare byte for byte.
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ promClient: await promClient.register.metrics(), ioClient: await ioClient.register.metrics() }));
  } else {
    res.statusCode = 404;
    res.end();
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`));
