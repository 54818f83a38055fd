/**
 * django_cache_* from node-redis (`redis` 4, 5 and 6: the `@redis/client` package 1.x, 5.x, 6.x),
 * with no application code.
 *
 * Where a read is seen, on evidence from the three majors:
 * - one command: `RedisClient.prototype.sendCommand(args)` (every command method of 5 and 6,
 *   cluster nodes of 4, 5 and 6, raw `sendCommand`); in 4, the read methods themselves (`get`,
 *   `mGet`…), whose executor 4 captures when the module loads. The promise the application
 *   gets is derived from the client's (it settles the same way, and an ignored rejection is
 *   still an unhandled rejection). The offline queue holds that one command: counted once.
 * - a pipeline: each command's own promise, taken in `RedisCommandsQueue.prototype.addCommand`
 *   while the client's pipeline executor runs (its replies are one Promise.all: one error
 *   reply would hide the others' outcomes).
 * - MULTI: the EXEC reply, slot by slot (the commands' own replies are only QUEUED).
 * A failure before the queue (a closed client, `disableOfflineQueue` while offline) is a
 * rejection of the same promise. A MOVED/ASK reply is a cluster redirection: the cluster
 * re-sends the read and the final attempt counts, or it gives up (`maxCommandRedirections`,
 * a MULTI that 5 does not redirect) and the redirection counts as the failure, decided where
 * the cluster's redirection loop returns.
 *
 * Not used, on evidence: the `node-redis:command`/`node-redis:batch` tracing channels of
 * node-redis 5.12+/6 give a MULTI no commands and a command no client name, and 4 has none.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import type { AreaContext } from '../core/area';
import { couldNotInstrument, guarded, internalError } from '../core/log';
import { patchMethod, unpatchMethod, type AnyFunction } from '../core/patch';
import { VERSION } from '../core/version';
import { commandKind, isRedirection, keysInArgv, keysInJsArgs, tallyExecSlot, tallyReply, type ReadKind } from './reads';
import { cacheSeries, type CacheSeries } from './cache-client';

/** node-redis 4 ships `@redis/client` 1.x; 5 and 6 ship the same major of it. */
const SUPPORTED_VERSIONS = ['>=1.0.0 <2', '>=5.0.0 <7'];
const CLIENT_FILE = '@redis/client/dist/lib/client/index.js';
const QUEUE_FILE = '@redis/client/dist/lib/client/commands-queue.js';
const CLUSTER_FILE = '@redis/client/dist/lib/cluster/index.js';

/** node-redis 4's read methods, both spellings (its executor is captured: these are patched one by one). */
export const V4_READ_METHODS: ReadonlyArray<[string, ReadKind]> = [
  ['GET', 'single'],
  ['get', 'single'],
  ['GETEX', 'single'],
  ['getEx', 'single'],
  ['GETDEL', 'single'],
  ['getDel', 'single'],
  ['HGET', 'single'],
  ['hGet', 'single'],
  ['MGET', 'mget'],
  ['mGet', 'mget'],
  ['HMGET', 'hmget'],
  ['hmGet', 'hmget'],
];

const SERIES = Symbol('autoprom.cache.series');

interface ClientLike {
  /** 5 and 6: a command-options proxy (`withTypeMapping`…) points at the client itself. */
  _self?: ClientLike;
  options?: { name?: unknown };
  [SERIES]?: CacheSeries;
}

interface QueuedCommand {
  args?: unknown;
}

/**
 * Failures held back because their error was a MOVED/ASK redirection, by error object: the
 * cluster either re-sends the read (the new attempt counts; this entry is dropped with the
 * error) or gives up and rejects with this error (or one caused by it): then it counts.
 */
const redirected = new WeakMap<object, () => void>();

/** Inside a cluster's redirection loop (5, 6: set while the loop hands a command to a node). */
let clusterLoopDepth = 0;

/** Whether a redirection of a command sent now will be followed: 4 sends every cluster command through its loop. */
type RedirectsFollowed = () => boolean;
const followedInLoop: RedirectsFollowed = () => clusterLoopDepth > 0;
const alwaysFollowed: RedirectsFollowed = () => true;

