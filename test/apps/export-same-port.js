// An application that serves on the metrics port itself (PROMETHEUS_METRICS_EXPORT_PORT), as soon
// as it starts (SAME_PORT_DELAY_MS unset) or a while later; with express 5 when SAME_PORT_EXPRESS=1.
const http = require('node:http');

const port = Number(process.env.PROMETHEUS_METRICS_EXPORT_PORT);
const delay = Number(process.env.SAME_PORT_DELAY_MS ?? 0);

function start() {
  let server;
  if (process.env.SAME_PORT_EXPRESS === '1') {
    const express = require('express5');
    const app = express();
    app.get('/hello', (req, res) => res.send('app'));
    server = app.listen(port, '127.0.0.1', (err) => {
      if (err) throw err;
      process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
    });
  } else {
    server = http.createServer((req, res) => res.end('app'));
    server.listen(port, '127.0.0.1', () => process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`));
  }
}

if (delay > 0) setTimeout(start, delay);
else start();
