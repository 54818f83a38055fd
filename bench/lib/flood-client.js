'use strict';
// A scrape flood: `node flood-client.js URL SECONDS CONNECTIONS`. Each connection scrapes back
// to back (keep-alive, Prometheus 2.42's Accept and gzip) until the time is up, then it prints
// RESULT {"scrapes":…,"bytes":…,"errors":…}.
const http = require('node:http');

const [url, seconds, connections] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const headers = {
  accept:
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  'accept-encoding': 'gzip',
};
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const until = Date.now() + seconds * 1000;
let scrapes = 0;
let bytes = 0;
let errors = 0;

function once() {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, headers }, (res) => {
      res.on('data', (d) => (bytes += d.length));
      res.on('end', () => {
        if (res.statusCode === 200) scrapes++;
        else errors++;
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      setTimeout(resolve, 10);
    });
  });
}

Promise.all(
  Array.from({ length: connections }, async () => {
    while (Date.now() < until) await once();
  }),
).then(() => {
  agent.destroy();
  process.stdout.write(`RESULT ${JSON.stringify({ scrapes, bytes, errors })}\n`);
});
