import { strict as assert } from 'node:assert';
import { commandKind, keysRead, tallyExecSlot, tallyReply, type ReadKind } from '../src/cache/reads';
import { backendName } from '../src/cache/ioredis';

describe('cache reads (unit)', () => {
  // [command name, kind]
  const kinds: Array<[unknown, string | undefined]> = [
    ['get', 'single'],
    ['GET', 'single'],
    ['Get', 'single'],
    ['getex', 'single'],
    ['getdel', 'single'],
    ['GETDEL', 'single'],
    ['hget', 'single'],
    ['mget', 'mget'],
    ['MGET', 'mget'],
    ['hmget', 'hmget'],
    ['multi', 'multi'],
    ['exec', 'exec'],
    ['discard', 'discard'],
    ['set', undefined],
    ['getset', undefined],
    ['hgetall', undefined],
    ['getrange', undefined],
    ['SET', undefined],
    ['', undefined],
    [undefined, undefined],
    [42, undefined],
  ];
  for (const [name, kind] of kinds) {
    it(`commandKind(${JSON.stringify(name)}) is ${kind}`, () => assert.equal(commandKind(name), kind));
  }

  // [kind, args, keys]
  const keys: Array<[ReadKind, unknown, number]> = [
    ['single', ['k'], 1],
    ['single', ['k', 'EX', 10], 1],
    ['mget', ['a', 'b', 'c'], 3],
    ['mget', [], 0],
    ['hmget', ['h', 'f1', 'f2'], 2],
    ['hmget', ['h'], 0],
    ['hmget', undefined, 0],
  ];
  for (const [kind, args, n] of keys) {
    it(`keysRead(${kind}, ${JSON.stringify(args)}) is ${n}`, () => assert.equal(keysRead(kind, args), n));
  }

  // [kind, keys, reply, hits, misses, fails]
  const replies: Array<[ReadKind, number, unknown, number, number, number]> = [
    ['single', 1, 'v', 1, 0, 0],
    ['single', 1, Buffer.from('v'), 1, 0, 0],
    ['single', 1, '', 1, 0, 0],
    ['single', 1, null, 0, 1, 0],
    ['mget', 3, ['a', null, 'b'], 2, 1, 0],
    ['mget', 2, [null, null], 0, 2, 0],
    ['hmget', 2, ['x', null], 1, 1, 0],
    ['mget', 2, 'not an array', 0, 0, 2],
  ];
  for (const [kind, n, reply, hits, misses, fails] of replies) {
    it(`tallyReply(${kind}, ${n}, ${JSON.stringify(reply)}) is ${hits} hits ${misses} misses ${fails} fails`, () => {
      assert.deepEqual(tallyReply(kind, n, reply), { hits, misses, fails });
    });
  }

  it('an error slot of an EXEC reply fails every key of that read', () => {
    assert.deepEqual(tallyExecSlot('mget', 3, new Error('WRONGTYPE')), { hits: 0, misses: 0, fails: 3 });
    assert.deepEqual(tallyExecSlot('single', 1, 'v'), { hits: 1, misses: 0, fails: 0 });
    assert.deepEqual(tallyExecSlot('single', 1, null), { hits: 0, misses: 1, fails: 0 });
  });

  // [options, cluster, backend]
  const backends: Array<[unknown, boolean, string]> = [
    [{ connectionName: 'sessions' }, false, 'sessions'],
    [{ connectionName: '' }, false, 'redis'],
    [{ connectionName: null }, false, 'redis'],
    [{}, false, 'redis'],
    [undefined, false, 'redis'],
    [{ redisOptions: { connectionName: 'shard' } }, true, 'shard'],
    [{ connectionName: 'ignored' }, true, 'redis'],
    [{ redisOptions: {} }, true, 'redis'],
  ];
  for (const [options, cluster, backend] of backends) {
    it(`backendName(${JSON.stringify(options)}, cluster=${cluster}) is ${backend}`, () => {
      assert.equal(backendName(options as Parameters<typeof backendName>[0], cluster), backend);
    });
  }
});
