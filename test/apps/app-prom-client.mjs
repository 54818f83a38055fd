// The ES module twin of app-prom-client.js.
import http from 'node:http';
import promClient from 'prom-client';
import ioClient from '@prometheus-io/client';
import { createRequire } from 'node:module';

const { defineMetrics } = createRequire(import.meta.url)('./app-prom-client-metrics.js');
const m = defineMetrics(promClient, ioClient);
promClient.collectDefaultMetrics();

const server = http.createServer(async (req, res) => {
  if (req.url === '/work') {
    m.work();
    res.end('worked');
  } else if (req.url === '/own') {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ promClient: await promClient.register.metrics(), ioClient: await ioClient.register.metrics() }));
  } else {
    res.statusCode = 404;
    res.end();
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`));
