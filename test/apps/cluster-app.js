// A node:cluster service: the primary forks CLUSTER_WORKERS workers that share one HTTP port.
// The primary prints `READY {"port":…,"workers":[pids]}` once every worker listens, and obeys
// lines on stdin: `kill <pid>` (SIGKILL a worker, then fork a new one and print READY again),
// `block <pid> <ms>` (that worker blocks its event loop). Workers answer GET /work/:n with 200
// and /fail with 500. CLUSTER_PRIMARY_SERVES=1: the primary also serves requests itself on
// another port (its own numbers belong in the sum too). CLUSTER_WORKER_PRELOAD: see below.
const cluster = require('node:cluster');
const http = require('node:http');
const readline = require('node:readline');

const count = Number(process.env.CLUSTER_WORKERS || 4);

if (cluster.isPrimary) {
  // CLUSTER_WORKER_PRELOAD: only the workers run autoprom (the primary was started without it).
  if (process.env.CLUSTER_WORKER_PRELOAD)
    cluster.setupPrimary({ execArgv: [...process.execArgv, '--require', process.env.CLUSTER_WORKER_PRELOAD] });
  let port;
  let primaryPort;
  const listening = new Set();
  const report = () => {
    if (listening.size !== count || port === undefined) return;
    const workers = Object.values(cluster.workers).map((w) => w.process.pid);
    process.stdout.write(`READY ${JSON.stringify({ port, primaryPort, workers })}\n`);
  };
  const fork = () => {
    const w = cluster.fork();
    w.on('listening', (address) => {
      port = address.port;
      listening.add(w.id);
      report();
    });
    w.on('exit', () => listening.delete(w.id));
    return w;
  };
  for (let i = 0; i < count; i++) fork();
  if (process.env.CLUSTER_PRIMARY_SERVES === '1') {
    const s = http.createServer((req, res) => res.end('primary'));
    s.listen(0, '127.0.0.1', () => {
      primaryPort = s.address().port;
      report();
    });
  }
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd, pid, ms] = line.trim().split(/\s+/);
    const worker = Object.values(cluster.workers).find((w) => String(w.process.pid) === pid);
    if (worker === undefined) return;
    if (cmd === 'kill') {
      worker.once('exit', () => fork());
      worker.process.kill('SIGKILL');
    } else if (cmd === 'block') {
      worker.send({ block: Number(ms) });
    }
  });
  process.stdin.on('end', () => process.exit(0));
} else {
  process.on('message', (m) => {
    if (m && typeof m.block === 'number') {
      const until = Date.now() + m.block;
      while (Date.now() < until);
    }
  });
  http
    .createServer((req, res) => {
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end(String(process.pid));
    })
    .listen(Number(process.env.CLUSTER_APP_PORT || 0), '127.0.0.1');
}
