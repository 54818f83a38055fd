// Scripted ioredis reads for the cache tests. The app (cache-redis.js / cache-redis.mjs)
// hands in the ioredis module it loaded; the test runs one step per POST /step/<name>
// and scrapes around it. Each step answers with what the application saw (replies and
// errors), so runs with and without the preload can be compared.
'use strict';
const http = require('node:http');

const K = 'ap:test:cache:';
const HIT = K + 'hit';
const MISS = K + 'missing';
const HASH = K + 'hash';
const MAIN = { host: '127.0.0.1', port: 6379, connectionName: 'appcache' };
const PRIVATE_PORT = Number(process.env.AP_PRIVATE_REDIS_PORT || 0);
const CLUSTER_PORTS = (process.env.AP_CLUSTER_PORTS || '').split(',').filter(Boolean).map(Number);

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const noop = () => {};

/** What the application sees of an error: its class, name, message and ReplyError-ness. */
function describeError(Redis, err) {
  if (!(err instanceof Error)) return { notAnError: String(err) };
  return {
    class: err.constructor && err.constructor.name,
    name: err.name,
    message: err.message,
    replyError: err instanceof Redis.ReplyError,
    previousErrors: Array.isArray(err.previousErrors) ? err.previousErrors.map((e) => describeError(Redis, e)) : undefined,
  };
}

/** Replies in JSON: Buffers as strings, errors described. */
function plain(Redis, v) {
  if (v instanceof Error) return { error: describeError(Redis, v) };
  if (Buffer.isBuffer(v)) return { buffer: v.toString() };
  if (Array.isArray(v)) return v.map((x) => plain(Redis, x));
  return v === undefined ? { undefined: true } : v;
}

async function settle(Redis, p) {
  try {
    return { value: plain(Redis, await p) };
  } catch (err) {
    return { error: describeError(Redis, err) };
  }
}

