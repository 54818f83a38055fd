// Scripted memjs reads for the memcached tests. The app (cache-memjs.js / .mjs) hands in the
// memjs module it loaded; the test runs one step per POST /step/<name> and scrapes around it.
// Each step answers with what the application saw, so runs with and without the preload can be compared.
'use strict';
const http = require('node:http');
const net = require('node:net');

const K = 'ap:test:mc:';
const HIT = K + 'hit';
const MISS = K + 'missing';
const SERVER = `127.0.0.1:${Number(process.env.AP_MEMCACHED_PORT || 11211)}`;
const CLOSED = `127.0.0.1:${Number(process.env.AP_CLOSED_PORT || 1)}`;
// memjs logs failures with console.log by default: keep stdout for the READY line.
const quiet = { log() {} };

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function describeError(err) {
  if (!(err instanceof Error)) return { notAnError: String(err) };
  return { class: err.constructor && err.constructor.name, message: err.message };
}

/** A get's result in JSON: the value as a string, or null. */
function plain(result) {
  if (result === null || result === undefined) return result === null ? null : { undefined: true };
  const v = result.value;
  return { value: Buffer.isBuffer(v) ? v.toString() : v };
}

async function settle(p) {
  try {
    return { value: plain(await p) };
  } catch (err) {
    return { error: describeError(err) };
  }
}

/** The callback form: (err, value, flags). */
function viaCallback(client, key) {
  return new Promise((resolve) =>
    client.get(key, (err, value) =>
      resolve(err ? { error: describeError(err) } : { value: Buffer.isBuffer(value) ? value.toString() : value }),
    ),
  );
}

function steps(memjs) {
  const mc = memjs.Client.create(SERVER, { logger: quiet });

  return {
    async setup() {
      await mc.delete(MISS).catch(() => false);
      await mc.set(HIT, 'v1', {});
      await mc.set(K + 'empty', '', {});
      return 'ok';
    },
    async get() {
      return [plain(await mc.get(HIT)), plain(await mc.get(MISS)), plain(await mc.get(K + 'empty'))];
    },
    async callback() {
      return [await viaCallback(mc, HIT), await viaCallback(mc, MISS)];
    },
    async concurrent() {
      return (await Promise.all([mc.get(HIT), mc.get(MISS), mc.get(HIT), mc.get(HIT)])).map(plain);
    },
    async named() {
      const c = memjs.Client.create(SERVER, { logger: quiet, name: 'sessions' });
      const out = [plain(await c.get(HIT)), plain(await c.get(MISS))];
      c.close();
      return out;
    },
    async refused() {
      const c = memjs.Client.create(CLOSED, { logger: quiet, retries: 1 });
      const out = [await settle(c.get(HIT)), await viaCallback(c, HIT)];
      c.close();
      return out;
    },
    async timeout() {
      // A server that accepts and never answers.
      const sockets = new Set();
      const silent = net.createServer((s) => sockets.add(s));
      await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const c = memjs.Client.create(`127.0.0.1:${silent.address().port}`, { logger: quiet, retries: 1, timeout: 0.2 });
      const out = await settle(c.get(HIT));
      c.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
      return out;
    },
    async unhandled() {
      // An ignored rejected read stays an unhandled rejection, as without autoprom.
      let seen = 0;
      const onUnhandled = () => seen++;
      process.on('unhandledRejection', onUnhandled);
      const c = memjs.Client.create(CLOSED, { logger: quiet, retries: 1 });
      c.get(HIT);
      await delay(300);
      c.close();
      process.off('unhandledRejection', onUnhandled);
      return { unhandledRejections: seen };
    },
    async teardown() {
      await mc.delete(HIT);
      await mc.delete(K + 'empty');
      return 'ok';
    },
  };
}

function serve(memjs) {
  const table = steps(memjs);
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
