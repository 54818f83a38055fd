/**
 * django_cache_* from ioredis, with no application code.
 *
 * Patches `Redis.prototype.sendCommand` and `Cluster.prototype.sendCommand`: every command
 * of every API (promise, callback, pipeline, MULTI, `call`) passes there. A read command's
 * outcome is taken from its own resolve/reject (wrapped once per Command object), so:
 * - a command re-sent from the offline queue, or resent after a reconnect, or redirected
 *   inside a cluster, is the same Command object and counts once;
 * - a rejection (refused connection, timeout, error reply, connection lost) is seen
 *   without attaching a handler to the application's promise, which stays exactly as
 *   ioredis made it (an unhandled rejection is still unhandled).
 * A cluster pipeline retried after MOVED/ASK gives its commands new promises: they are
 * observed again, and the rejected attempt counts only if the pipeline gives up
 * (decided in `Pipeline.prototype.fillResult`).
 *
 * Not used, on evidence: OpenTelemetry's instrumentation-ioredis records no metric, its
 * responseHook never sees rejections and fires twice for offline-queued commands; the
 * `ioredis:command` diagnostics channel of ioredis 5.9+/6 traces only commands written to
 * a socket, so a refused connection's failed reads never reach it.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { AreaContext } from '../core/area';
import { couldNotInstrument, internalError } from '../core/log';
import { patchMethod, unpatchMethod } from '../core/patch';
import { VERSION } from '../core/version';
import { commandKind, keysRead, tallyExecSlot, tallyReply, type ReadKind } from './reads';
import { cacheSeries, type CacheSeries } from './cache-client';

/**
 * ioredis itself, and the alias under which an application runs two majors side by side
 * (`npm i ioredis5@npm:ioredis@5`): the module hooks match the installed directory name.
 */
export const IOREDIS_MODULE_NAMES = ['ioredis', 'ioredis5'] as const;
const SUPPORTED_VERSIONS = ['>=5.0.0 <7'];

/**
 * The promise of a Command when autoprom saw it. Offline-queue, reconnect and single-command
 * cluster re-sends keep the promise (seen: skipped); a cluster pipeline retry gives every
 * command a new one (seen again: its new attempt is observed).
 */
const SEEN = Symbol('autoprom.cache.seen');
/** A rejected cluster-pipeline attempt whose failure counts only if the pipeline does not retry it. */
const DEFERRED = Symbol('autoprom.cache.deferred');
/** The series of a client, resolved on its first read. */
const SERIES = Symbol('autoprom.cache.series');
/** An open non-pipelined MULTI on a client (`multi({ pipeline: false })`). */
const OPEN_MULTI = Symbol('autoprom.cache.multi');
/** Reads queued inside the MULTI of one pipeline write (keyed on the pipeline's stream object). */
const PIPELINE_READS = Symbol('autoprom.cache.pipelineReads');

interface CommandLike {
  name: string;
  args: unknown[];
  promise: unknown;
  resolve: (value: unknown) => unknown;
  reject: (err: unknown) => unknown;
  inTransaction?: boolean;
  pipelineIndex?: number;
  [SEEN]?: unknown;
  [DEFERRED]?: { fail: () => void };
}

interface QueuedRead {
  kind: ReadKind;
  keys: number;
  /** Position in the pipeline (pipelined MULTI) or among the commands since MULTI (direct MULTI). */
  position: number;
}

interface OpenMulti {
  /** The socket MULTI went out on: a transaction does not survive a reconnection. */
  stream: unknown;
  /** Commands sent since MULTI. */
  count: number;
  reads: QueuedRead[];
}

interface ClientLike {
  options?: { connectionName?: unknown; redisOptions?: { connectionName?: unknown } };
  stream?: unknown;
  [SERIES]?: CacheSeries;
  [OPEN_MULTI]?: OpenMulti;
}

interface PipelineStreamLike {
  isPipeline?: boolean;
  [PIPELINE_READS]?: QueuedRead[];
}

type SendCommand = (this: ClientLike, command: CommandLike, stream?: PipelineStreamLike, ...rest: unknown[]) => unknown;

/** `backend` label of a client: its connectionName when set, else `redis`. */
export function backendName(options: ClientLike['options'], cluster: boolean): string {
  const name = cluster ? options?.redisOptions?.connectionName : options?.connectionName;
  return typeof name === 'string' && name !== '' ? name : 'redis';
}

export class IoredisCacheInstrumentation extends InstrumentationBase {
  private ctx: AreaContext | undefined;

  constructor(ctx: AreaContext) {
    super('autoprom-ioredis-cache', VERSION, {});
    this.ctx = ctx;
  }

  protected override init(): InstrumentationNodeModuleDefinition[] {
    return IOREDIS_MODULE_NAMES.map(
      (name) =>
        new InstrumentationNodeModuleDefinition(
          name,
          SUPPORTED_VERSIONS,
          (exports: unknown) => this.patch(exports),
          (exports: unknown) => this.unpatch(exports),
        ),
    );
  }