function failUnlessRedirected(err: unknown, followed: boolean, fail: () => void): void {
  if (followed && isRedirection(err) && typeof err === 'object' && err !== null) redirected.set(err, fail);
  else fail();
}

/** The cluster rejected a command for good: count the failure a redirection held back. */
function settleRedirected(err: unknown): void {
  for (const e of [err, (err as { cause?: unknown } | null | undefined)?.cause]) {
    if (typeof e !== 'object' || e === null) continue;
    const fail = redirected.get(e);
    if (fail !== undefined) {
      redirected.delete(e);
      fail();
      return;
    }
  }
}

/** The reads of a pipeline being handed to the queue (set only while its executor runs). */
let pipelineSeries: CacheSeries | undefined;
/** How many of its reads reached the queue. */
let pipelineReadsQueued = 0;
/** Whether its redirections will be followed. */
let pipelineRedirectsFollowed = false;

/** `backend` label of a client: its `name` option when set (a cluster's `defaults.name` reaches each node), else `redis`. */
export function nodeRedisBackend(options: ClientLike['options']): string {
  const name = options?.name;
  return typeof name === 'string' && name !== '' ? name : 'redis';
}

export class NodeRedisCacheInstrumentation extends InstrumentationBase {
  private ctx: AreaContext | undefined;

  constructor(ctx: AreaContext) {
    super('autoprom-node-redis-cache', VERSION, {});
    this.ctx = ctx;
  }

  protected override init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition('@redis/client', SUPPORTED_VERSIONS, undefined, undefined, [
        new InstrumentationNodeModuleFile(
          CLIENT_FILE,
          SUPPORTED_VERSIONS,
          (exports: unknown) => this.patchClient(exports),
          (exports: unknown) => unpatchClient(exports),
        ),
        new InstrumentationNodeModuleFile(
          CLUSTER_FILE,
          SUPPORTED_VERSIONS,
          (exports: unknown) => patchCluster(exports),
          (exports: unknown) => unpatchCluster(exports),
        ),
        new InstrumentationNodeModuleFile(
          QUEUE_FILE,
          SUPPORTED_VERSIONS,
          (exports: unknown) => patchQueue(exports),
          (exports: unknown) => unpatchQueue(exports),
        ),
      ]),
    ];
  }

  private seriesOf(client: ClientLike): CacheSeries | undefined {
    const ctx = this.ctx;
    if (ctx === undefined || !this._enabled) return undefined;
    const self = client._self ?? client;
    let s = self[SERIES];
    if (s === undefined) {
      s = cacheSeries(ctx.registry, nodeRedisBackend(self.options));
      self[SERIES] = s;
    }
    return s;
  }

  private patchClient(moduleExports: unknown): unknown {
    try {
      const proto = clientPrototype(moduleExports);
      if (proto === undefined) throw new Error('RedisClient.prototype.sendCommand not found');
      const v4 = typeof proto._executeCommand !== 'function';
      const seriesOf = (client: ClientLike) => this.seriesOf(client);
      const followed = v4 ? alwaysFollowed : followedInLoop;
      patchMethod(proto, 'sendCommand', (original) => wrapSendCommand(original, seriesOf, followed));
      if (!v4) {
        // 5 and 6: every command method goes through sendCommand; batches through these two.
        patchMethod(proto, '_executePipeline', (original) => wrapPipeline(original, seriesOf, followed));
        patchMethod(proto, '_executeMulti', (original) => wrapMulti(original, seriesOf, followed, (reply) => reply));
      } else {
        // 4: one executor for MULTI (with a chain id) and pipelines (without); its reply ends with EXEC's.
        patchMethod(proto, 'multiExecutor', (original) => wrapV4MultiExecutor(original, seriesOf));
        for (const [name, kind] of V4_READ_METHODS) patchMethod(proto, name, (original) => wrapV4Read(original, kind, seriesOf));
      }
    } catch (err) {
      couldNotInstrument('redis', 'cache metrics off', err);
    }
    return moduleExports;
  }
}

