// The custom Next.js server as an ES module, for the --import preload.
import http from 'node:http';
import next from 'next';

const app = next({ dev: false, dir: new URL('./http-next', import.meta.url).pathname });
const handle = app.getRequestHandler();
await app.prepare();
const server = http.createServer((req, res) => handle(req, res));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
});