  /** Patch the prototypes (not the exports), so the CommonJS exports and an ES module namespace both see it. */
  private patch(moduleExports: unknown): unknown {
    try {
      for (const { proto, cluster } of clientPrototypes(moduleExports)) {
        patchMethod(proto, 'sendCommand', (original) => this.wrapSendCommand(original as SendCommand, cluster));
      }
      const pipeline = pipelinePrototype(moduleExports);
      if (pipeline !== undefined) patchMethod(pipeline, 'fillResult', (original) => wrapFillResult(original as FillResult));
    } catch (err) {
      couldNotInstrument('ioredis', 'cache metrics off', err);
    }
    return moduleExports;
  }

  private unpatch(moduleExports: unknown): void {
    for (const { proto } of clientPrototypes(moduleExports)) unpatchMethod(proto, 'sendCommand');
    const pipeline = pipelinePrototype(moduleExports);
    if (pipeline !== undefined) unpatchMethod(pipeline, 'fillResult');
  }

  private wrapSendCommand(original: SendCommand, cluster: boolean): SendCommand {
    const instrumentation = this;
    return function sendCommand(this: ClientLike, command: CommandLike) {
      try {
        // The hot path for every other command: one Map lookup and one property read.
        const kind = commandKind(command?.name);
        if ((kind !== undefined || this?.[OPEN_MULTI] !== undefined) && command[SEEN] !== command.promise && instrumentation._enabled) {
          observeCommand(this, command, arguments[1] as PipelineStreamLike | undefined, kind, cluster, instrumentation.ctx);
        }
      } catch (err) {
        internalError('ioredis cache metrics', err);
      }

      return original.apply(this, arguments as unknown as Parameters<SendCommand>);
    };
  }
}

type FillResult = (this: PipelineLike, value: unknown, position: number) => unknown;

interface PipelineLike {
  _queue?: CommandLike[];
  replyPending?: number;
  resolve?: (value: unknown) => unknown;
}

/**
 * `Pipeline.prototype.fillResult` takes each reply of a pipeline; with the last one it
 * either resolves the pipeline (the application gets these replies) or, after a cluster
 * redirection, re-sends the commands and returns without resolving. Only then is it known
 * whether a rejected attempt was final.
 */
function wrapFillResult(original: FillResult): FillResult {
  return function fillResult(this: PipelineLike, _value: unknown, _position: number) {
    const queue = this._queue;
    const pipelineResolve = this.resolve;
    if (
      this.replyPending !== 1 ||
      !Array.isArray(queue) ||
      typeof pipelineResolve !== 'function' ||
      !queue.some((c) => c[DEFERRED] !== undefined)
    ) {
      return original.apply(this, arguments as unknown as [unknown, number]);
    }
    let resolved = false;
    this.resolve = function (this: unknown) {
      resolved = true;

      return pipelineResolve.apply(this, arguments as unknown as [unknown]);
    };
    try {
      return original.apply(this, arguments as unknown as [unknown, number]);
    } finally {
      this.resolve = pipelineResolve;
      try {
        for (const command of queue) {
          const deferred = command[DEFERRED];
          if (deferred === undefined) continue;
          command[DEFERRED] = undefined;
          // Resolved: the application gets this failure. Not resolved: the retry is observed when re-sent.
          if (resolved) deferred.fail();
        }
      } catch (err) {
        internalError('ioredis cache metrics', err);
      }
    }
  };
}

function pipelinePrototype(moduleExports: unknown): Record<string, unknown> | undefined {
  for (const root of [moduleExports, (moduleExports as { default?: unknown } | null)?.default]) {
    const proto = (root as { Pipeline?: { prototype?: Record<string, unknown> } } | null | undefined)?.Pipeline?.prototype;
    if (proto !== undefined && typeof proto.fillResult === 'function') return proto;
  }
  return undefined;
}

function clientPrototypes(moduleExports: unknown): Array<{ proto: Record<string, unknown>; cluster: boolean }> {
  const found: Array<{ proto: Record<string, unknown>; cluster: boolean }> = [];
  const seen = new Set<unknown>();
  const roots: unknown[] = [moduleExports, (moduleExports as { default?: unknown } | null)?.default];
  for (const root of roots) {
    if (root === null || root === undefined) continue;
    const r = root as { Redis?: unknown; Cluster?: unknown; prototype?: unknown };
    for (const [ctor, cluster] of [
      [r.Redis, false],
      [typeof root === 'function' ? root : undefined, false],
      [r.Cluster, true],
    ] as const) {
      const proto = (ctor as { prototype?: Record<string, unknown> } | undefined)?.prototype;
      if (proto === undefined || seen.has(proto) || typeof proto.sendCommand !== 'function') continue;
      seen.add(proto);
      found.push({ proto, cluster });
    }
  }
  return found;
}

function seriesOf(client: ClientLike, cluster: boolean, ctx: AreaContext): CacheSeries {
  let s = client[SERIES];
  if (s === undefined) {
    s = cacheSeries(ctx.registry, backendName(client.options, cluster));
    client[SERIES] = s;
  }
  return s;
}

