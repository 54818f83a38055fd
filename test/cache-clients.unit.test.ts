import { strict as assert } from 'node:assert';
import { isRedirection, keysInArgv, keysInJsArgs, type ReadKind } from '../src/cache/reads';
import { nodeRedisBackend } from '../src/cache/node-redis';
import { memjsBackend } from '../src/cache/memjs';
import { keysOfCall, tallyBatchReply, tallyRead } from '../src/cache/measure';

describe('cache clients: node-redis, memjs and batch reads (unit)', () => {
  // [kind, whole command line, keys]
  const argv: Array<[ReadKind, unknown, number]> = [
    ['single', ['GET', 'k'], 1],
    ['single', ['GETEX', 'k', 'EX', '10'], 1],
    ['mget', ['MGET', 'a', 'b', 'c'], 3],
    ['mget', ['MGET'], 0],
    ['hmget', ['HMGET', 'h', 'f1', 'f2'], 2],
    ['hmget', ['HMGET', 'h'], 0],
    ['hmget', ['HMGET'], 0],
    ['mget', undefined, 0],
  ];
  for (const [kind, args, n] of argv) {
    it(`keysInArgv(${kind}, ${JSON.stringify(args)}) is ${n}`, () => assert.equal(keysInArgv(kind, args), n));
  }

  // node-redis 4 read methods: [kind, JavaScript arguments, keys]
  const jsArgs: Array<[ReadKind, unknown[], number]> = [
    ['single', ['k'], 1],
    ['mget', [['a', 'b', 'c']], 3],
    ['mget', ['a'], 1],
    ['mget', [{ returnBuffers: true }, ['a', 'b']], 2],
    ['mget', [Buffer.from('a')], 1],
    ['mget', [], 0],
    ['hmget', ['h', ['f1', 'f2']], 2],
    ['hmget', ['h', 'f1'], 1],
    ['hmget', [{ returnBuffers: true }, 'h', ['f1', 'f2', 'f3']], 3],
    ['hmget', ['h'], 0],
  ];
  for (const [kind, args, n] of jsArgs) {
    it(`keysInJsArgs(${kind}, ${JSON.stringify(args)}) is ${n}`, () => assert.equal(keysInJsArgs(kind, args), n));
  }

  // [error, is a cluster redirection]
  const redirections: Array<[unknown, boolean]> = [
    [new Error('MOVED 3999 127.0.0.1:6381'), true],
    [new Error('ASK 3999 127.0.0.1:6381'), true],
    [new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), false],
    [new Error('MOVEDX'), false],
    [new Error('EXECABORT Transaction discarded because of previous errors.'), false],
    ['MOVED 1 x', false],
    [null, false],
    [undefined, false],
  ];
  for (const [err, yes] of redirections) {
    it(`isRedirection(${String(err)}) is ${yes}`, () => assert.equal(isRedirection(err), yes));
  }

  // [options, backend]
  const names: Array<[{ name?: unknown } | undefined, string, string]> = [
    [{ name: 'appcache' }, 'appcache', 'appcache'],
    [{}, 'redis', 'memcached'],
    [{ name: '' }, 'redis', 'memcached'],
    [{ name: 42 }, 'redis', 'memcached'],
    [undefined, 'redis', 'memcached'],
  ];
  for (const [options, redis, memcached] of names) {
    it(`backend of ${JSON.stringify(options)}: node-redis ${redis}, memjs ${memcached}`, () => {
      assert.equal(nodeRedisBackend(options), redis);
      assert.equal(memjsBackend(options), memcached);
    });
  }

  // [method, first argument, reply, hits, misses]
  const batches: Array<[string, unknown, unknown, number, number]> = [
    ['get', 'a', 'x', 1, 0],
    ['get', 'a', null, 0, 1],
    ['get', 'a', undefined, 0, 1],
    ['get', 'a', 0, 1, 0],
    // keyv: get([...]) answers one slot per key.
    ['get', ['a', 'b', 'c'], ['x', undefined, 'z'], 2, 1],
    // A Map keyed by an array answers one value: one read.
    ['get', ['a', 'b'], 'v', 1, 0],
    ['get', ['a', 'b'], undefined, 0, 1],
    ['getMany', ['a', 'b'], [null, 'y'], 1, 1],
    ['getMany', ['a', 'b'], [], 0, 2],
    // node-cache's mget: an object of the keys found.
    ['mget', ['a', 'b', 'c'], { a: 1, c: 0 }, 2, 1],
    ['mget', ['a', 'b'], new Map([['b', 'y']]), 1, 1],
    ['mget', ['a', 'b'], null, 0, 2],
    ['mget', 'a', ['x'], 1, 0],
  ];
  for (const [method, first, reply, hits, misses] of batches) {
    it(`tallyRead(${method}, ${JSON.stringify(first)}, ${JSON.stringify(reply) ?? 'undefined'}) is ${hits} hits ${misses} misses`, () => {
      assert.deepEqual(tallyRead(method, first, reply), { hits, misses, fails: 0 });
    });
  }

  it('tallyBatchReply counts the keys asked for, whatever came back', () => {
    assert.deepEqual(tallyBatchReply(['a', 'b'], ['x', 'y', 'z']), { hits: 2, misses: 0, fails: 0 });
    assert.deepEqual(tallyBatchReply([], ['x']), { hits: 0, misses: 0, fails: 0 });
  });

  it('keysOfCall: each key of an array argument fails, else one', () => {
    assert.equal(keysOfCall(['a', 'b', 'c']), 3);
    assert.equal(keysOfCall('a'), 1);
    assert.equal(keysOfCall([]), 1);
    assert.equal(keysOfCall(undefined), 1);
  });
});
