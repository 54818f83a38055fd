// CommonJS app: measures a Map and a promise-returning cache with one line each.
'use strict';
const http = require('node:http');
const { measureCache } = require('autoprom');

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
const broken = measureCache(
  {
    get() {
      throw new Error('cache down');
    },
  },
  'broken',
);

http
  .createServer(async (req, res) => {
    const out = [locmem.get('a'), locmem.get('b'), locmem instanceof Map, await remote.get('a'), await remote.get('b')];
    try {
      broken.get('a');
    } catch (err) {
      out.push(err.message);
    }
    res.end(JSON.stringify(out));
  })
  .listen(0, '127.0.0.1', function () {
    process.stdout.write(`READY ${JSON.stringify({ port: this.address().port })}\n`);
  });
