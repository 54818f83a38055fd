// Serves the exposition from the app's own server through autoprom's metricsHandler.
const http = require('node:http');
const { metricsHandler } = require(process.env.AUTOPROM_MODULE || '../../dist/src/index.js');

const server = http.createServer((req, res) => {
  if (req.url === '/metrics') return metricsHandler(req, res);
  res.end('hello');
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
});
