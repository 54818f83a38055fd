// Which OpenTelemetry packages the process has loaded, at each step: right after the preload,
// after the first event-loop turn, after requiring pg and ioredis, after one outgoing http.get,
// after one fetch. Prints one JSON line: { step: [package, …] } (sorted, autoprom's own excluded).
'use strict';
const http = require('node:http');

function loaded() {
  const names = new Set();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules\/(@opentelemetry\/[^/]+)\//.exec(file);
    if (m !== null) names.add(m[1]);
  }
  return [...names].sort();
}

const steps = { preload: loaded() };
setImmediate(() =>
  setImmediate(async () => {
    steps.firstTurn = loaded();
    require('pg');
    require('ioredis');
    steps.clients = loaded();
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}/`;
    steps.listening = loaded();
    await new Promise((resolve, reject) => http.get(url, (res) => res.resume().on('end', resolve)).on('error', reject));
    steps.httpGet = loaded();
    await (await fetch(url)).text();
    steps.fetch = loaded();
    server.close();
    process.stdout.write(`${JSON.stringify(steps)}\n`);
    process.exit(0);
  }),
);