function clientPrototype(moduleExports: unknown): Record<string, unknown> | undefined {
  const ctor = (moduleExports as { default?: { prototype?: Record<string, unknown> } } | null)?.default;
  const proto = ctor?.prototype;
  return proto !== undefined && typeof proto.sendCommand === 'function' ? proto : undefined;
}

function queuePrototype(moduleExports: unknown): Record<string, unknown> | undefined {
  const proto = (moduleExports as { default?: { prototype?: Record<string, unknown> } } | null)?.default?.prototype;
  return proto !== undefined && typeof proto.addCommand === 'function' ? proto : undefined;
}

function unpatchClient(moduleExports: unknown): void {
  const proto = clientPrototype(moduleExports);
  if (proto === undefined) return;
  for (const name of ['sendCommand', '_executePipeline', '_executeMulti', 'multiExecutor', ...V4_READ_METHODS.map(([n]) => n)]) {
    unpatchMethod(proto, name);
  }
}

/** The method every cluster command's redirections loop runs in: `_execute` (5, 6), `sendCommand` (4). */
function clusterRetryLoop(moduleExports: unknown): [Record<string, unknown>, string] | undefined {
  const proto = (moduleExports as { default?: { prototype?: Record<string, unknown> } } | null)?.default?.prototype;
  if (proto === undefined) return undefined;
  if (typeof proto._execute === 'function') return [proto, '_execute'];
  if (typeof proto.sendCommand === 'function') return [proto, 'sendCommand'];
  return undefined;
}

function patchCluster(moduleExports: unknown): unknown {
  try {
    const loop = clusterRetryLoop(moduleExports);
    if (loop === undefined) throw new Error('RedisCluster.prototype._execute not found');
    patchMethod(loop[0], loop[1], (original) => wrapClusterRetryLoop(original, loop[1] === '_execute' ? 3 : undefined));
  } catch (err) {
    couldNotInstrument('redis', 'cluster reads that exhaust their redirections not counted', err);
  }
  return moduleExports;
}

function unpatchCluster(moduleExports: unknown): void {
  const loop = clusterRetryLoop(moduleExports);
  if (loop !== undefined) unpatchMethod(loop[0], loop[1]);
}

/**
 * The cluster's redirection loop. `fnArgument`: the position of the function it calls with
 * each node (5, 6), wrapped so that the node's reads know their redirections are followed.
 */
function wrapClusterRetryLoop(original: AnyFunction, fnArgument: number | undefined): AnyFunction {
  return function clusterCommand(this: unknown, ...args: unknown[]) {
    const fn = fnArgument === undefined ? undefined : args[fnArgument];
    if (fnArgument !== undefined && typeof fn === 'function') {
      args[fnArgument] = function (this: unknown) {
        clusterLoopDepth++;
        try {
          return (fn as AnyFunction).apply(this, arguments as unknown as unknown[]) as unknown;
        } finally {
          clusterLoopDepth--;
        }
      };
    }
    const result: unknown = original.apply(this, args);
    if (!(result instanceof Promise)) return result;
    // Derived, so that a rejection the application ignores is still unhandled.
    return result.then(undefined, (err: unknown) => {
      try {
        settleRedirected(err);
      } catch {
        // The application gets its error unchanged.
      }
      throw err;
    });
  };
}

function patchQueue(moduleExports: unknown): unknown {
  try {
    const proto = queuePrototype(moduleExports);
    if (proto === undefined) throw new Error('RedisCommandsQueue.prototype.addCommand not found');
    patchMethod(proto, 'addCommand', (original) => wrapAddCommand(original));
  } catch (err) {
    couldNotInstrument('redis', 'pipelined reads not counted', err);
  }
  return moduleExports;
}

function unpatchQueue(moduleExports: unknown): void {
  const proto = queuePrototype(moduleExports);
  if (proto !== undefined) unpatchMethod(proto, 'addCommand');
}

type SeriesOf = (client: ClientLike) => CacheSeries | undefined;

