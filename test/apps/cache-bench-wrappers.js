// In-process cost of the node-redis and memjs wrappers around stubs that answer at once (no I/O,
// so the nanoseconds added per command are not lost in network noise). After `npm run build`:
//   node test/apps/cache-bench-wrappers.js
const D = require('node:path').join(__dirname, '..', '..', 'dist', 'src');
const { Registry } = require(D + '/core/registry');
const { NodeRedisCacheInstrumentation } = require(D + '/cache/node-redis');
const { MemjsCacheInstrumentation } = require(D + '/cache/memjs');
const registry = new Registry({ namespace: '', cardinalityLimit: 2000, latencyBuckets: [1] });
const ctx = { registry, config: {}, ownServers: new Set() };
const make = () => {
  class Client {
    constructor() {
      this.options = { name: 'bench' };
    }
    sendCommand(_args) {
      return Promise.resolve('v');
    }
    _executeCommand() {}
    _executePipeline(commands) {
      return Promise.all(commands.map((c) => this.q.addCommand(c.args)));
    }
    _executeMulti() {}
  }
  class Queue {
    addCommand(_args) {
      return Promise.resolve('v');
    }
  }
  return { Client, Queue };
};
const bare = make();
const patched = make();
const nr = new NodeRedisCacheInstrumentation(ctx);
nr.disable();
nr._enabled = true;
nr.patchClient({ default: patched.Client });
// The queue patch is module-private: reach it through the file hook, as the module loader would.
const files = nr.init()[0].files;
files.find((f) => f.name.endsWith('commands-queue.js')).patch({ default: patched.Queue });
class Mem {
  constructor() {
    this.options = {};
  }
  get(key, cb) {
    if (cb === undefined) return new Promise((res, rej) => this.get(key, (e, v) => (e ? rej(e) : res(v))));
    cb(null, 'v', null);
  }
}
class MemP extends Mem {}
const mj = new MemjsCacheInstrumentation(ctx);
mj.disable();
mj._enabled = true;
mj.patch({ Client: MemP });
const N = 5e5;
async function time(fn, n = N, batch = 1000) {
  const t = process.hrtime.bigint();
  for (let d = 0; d < n; d += batch) {
    const all = [];
    for (let i = 0; i < batch; i++) all.push(fn());
    await Promise.all(all);
  }
  return Number(process.hrtime.bigint() - t) / n;
}
(async () => {
  const cb = new bare.Client();
  const cp = new patched.Client();
  cb.q = new bare.Queue();
  cp.q = new patched.Queue();
  const GET = ['GET', 'k'],
    SET = ['SET', 'k', 'v'];
  const mb = new Mem(),
    mp = new MemP();
  const rows = {
    'sendCommand GET': [],
    'sendCommand SET': [],
    'pipeline GET (per command)': [],
    'pipeline SET (per command)': [],
    'memjs get (promise)': [],
  };
  const P = 100;
  const pipeN = (c, args) => {
    const cmds = Array.from({ length: P }, () => ({ args }));
    return () => c._executePipeline(cmds);
  };
  for (let r = 0; r < 7; r++) {
    rows['sendCommand GET'].push([await time(() => cb.sendCommand(GET)), await time(() => cp.sendCommand(GET))]);
    rows['sendCommand SET'].push([await time(() => cb.sendCommand(SET)), await time(() => cp.sendCommand(SET))]);
    rows['pipeline GET (per command)'].push([(await time(pipeN(cb, GET), N / P, 1)) / P, (await time(pipeN(cp, GET), N / P, 1)) / P]);
    rows['pipeline SET (per command)'].push([(await time(pipeN(cb, SET), N / P, 1)) / P, (await time(pipeN(cp, SET), N / P, 1)) / P]);
    rows['memjs get (promise)'].push([await time(() => mb.get('k')), await time(() => mp.get('k'))]);
  }
  const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  for (const [k, v] of Object.entries(rows)) {
    const b = med(v.map((x) => x[0])),
      p = med(v.map((x) => x[1]));
    console.log(k.padEnd(28), 'bare', b.toFixed(0), 'ns  patched', p.toFixed(0), 'ns  added', (p - b).toFixed(0), 'ns');
  }
  const total = registry.counter('django_cache_get_total');
  let sum = 0;
  for (const [s] of total.all()) sum += s.value;
  console.log('reads counted', sum);
})();
