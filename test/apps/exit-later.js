// Serves, prints READY, then ends itself with process.exit(3) after EXIT_AFTER_MS (default 1000).
const http = require('node:http');

const server = http.createServer((req, res) => res.end('hello'));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
  setTimeout(() => process.exit(3), Number(process.env.EXIT_AFTER_MS || 1000));
});
