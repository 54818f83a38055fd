// A plain http app for the runtime metrics tests. It keeps one libuv write request in
// flight (a large write to a socket whose peer never reads), so nodejs_active_requests has
// a series, and calls global.gc() (run it with --expose-gc) on GET /gc.
'use strict';
const http = require('node:http');
const net = require('node:net');

const stalled = net.createServer((socket) => socket.pause());
stalled.listen(0, '127.0.0.1', () => {
  const writer = net.connect(stalled.address().port, '127.0.0.1', () => {
    // Far more than the loopback socket buffers hold: the write stays pending.
    writer.write(Buffer.alloc(64 * 1024 * 1024));
    startApp();
  });
});

function startApp() {
  const server = http.createServer((req, res) => {
    if (req.url === '/gc' && typeof global.gc === 'function') {
      global.gc();
      res.end('collected\n');
      return;
    }
    res.end('ok\n');
  });
  server.listen(0, '127.0.0.1', () => {
    if (typeof global.gc === 'function') global.gc();
    process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, pid: process.pid, version: process.version })}\n`);
  });
}
