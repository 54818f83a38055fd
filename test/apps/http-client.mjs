// The ES module twin of http-client.js: Node's http functions imported by name (bound when the
// module is imported, before autoprom's instrumentation of them has loaded) and global fetch.
import * as http from 'node:http';
import { get as namedGet } from 'node:http';
import * as net from 'node:net';

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
function closedPort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const target = http.createServer((req, res) => {
  res.statusCode = req.url === '/missing' ? 404 : 200;
  res.end('target');
});

function get(url) {
  return new Promise((resolve, reject) => {
    namedGet(url, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

let refusedPort;
target.listen(0, '127.0.0.1', async () => {
  refusedPort = await closedPort();
  const base = `http://127.0.0.1:${target.address().port}`;
  const app = http.createServer(async (req, res) => {
    if (req.url === '/run') {
      await get(`${base}/ok`);
      await get(`${base}/ok`);
      await get(`${base}/missing`);
      await (await fetch(`${base}/ok`)).text();
      await (await fetch(`${base}/missing`, { method: 'POST', body: 'x' })).text();
      await fetch(`http://127.0.0.1:${refusedPort}/refused`).catch(() => undefined);
      await get(`http://127.0.0.1:${refusedPort}/refused`).catch(() => undefined);
      res.end('done');
    } else if (req.url.startsWith('/spread/')) {
      // /spread/<from>/<count>: refused fetches to <count> distinct hosts 127.0.0.<from>… (all loopback).
      const [from, count] = req.url.slice('/spread/'.length).split('/').map(Number);
      for (let i = 0; i < count; i++) {
        const host = `127.0.${Math.floor((from + i) / 250)}.${2 + ((from + i) % 250)}`;
        await fetch(`http://${host}:${refusedPort}/`).catch(() => undefined);
      }
      res.end('spread');
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`READY ${JSON.stringify({ port: app.address().port, targetPort: target.address().port, refusedPort })}\n`);
  });
});