/** Book-keep one command the first time it is sent. */
function observeCommand(
  client: ClientLike,
  command: CommandLike,
  stream: PipelineStreamLike | undefined,
  kind: ReturnType<typeof commandKind>,
  cluster: boolean,
  ctx: AreaContext | undefined,
): void {
  if (ctx === undefined) return;
  command[SEEN] = command.promise;
  const pipelined = stream !== undefined && stream !== null && stream.isPipeline === true;
  // A cluster pipeline may retry a rejected attempt (MOVED, ASK, TRYAGAIN…): decide in fillResult.
  const deferRejection = pipelined && cluster;

  // A direct (non-pipelined) MULTI: replies are QUEUED until EXEC, so reads are settled from EXEC's reply.
  let open = pipelined ? undefined : client[OPEN_MULTI];
  // A MULTI sent before the socket exists goes out on the first one.
  if (open !== undefined && open.stream === undefined) open.stream = client.stream;
  if (open !== undefined && open.stream !== client.stream) {
    // The connection changed since MULTI: the server dropped the transaction and its reads never ran.
    for (const r of open.reads) seriesOf(client, cluster, ctx).fail(r.keys);
    client[OPEN_MULTI] = open = undefined;
  }
  if (open !== undefined && kind !== 'exec' && kind !== 'discard') {
    const position = open.count++;
    if (kind === 'single' || kind === 'mget' || kind === 'hmget') open.reads.push({ kind, keys: keysRead(kind, command.args), position });
    return;
  }

  switch (kind) {
    case 'multi':
      if (!pipelined) client[OPEN_MULTI] = { stream: client.stream, count: 0, reads: [] };
      return;
    case 'discard':
      if (!pipelined) client[OPEN_MULTI] = undefined;
      return;
    case 'exec': {
      let reads: QueuedRead[] | undefined;
      if (pipelined) {
        reads = stream[PIPELINE_READS];
        stream[PIPELINE_READS] = undefined;
      } else if (open !== undefined) {
        reads = open.reads;
        client[OPEN_MULTI] = undefined;
      }
      if (reads === undefined || reads.length === 0) return;
      // Pipelined: reads carry pipeline positions, and EXEC's reply answers the commands just before EXEC.
      const execPosition = pipelined ? command.pipelineIndex : undefined;
      if (pipelined && typeof execPosition !== 'number') return;
      settleFromExec(command, reads, execPosition, seriesOf(client, cluster, ctx), deferRejection);
      return;
    }
    case undefined:
      return;
    default: {
      const keys = keysRead(kind, command.args);
      if (pipelined && command.inTransaction === true) {
        if (typeof command.pipelineIndex !== 'number') return;
        (stream[PIPELINE_READS] ??= []).push({ kind, keys, position: command.pipelineIndex });
        return;
      }
      settleFromOwnReply(command, kind, keys, seriesOf(client, cluster, ctx), deferRejection);
    }
  }
}

/** Count a read when ioredis settles it, first settlement only (a late reply after a timeout is not counted). */
function settleFromOwnReply(command: CommandLike, kind: ReadKind, keys: number, series: CacheSeries, deferRejection: boolean): void {
  const resolve = command.resolve;
  const reject = command.reject;
  let settled = false;
  command.resolve = function (this: unknown, value: unknown) {
    if (!settled) {
      settled = true;
      try {
        if (kind !== 'single') series.tally(tallyReply(kind, keys, value));
        else if (value === null || value === undefined) series.miss();
        else series.hit();
      } catch {
        // Counting must never change what the application receives.
      }
    }
    return resolve.apply(this, arguments as unknown as [unknown]);
  };
  command.reject = function (this: unknown, _err: unknown) {
    if (!settled) {
      settled = true;
      const fail = () => series.fail(keys);
      if (deferRejection) command[DEFERRED] = { fail };
      else fail();
    }
    return reject.apply(this, arguments as unknown as [unknown]);
  };
}

/** Count the reads queued in a MULTI from the EXEC reply (or its failure). */
function settleFromExec(
  exec: CommandLike,
  reads: QueuedRead[],
  execPosition: number | undefined,
  series: CacheSeries,
  deferRejection: boolean,
): void {
  const resolve = exec.resolve;
  const reject = exec.reject;
  let settled = false;
  exec.resolve = function (this: unknown, value: unknown) {
    if (!settled) {
      settled = true;
      try {
        // A nil EXEC reply means WATCH aborted the transaction: nothing was read.
        if (Array.isArray(value)) {
          const first = execPosition === undefined ? 0 : execPosition - value.length;
          for (const r of reads) series.tally(tallyExecSlot(r.kind, r.keys, value[r.position - first]));
        }
      } catch {
        // Counting must never change what the application receives.
      }
    }
    return resolve.apply(this, arguments as unknown as [unknown]);
  };
  exec.reject = function (this: unknown, _err: unknown) {
    if (!settled) {
      settled = true;
      const fail = () => {
        for (const r of reads) series.fail(r.keys);
      };
      if (deferRejection) exec[DEFERRED] = { fail };
      else fail();
    }
    return reject.apply(this, arguments as unknown as [unknown]);
  };
}