function steps(Redis) {
  const r = new Redis(MAIN);
  r.on('error', noop);

  /** Move the slot of `key` (and the key) to the next node, with admin connections that read nothing. */
  async function moveSlotOf(key) {
    const admins = CLUSTER_PORTS.map((port) => new Redis({ host: '127.0.0.1', port }));
    try {
      const slot = await admins[0].cluster('keyslot', key);
      const ids = await Promise.all(admins.map((a) => a.cluster('myid')));
      const owners = await Promise.all(admins.map((a) => a.cluster('countkeysinslot', slot)));
      const slots = await admins[0].cluster('slots');
      const range = slots.find(([lo, hi]) => slot >= lo && slot <= hi);
      const from = CLUSTER_PORTS.indexOf(range[2][1]);
      const to = (from + 1) % admins.length;
      await admins[to].cluster('setslot', slot, 'importing', ids[from]);
      await admins[from].cluster('setslot', slot, 'migrating', ids[to]);
      if (owners[from] > 0) await admins[from].migrate('127.0.0.1', CLUSTER_PORTS[to], '', 0, 5000, 'KEYS', key);
      for (const a of admins) await a.cluster('setslot', slot, 'node', ids[to]);
      return `slot moved ${from}->${to}`;
    } finally {
      for (const a of admins) a.disconnect();
    }
  }

  return {
    async setup() {
      await r.del(HIT, MISS, HASH, K + 'gx', K + 'w');
      await r.set(HIT, 'v1');
      await r.hset(HASH, 'f1', 'x');
      return 'ok';
    },
    async get() {
      return [await r.get(HIT), await r.get(MISS), plain(Redis, await r.getBuffer(HIT))];
    },
    async getexGetdel() {
      await r.set(K + 'gx', 'v');
      return [await r.getex(K + 'gx', 'EX', 100), await r.getdel(K + 'gx'), await r.getdel(K + 'gx')];
    },
    async hget() {
      return [await r.hget(HASH, 'f1'), await r.hget(HASH, 'nope'), await r.hget(MISS, 'f1')];
    },
    async mget() {
      return [await r.mget(HIT, MISS, HIT), await r.mget([HIT, MISS])];
    },
    async hmget() {
      return await r.hmget(HASH, 'f1', 'nope', 'f1');
    },
    async call() {
      return [await r.call('GET', HIT), await r.call('Get', MISS)];
    },
    async multiDirectLost() {
      // The connection drops inside a direct MULTI: the queued read never runs, later reads are plain reads.
      const c = new Redis({ ...MAIN, retryStrategy: () => 10 });
      c.on('error', noop);
      await c.multi({ pipeline: false });
      const queued = await c.get(HIT);
      const reconnected = new Promise((resolve) => c.once('ready', resolve));
      c.stream.destroy();
      await reconnected;
      const after = await c.get(HIT);
      await c.quit();
      return { queued, after };
    },
    async callback() {
      return await new Promise((resolve, reject) => r.get(HIT, (err, v) => (err ? reject(err) : resolve(v))));
    },
    async pipeline() {
      return plain(
        Redis,
        await r
          .pipeline()
          .get(HIT)
          .get(MISS)
          .mget(HIT, MISS)
          .hmget(HASH, 'f1')
          .set(K + 'w', '1')
          .exec(),
      );
    },
    async autoPipelining() {
      const c = new Redis({ ...MAIN, enableAutoPipelining: true });
      const out = await Promise.all([c.get(HIT), c.get(MISS), c.mget(HIT, MISS), c.hget(HASH, 'f1')]);
      await c.quit();
      return out;
    },
    async multi() {
      return plain(
        Redis,
        await r
          .multi()
          .get(HIT)
          .set(K + 'w', 'x')
          .hget(HASH, 'nope')
          .mget(HIT, HIT)
          .exec(),
      );
    },
    async multiWrongType() {
      return plain(Redis, await r.multi().get(HASH).get(HIT).exec());
    },
    async multiDirect() {
      await r.multi({ pipeline: false });
      const a = r.get(HIT);
      const b = r.set(K + 'w', 'y');
      const c = r.get(MISS);
      const result = plain(Redis, await r.exec());
      return { queued: [await a, await b, await c], result };
    },
    async offlineQueue() {
      // Every command here is issued before the connection is ready: ioredis queues it.
      const c = new Redis(MAIN);
      const sent = [c.get(HIT), c.mget(HIT, MISS), c.pipeline().get(MISS).exec()];
      const status = c.status;
      const out = await Promise.all(sent);
      await c.quit();
      return { status, out: plain(Redis, out) };
    },
    async wrongType() {
      return [await settle(Redis, r.get(HASH)), await settle(Redis, r.hget(HIT, 'f1'))];
    },
    async refused() {
      const c = new Redis({ host: '127.0.0.1', port: 1, connectionName: 'appcache', maxRetriesPerRequest: 1, retryStrategy: () => 20 });
      c.on('error', noop);
      const out = [await settle(Redis, c.get(HIT)), await settle(Redis, c.mget(HIT, MISS))];
      c.disconnect();
      const d = new Redis({ host: '127.0.0.1', port: 1, connectionName: 'appcache', enableOfflineQueue: false, retryStrategy: () => null });
      d.on('error', noop);
      out.push(await settle(Redis, d.get(HIT)));
      d.disconnect();
      return out;
    },
    async ended() {
      const c = new Redis(MAIN);
      await c.quit();
      return await settle(Redis, c.get(HIT));
    },
    async timeout() {
      const conn = { host: '127.0.0.1', port: PRIVATE_PORT };
      const blocker = new Redis(conn);
      const c = new Redis({ ...conn, connectionName: 'appcache', commandTimeout: 300 });
      await Promise.all([blocker.ping(), c.ping()]);
      const sleeping = blocker.debug('sleep', '1');
      await delay(50);
      const out = await settle(Redis, c.get(HIT));
      await sleeping;
      // PING is answered after the late GET reply: once it is back, that reply has been handled.
      await c.ping();
      c.disconnect();
      blocker.disconnect();
      return out;
    },
    async lostNoRetry() {
      const c = new Redis({ ...MAIN, retryStrategy: () => null });
      c.on('error', noop);
      await c.ping();
      const p = c.get(HIT);
      c.stream.destroy();
      const out = await settle(Redis, p);
      c.disconnect();
      return out;
    },
    async lostResent() {
      // The command is in flight when the socket drops; ioredis reconnects and resends it.
      const c = new Redis({ ...MAIN, retryStrategy: () => 10 });
      c.on('error', noop);
      await c.ping();
      const p = c.get(HIT);
      c.stream.destroy();
      const out = await settle(Redis, p);
      await c.quit();
      return out;
    },
    async defaultBackend() {
      const c = new Redis({ host: '127.0.0.1', port: 6379 });
      const out = [await c.get(HIT), await c.get(MISS)];
      await c.quit();
      return out;
    },
    async unhandled() {
      // An ignored rejected read stays an unhandled rejection, as without autoprom.
      let seen = 0;
      const onUnhandled = () => seen++;
      process.on('unhandledRejection', onUnhandled);
      r.get(HASH);
      // The error reply comes back within milliseconds; allow a loaded machine up to 3 s.
      for (let waited = 0; seen === 0 && waited < 3000; waited += 20) await delay(20);
      await delay(50);
      process.off('unhandledRejection', onUnhandled);
      return { unhandledRejections: seen };
    },
    async cluster() {
      const c = new Redis.Cluster(
        CLUSTER_PORTS.map((port) => ({ host: '127.0.0.1', port })),
        { redisOptions: { connectionName: 'clustered' } },
      );
      c.on('error', noop);
      const a = '{ap:test}:a';
      const none = '{ap:test}:none';
      // Issued before the cluster is ready: the cluster's own offline queue.
      const early = c.get(a);
      await c.set(a, '1');
      const out = [
        plain(Redis, await early),
        await c.get(a),
        await c.get(none),
        await c.mget(a, none, a),
        plain(Redis, await c.pipeline().get(a).get(none).exec()),
        plain(Redis, await c.multi().get(a).hget(none, 'f').exec()),
        // Keys in other slots, on other nodes.
        await c.get('ap:test:x'),
        await c.get('ap:test:y'),
        await c.get('ap:test:z'),
        await settle(Redis, c.hget(a, 'f')),
      ];
      await c.del(a);
      await c.quit();
      return out;
    },
    async clusterMoved() {
      // A slot moves to another node behind the client's back: each read is answered MOVED,
      // redirected, and must count once, by its final reply.
      const c = new Redis.Cluster(
        CLUSTER_PORTS.map((port) => ({ host: '127.0.0.1', port })),
        { redisOptions: { connectionName: 'clustered' } },
      );
      c.on('error', noop);
      const key = '{ap:test:moved}:k';
      await c.set(key, 'm');
      const out = [];
      out.push(await moveSlotOf(key), await c.get(key));
      out.push(
        await moveSlotOf(key),
        plain(
          Redis,
          await c
            .pipeline()
            .get(key)
            .mget(key, key + 'x')
            .exec(),
        ),
      );
      out.push(await moveSlotOf(key), plain(Redis, await c.multi().get(key).get(key).exec()));
      // A client that follows no redirection: the MOVED attempt is the final, failed read.
      const strict = new Redis.Cluster(
        CLUSTER_PORTS.map((port) => ({ host: '127.0.0.1', port })),
        { redisOptions: { connectionName: 'clustered' }, maxRedirections: 0 },
      );
      strict.on('error', noop);
      await strict.set(key, 'm');
      out.push(await moveSlotOf(key), await settle(Redis, strict.get(key)));
      out.push(await moveSlotOf(key), plain(Redis, await strict.pipeline().get(key).exec()));
      await strict.quit();
      await c.del(key);
      await c.quit();
      return out;
    },
    async teardown() {
      await r.del(HIT, MISS, HASH, K + 'gx', K + 'w');
      return 'ok';
    },
  };
}

function serve(Redis) {
  const table = steps(Redis);
  const server = http.createServer(async (req, res) => {
    const name = (req.url || '').replace(/^\/step\//, '');
    const step = table[name];
    let body;
    if (typeof step !== 'function') body = { unknownStep: name };
    else {
      try {
        body = { result: await step() };
      } catch (err) {
        body = { thrown: describeError(Redis, err), stack: String(err && err.stack) };
      }
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
  });
}

module.exports = { serve };
