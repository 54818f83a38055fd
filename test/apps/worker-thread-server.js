// An application that serves HTTP from one of its own worker_threads workers (the worker
// inherits the preload: Node passes execArgv on). Prints READY with the worker's port and
// threadId once it listens.
const { Worker, isMainThread, parentPort, threadId } = require('node:worker_threads');

if (isMainThread) {
  const worker = new Worker(__filename);
  worker.on('message', (ready) => process.stdout.write(`READY ${JSON.stringify(ready)}\n`));
} else {
  const http = require('node:http');
  const server = http.createServer((req, res) => res.end('from a worker'));
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port, threadId }));
}