/** Count one read when `reply` settles, on a promise derived from it (returned instead of it). */
function countedReply(reply: unknown, kind: ReadKind, keys: number, series: CacheSeries, followed: boolean): unknown {
  if (!(reply instanceof Promise)) return reply;
  return reply.then(
    (value: unknown) => {
      try {
        series.tally(tallyReply(kind, keys, value));
      } catch {
        // Counting must never change what the application receives.
      }
      return value;
    },
    (err: unknown) => {
      try {
        failUnlessRedirected(err, followed, () => series.fail(keys));
      } catch {
        // As above: the application gets its error unchanged.
      }
      throw err;
    },
  );
}

function wrapSendCommand(original: AnyFunction, seriesOf: SeriesOf, followed: RedirectsFollowed): AnyFunction {
  return function sendCommand(this: ClientLike, args: unknown) {
    const result: unknown = original.apply(this, arguments as unknown as unknown[]);
    try {
      // The hot path for every other command: one property read and one Map lookup.
      const kind = Array.isArray(args) ? commandKind(args[0]) : undefined;
      if (kind !== 'single' && kind !== 'mget' && kind !== 'hmget') return result;
      const series = seriesOf(this);
      if (series !== undefined) return countedReply(result, kind, keysInArgv(kind, args), series, followed());
    } catch (err) {
      internalError('redis cache metrics', err);
    }
    return result;
  };
}

function wrapV4Read(original: AnyFunction, kind: ReadKind, seriesOf: SeriesOf): AnyFunction {
  return function read(this: ClientLike, ...args: unknown[]) {
    const result: unknown = original.apply(this, args);
    try {
      // `commandOptions({ isolated: true })`: the isolated connection's own sendCommand counts it.
      if (isIsolated(args[0])) return result;
      const series = seriesOf(this);
      if (series !== undefined) return countedReply(result, kind, keysInJsArgs(kind, args), series, true);
    } catch (err) {
      internalError('redis cache metrics', err);
    }
    return result;
  };
}

/** node-redis's WatchError (its `name` is plain 'Error'): the transaction did not run. */
function isWatchAbort(err: unknown): boolean {
  const e = err as { name?: unknown; constructor?: { name?: unknown } } | null | undefined;
  return e?.name === 'WatchError' || e?.constructor?.name === 'WatchError';
}

function isIsolated(first: unknown): boolean {
  return typeof first === 'object' && first !== null && (first as { isolated?: unknown }).isolated === true;
}

/** The reads among a batch's commands (`[{ args }]`), with their positions. */
function readsOf(commands: unknown): Array<{ kind: ReadKind; keys: number; position: number }> {
  const reads: Array<{ kind: ReadKind; keys: number; position: number }> = [];
  if (!Array.isArray(commands)) return reads;
  for (let position = 0; position < commands.length; position++) {
    const args = (commands[position] as QueuedCommand | undefined)?.args;
    const kind = Array.isArray(args) ? commandKind(args[0]) : undefined;
    if (kind === 'single' || kind === 'mget' || kind === 'hmget') reads.push({ kind, keys: keysInArgv(kind, args), position });
  }
  return reads;
}

/** Run a pipeline executor with its reads observed one by one where they enter the queue. */
function runPipeline(
  original: AnyFunction,
  self: unknown,
  args: unknown[],
  commands: unknown,
  series: CacheSeries | undefined,
  followed: boolean,
): unknown {
  const outerSeries = pipelineSeries;
  const outerQueued = pipelineReadsQueued;
  const outerFollowed = pipelineRedirectsFollowed;
  pipelineSeries = series;
  pipelineReadsQueued = 0;
  pipelineRedirectsFollowed = followed;
  let result: unknown;
  let queued: number;
  try {
    result = original.apply(self, args);
  } finally {
    queued = pipelineReadsQueued;
    pipelineSeries = outerSeries;
    pipelineReadsQueued = outerQueued;
    pipelineRedirectsFollowed = outerFollowed;
  }
  try {
    // No read reached the queue: none in the pipeline, or a closed client, whose rejection fails each read.
    if (series !== undefined && queued === 0 && result instanceof Promise) {
      result.then(
        undefined,
        guarded('redis cache metrics', (err: unknown) =>
          failUnlessRedirected(err, followed, () => {
            for (const r of readsOf(commands)) series.fail(r.keys);
          }),
        ),
      );
    }
  } catch (err) {
    internalError('redis cache metrics', err);
  }
  return result;
}

