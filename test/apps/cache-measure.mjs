// ES module app: measures a Map, a promise-returning cache and keyv (batch reads) with one line each.
import http from 'node:http';
import { measureCache } from 'autoprom';
import { Keyv } from 'keyv';

const locmem = measureCache(new Map([['a', 1]]), 'locmem');
const remote = measureCache(
  {
    store: new Map([['a', 'x']]),
    get(k) {
      return Promise.resolve(this.store.get(k));
    },
  },
  'remote',
);
// keyv's get([...]) and getMany count each key.
const kv = measureCache(new Keyv(), 'keyv');
const broken = measureCache(
  {
    get() {
      throw new Error('cache down');
    },
  },
  'broken',
);

const server = http.createServer(async (req, res) => {
  const out = [locmem.get('a'), locmem.get('b'), locmem instanceof Map, await remote.get('a'), await remote.get('b')];
  try {
    broken.get('a');
  } catch (err) {
    out.push(err.message);
  }
  await kv.set('a', '1');
  out.push(await kv.get(['a', 'b', 'a']), await kv.getMany(['a', 'b']), await kv.get('a'));
  res.end(JSON.stringify(out));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
});
