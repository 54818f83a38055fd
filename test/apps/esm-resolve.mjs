// Prints what the application sees of its own module resolution (a loader hook would change it).
import http from 'node:http';

const resolved = import.meta.resolve('./http-page.tpl');
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, resolved })}\n`);
});
