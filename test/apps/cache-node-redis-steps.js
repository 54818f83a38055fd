// Scripted node-redis reads for the cache tests, the same steps for node-redis 4, 5 and 6. The
// app (cache-node-redis.js / .mjs) hands in the module it loaded; the test runs one step per
// POST /step/<name> and scrapes around it. Each step answers with what the application saw
// (replies and errors), so runs with and without the preload can be compared.
'use strict';
const http = require('node:http');

const K = 'ap:test:nrcache:';
const HIT = K + 'hit';
const MISS = K + 'missing';
const HASH = K + 'hash';
const MAIN = { socket: { host: '127.0.0.1', port: 6379 }, name: 'appcache' };
const PRIVATE_PORT = Number(process.env.AP_PRIVATE_REDIS_PORT || 0);
const CLUSTER_PORTS = (process.env.AP_CLUSTER_PORTS || '').split(',').filter(Boolean).map(Number);
// A closed port that is not one of fetch's "bad ports".
const CLOSED_PORT = Number(process.env.AP_CLOSED_PORT || 0);

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const noop = () => {};

/** What the application sees of an error: its class, name and message (and a MULTI's per-reply errors). */
function describeError(err) {
  if (!(err instanceof Error)) return { notAnError: String(err) };
  return {
    class: err.constructor && err.constructor.name,
    name: err.name,
    message: err.message,
    replies: Array.isArray(err.replies) ? err.replies.map((r) => plain(r)) : undefined,
  };
}

/** Replies in JSON: Buffers as strings, errors described. */
function plain(v) {
  if (v instanceof Error) return { error: describeError(v) };
  if (Buffer.isBuffer(v)) return { buffer: v.toString() };
  if (Array.isArray(v)) return v.map((x) => plain(x));
  return v === undefined ? { undefined: true } : v;
}

async function settle(p) {
  try {
    return { value: plain(await p) };
  } catch (err) {
    return { error: describeError(err) };
  }
}

/** quit() in 4, close() from 5 on. */
function closeClient(c) {
  return typeof c.close === 'function' ? c.close() : c.quit();
}

