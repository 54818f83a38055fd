'use strict';
// node:cluster around many-routes.js: the primary forks CLUSTER_WORKERS workers that share one
// port; the primary prints `READY {"port":…,"pid":…}` once every worker listens.
const cluster = require('node:cluster');
const path = require('node:path');

if (cluster.isPrimary) {
  const count = Number(process.env.CLUSTER_WORKERS || 4);
  let listening = 0;
  process.on('SIGTERM', () => process.exit(0));
  for (let i = 0; i < count; i++)
    cluster.fork().on('listening', (address) => {
      if (++listening === count) process.stdout.write(`READY ${JSON.stringify({ port: address.port, pid: process.pid })}\n`);
    });
} else {
  // Workers' READY lines would mix with the primary's: keep theirs off its stdout.
  process.stdout.write = () => true;
  require(path.join(__dirname, 'many-routes.js'));
}
