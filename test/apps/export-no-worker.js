// A plain node http app where no worker thread can start: its first line makes
// worker_threads.Worker throw, before autoprom starts its metrics worker (on the first turn of
// the event loop). Answers 'hello' on every path; prints READY once listening.
const workerThreads = require('node:worker_threads');
workerThreads.Worker = class {
  constructor() {
    throw new Error('no threads here');
  }
};
require('./pipeline-plain.js');
