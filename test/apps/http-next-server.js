// Next.js behind a custom node http server (the documented `next({ dev: false })` setup).
const http = require('node:http');
const path = require('node:path');
const next = require('next');

const app = next({ dev: false, dir: path.join(__dirname, 'http-next') });
const handle = app.getRequestHandler();
app.prepare().then(() => {
  const server = http.createServer((req, res) => handle(req, res));
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, version: require('next/package.json').version })}\n`);
  });
});
