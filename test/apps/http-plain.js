// A plain node http server (no framework) plus an https one, and a /__memory endpoint.
const http = require('node:http');
const https = require('node:https');
const fs = require('node:fs');

function handler(req, res) {
  const path = req.url.split('?')[0];
  if (path === '/__memory') {
    global.gc?.();
    const m = process.memoryUsage();
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed }));
  } else if (path === '/hang') {
    // never answers: the client gives up
  } else if (path === '/written') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=windows-1252', 'Content-Length': 2 });
    res.end('ok');
  } else if (path === '/written-array') {
    res.writeHead(201, 'Made', ['content-type', 'text/csv; charset=us-ascii']);
    res.end('a,b\n');
  } else if (path === '/slow-partial') {
    res.write('partial');
  } else {
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('hello');
  }
}

const server = http.createServer(handler);
server.listen(0, '127.0.0.1', () => {
  const ready = { port: server.address().port };
  if (process.env.TLS_KEY && process.env.TLS_CERT) {
    const secure = https.createServer({ key: fs.readFileSync(process.env.TLS_KEY), cert: fs.readFileSync(process.env.TLS_CERT) }, handler);
    secure.listen(0, '127.0.0.1', () => {
      ready.httpsPort = secure.address().port;
      process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
    });
  } else {
    process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
  }
});