function steps(redis) {
  const { createClient, createCluster } = redis;
  const major = Number(String(process.env.AP_NODE_REDIS_MAJOR || '0'));
  const r = createClient(MAIN);
  r.on('error', noop);
  const ready = r.connect();
  const other = createClient({ socket: MAIN.socket });
  other.on('error', noop);
  const otherReady = other.connect();

  /** A connected client; `extra` merged into the main options. */
  async function client(extra = {}) {
    const c = createClient({ ...MAIN, ...extra, socket: { ...MAIN.socket, ...(extra.socket || {}) } });
    c.on('error', noop);
    await c.connect();
    return c;
  }

  /** Move the slot of `key` (and the key) to the next node, with admin connections that read nothing. */
  async function moveSlotOf(key) {
    const admins = await Promise.all(
      CLUSTER_PORTS.map(async (port) => {
        const a = createClient({ socket: { host: '127.0.0.1', port } });
        a.on('error', noop);
        await a.connect();
        return a;
      }),
    );
    try {
      const slot = await admins[0].sendCommand(['CLUSTER', 'KEYSLOT', key]);
      const ids = await Promise.all(admins.map((a) => a.sendCommand(['CLUSTER', 'MYID'])));
      const owners = await Promise.all(admins.map((a) => a.sendCommand(['CLUSTER', 'COUNTKEYSINSLOT', String(slot)])));
      const slots = await admins[0].sendCommand(['CLUSTER', 'SLOTS']);
      const range = slots.find(([lo, hi]) => slot >= lo && slot <= hi);
      const from = CLUSTER_PORTS.indexOf(Number(range[2][1]));
      const to = (from + 1) % admins.length;
      await admins[to].sendCommand(['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', ids[from]]);
      await admins[from].sendCommand(['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', ids[to]]);
      if (owners[from] > 0)
        await admins[from].sendCommand(['MIGRATE', '127.0.0.1', String(CLUSTER_PORTS[to]), '', '0', '5000', 'KEYS', key]);
      for (const a of admins) await a.sendCommand(['CLUSTER', 'SETSLOT', String(slot), 'NODE', ids[to]]);
      return `slot moved ${from}->${to}`;
    } finally {
      for (const a of admins) await closeClient(a);
    }
  }

  function cluster(extra = {}) {
    return createCluster({
      rootNodes: CLUSTER_PORTS.map((port) => ({ socket: { host: '127.0.0.1', port } })),
      defaults: { name: 'clustered' },
      ...extra,
    });
  }

  return {
    async setup() {
      await Promise.all([ready, otherReady]);
      await r.del([HIT, MISS, HASH, K + 'gx', K + 'w']);
      await r.set(HIT, 'v1');
      await r.hSet(HASH, 'f1', 'x');
      return 'ok';
    },
    async get() {
      return [await r.get(HIT), await r.get(MISS), await r.GET(HIT)];
    },
    async getexGetdel() {
      await r.set(K + 'gx', 'v');
      return [await r.getEx(K + 'gx', { EX: 100 }), await r.getDel(K + 'gx'), await r.getDel(K + 'gx')];
    },
    async hget() {
      return [await r.hGet(HASH, 'f1'), await r.hGet(HASH, 'nope'), await r.hGet(MISS, 'f1')];
    },
    async mget() {
      return [await r.mGet([HIT, MISS, HIT]), await r.mGet([HIT, MISS])];
    },
    async hmget() {
      return await r.hmGet(HASH, ['f1', 'nope', 'f1']);
    },
    async sendCommand() {
      return [await r.sendCommand(['GET', HIT]), await r.sendCommand(['MGET', HIT, MISS]), await r.sendCommand(['get', MISS])];
    },
    async pipeline() {
      return plain(
        await r
          .multi()
          .get(HIT)
          .get(MISS)
          .mGet([HIT, MISS])
          .hmGet(HASH, ['f1'])
          .set(K + 'w', '1')
          .execAsPipeline(),
      );
    },
    async pipelineWrongType() {
      // One error reply in a pipeline: the other reads still count by their own replies.
      return await settle(r.multi().get(HASH).get(HIT).get(MISS).execAsPipeline());
    },
    async autoPipelining() {
      // node-redis writes the commands of one tick together.
      return await Promise.all([r.get(HIT), r.get(MISS), r.mGet([HIT, MISS]), r.hGet(HASH, 'f1')]);
    },
    async multi() {
      return plain(
        await r
          .multi()
          .get(HIT)
          .set(K + 'w', 'x')
          .hGet(HASH, 'nope')
          .mGet([HIT, HIT])
          .exec(),
      );
    },
    async multiWrongType() {
      return await settle(r.multi().get(HASH).get(HIT).exec());
    },
    async watchAborted() {
      // WATCH, then another connection writes the key: EXEC answers nil, nothing was read.
      const c = await client();
      await c.watch(HIT);
      await other.set(HIT, 'v1');
      const out = await settle(c.multi().get(HIT).exec());
      await closeClient(c);
      return out;
    },
    async offlineQueue() {
      // Issued while the client connects: node-redis queues them until it is ready.
      const c = createClient(MAIN);
      const connecting = c.connect();
      const sent = [c.get(HIT), c.mGet([HIT, MISS]), c.multi().get(MISS).execAsPipeline()];
      const isReady = c.isReady;
      const out = await Promise.all(sent);
      await connecting;
      await closeClient(c);
      return { isReady, out: plain(out) };
    },
    async wrongType() {
      return [await settle(r.get(HASH)), await settle(r.hGet(HIT, 'f1')), await settle(r.sendCommand(['GET', HASH]))];
    },
    async refused() {
      // Queued while connecting to a closed port, no reconnection: each read fails once.
      const c = createClient({ ...MAIN, socket: { host: '127.0.0.1', port: CLOSED_PORT, reconnectStrategy: false } });
      c.on('error', noop);
      const connecting = settle(c.connect());
      const queued = [settle(c.get(HIT)), settle(c.mGet([HIT, MISS]))];
      const out = { connect: await connecting, queued: await Promise.all(queued) };
      // Offline queue disabled while it retries: rejected at once.
      const d = createClient({
        ...MAIN,
        disableOfflineQueue: true,
        socket: { host: '127.0.0.1', port: CLOSED_PORT, reconnectStrategy: () => 50 },
      });
      d.on('error', noop);
      const dConnecting = d.connect().catch(noop);
      out.offline = await settle(d.get(HIT));
      out.offlinePipeline = await settle(d.multi().get(HIT).execAsPipeline());
      await (typeof d.destroy === 'function' ? d.destroy() : d.disconnect());
      await dConnecting;
      return out;
    },
    async ended() {
      const c = await client();
      await closeClient(c);
      return [await settle(c.get(HIT)), await settle(c.multi().get(HIT).get(MISS).exec())];
    },
    async timeout() {
      // A read in flight on a server that sleeps for a second. 4: an AbortSignal on the read;
      // 5 and 6: the socket's idle timeout (their `timeout` command option stops at the write).
      const conn = { host: '127.0.0.1', port: PRIVATE_PORT };
      const blocker = createClient({ socket: conn });
      const c =
        major === 4
          ? createClient({ ...MAIN, socket: conn })
          : createClient({ ...MAIN, socket: { ...conn, socketTimeout: 300, reconnectStrategy: false } });
      c.on('error', noop);
      await Promise.all([blocker.connect(), c.connect()]);
      const sleeping = blocker.sendCommand(['DEBUG', 'SLEEP', '1']);
      await delay(50);
      const read = major === 4 ? c.get(redis.commandOptions({ signal: AbortSignal.timeout(300) }), HIT) : c.get(HIT);
      const out = await settle(read);
      await sleeping;
      // 4: PING is answered after the late GET reply: once it is back, that reply has been handled.
      if (c.isOpen) await c.ping();
      if (c.isOpen) await closeClient(c);
      await closeClient(blocker);
      return out;
    },
    async lost() {
      // The connection closes with a read in flight (the server kills it after CLIENT KILL's reply).
      const c = await client({ socket: { reconnectStrategy: false } });
      const id = await c.sendCommand(['CLIENT', 'ID']);
      const kill = settle(c.sendCommand(['CLIENT', 'KILL', 'ID', String(id), 'SKIPME', 'no']));
      const inFlight = settle(c.get(HIT));
      const out = { kill: await kill, inFlight: await inFlight };
      if (c.isOpen) await closeClient(c).catch(noop);
      return out;
    },
    async lostReconnects() {
      // The same with reconnection on: the read in flight is not resent, later reads are plain reads.
      const c = await client({ socket: { reconnectStrategy: () => 20 } });
      const id = await c.sendCommand(['CLIENT', 'ID']);
      const kill = settle(c.sendCommand(['CLIENT', 'KILL', 'ID', String(id), 'SKIPME', 'no']));
      const inFlight = settle(c.get(HIT));
      const out = { kill: await kill, inFlight: await inFlight };
      out.after = await c.get(HIT);
      await closeClient(c);
      return out;
    },
    async defaultBackend() {
      return [await other.get(HIT), await other.get(MISS)];
    },
    async unhandled() {
      // Ignored rejected reads stay unhandled rejections, as without autoprom.
      let seen = 0;
      const onUnhandled = () => seen++;
      process.on('unhandledRejection', onUnhandled);
      r.get(HASH);
      r.sendCommand(['GET', HASH]);
      await delay(100);
      process.off('unhandledRejection', onUnhandled);
      return { unhandledRejections: seen };
    },
    async cluster() {
      const c = cluster();
      c.on('error', noop);
      await c.connect();
      const a = '{ap:test}:a';
      const none = '{ap:test}:none';
      await c.set(a, '1');
      const out = [
        await c.get(a),
        await c.get(none),
        await c.mGet([a, none, a]),
        plain(await c.multi().get(a).get(none).execAsPipeline()),
        plain(await c.multi().get(a).hGet(none, 'f').exec()),
        // Keys in other slots, on other nodes.
        await c.get('ap:test:x'),
        await c.get('ap:test:y'),
        await c.get('ap:test:z'),
        await settle(c.hGet(a, 'f')),
      ];
      await c.del(a);
      await closeClient(c);
      return out;
    },
    async clusterMoved() {
      // A slot moves to another node behind the client's back: each read is answered MOVED,
      // redirected, and counts once, by its final reply.
      const c = cluster();
      c.on('error', noop);
      await c.connect();
      const key = '{ap:test:moved}:k';
      await c.set(key, 'm');
      const out = [];
      out.push(await moveSlotOf(key), await settle(c.get(key)));
      out.push(await moveSlotOf(key), await settle(c.mGet([key, key + 'x'])));
      // node-redis 4 and 5 do not redirect a MULTI: the application gets the error.
      out.push(await moveSlotOf(key), await settle(c.multi().get(key).get(key).exec()));
      // A cluster that follows no redirection: the MOVED reply is the read's final, failed outcome.
      const strict = cluster({ maxCommandRedirections: 0 });
      strict.on('error', noop);
      await strict.connect();
      out.push(await moveSlotOf(key), await settle(strict.get(key)));
      await closeClient(strict);
      await c.del(key);
      await closeClient(c);
      return out;
    },
    async teardown() {
      await r.del([HIT, MISS, HASH, K + 'gx', K + 'w']);
      return 'ok';
    },
  };
}

function serve(redis) {
  const table = steps(redis);
  const server = http.createServer(async (req, res) => {
    const name = (req.url || '').replace(/^\/step\//, '');
    const step = table[name];
    let body;
    if (typeof step !== 'function') body = { unknownStep: name };
    else {
      try {
        body = { result: await step() };
      } catch (err) {
        body = { thrown: describeError(err), stack: String(err && err.stack) };
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