function wrapPipeline(original: AnyFunction, seriesOf: SeriesOf, followed: RedirectsFollowed): AnyFunction {
  return function _executePipeline(this: ClientLike, commands: unknown) {
    let series: CacheSeries | undefined;
    try {
      series = seriesOf(this);
    } catch (err) {
      internalError('redis cache metrics', err);
    }
    return runPipeline(original, this, arguments as unknown as unknown[], commands, series, followed());
  };
}

/**
 * Count a MULTI's reads from its EXEC reply: `execReplyOf` picks it from what the executor
 * resolves with. A WatchError (nothing ran) counts nothing; any other rejection fails each read.
 * The executor's promise is internal (the MULTI object awaits it), so a handler on it hides nothing.
 */
function observeMulti(
  result: unknown,
  commands: unknown,
  series: CacheSeries,
  followed: boolean,
  execReplyOf: (reply: unknown) => unknown,
): void {
  if (!(result instanceof Promise)) return;
  const reads = readsOf(commands);
  if (reads.length === 0) return;
  result.then(
    (value: unknown) => {
      try {
        const exec = execReplyOf(value);
        if (!Array.isArray(exec)) return;
        for (const r of reads) series.tally(tallyExecSlot(r.kind, r.keys, exec[r.position]));
      } catch (err) {
        internalError('redis cache metrics', err);
      }
    },
    guarded('redis cache metrics', (err: unknown) => {
      if (isWatchAbort(err)) return;
      failUnlessRedirected(err, followed, () => {
        for (const r of reads) series.fail(r.keys);
      });
    }),
  );
}

function wrapMulti(
  original: AnyFunction,
  seriesOf: SeriesOf,
  followedNow: RedirectsFollowed,
  execReplyOf: (reply: unknown) => unknown,
): AnyFunction {
  return function _executeMulti(this: ClientLike, commands: unknown) {
    const followed = followedNow();
    const result: unknown = original.apply(this, arguments as unknown as unknown[]);
    try {
      const series = seriesOf(this);
      if (series !== undefined) observeMulti(result, commands, series, followed, execReplyOf);
    } catch (err) {
      internalError('redis cache metrics', err);
    }
    return result;
  };
}

/** node-redis 4: `multiExecutor(commands, selectedDB, chainId)`, a MULTI when chainId is given, else a pipeline. */
function wrapV4MultiExecutor(original: AnyFunction, seriesOf: SeriesOf): AnyFunction {
  const multi = wrapMulti(original, seriesOf, alwaysFollowed, (replies) =>
    Array.isArray(replies) ? replies[replies.length - 1] : undefined,
  );
  const pipeline = wrapPipeline(original, seriesOf, alwaysFollowed);
  return function multiExecutor(this: ClientLike, _commands: unknown, _selectedDB: unknown, chainId: unknown) {
    return (chainId === undefined ? pipeline : multi).apply(this, arguments as unknown as unknown[]) as unknown;
  };
}

function wrapAddCommand(original: AnyFunction): AnyFunction {
  return function addCommand(this: unknown, args: unknown) {
    const result: unknown = original.apply(this, arguments as unknown as unknown[]);
    const series = pipelineSeries;
    // Outside a pipeline executor: one module variable read.
    if (series === undefined) return result;
    const followed = pipelineRedirectsFollowed;
    try {
      const kind = Array.isArray(args) ? commandKind(args[0]) : undefined;
      if ((kind === 'single' || kind === 'mget' || kind === 'hmget') && result instanceof Promise) {
        pipelineReadsQueued++;
        const keys = keysInArgv(kind, args);
        // Inside a pipeline the queue's promise goes to Promise.all, never to the application.
        result.then(
          guarded('redis cache metrics', (value: unknown) => series.tally(tallyReply(kind, keys, value))),
          guarded('redis cache metrics', (err: unknown) => failUnlessRedirected(err, followed, () => series.fail(keys))),
        );
      }
    } catch (err) {
      internalError('redis cache metrics', err);
    }
    return result;
  };
}
