/**
 * Which Redis commands are cache reads, how many keys each reads, and what a reply says
 * about them. Pure: the ioredis and node-redis patches and the unit tests share it.
 */

/** How a command reads keys: one key (GET, GETEX, GETDEL, HGET) or one per argument. */
export type ReadKind = 'single' | 'mget' | 'hmget';

/** Commands that matter to the transaction bookkeeping besides reads. */
export type CommandKind = ReadKind | 'multi' | 'exec' | 'discard';

const KINDS: ReadonlyArray<[string, CommandKind]> = [
  ['get', 'single'],
  ['getex', 'single'],
  ['getdel', 'single'],
  ['hget', 'single'],
  ['mget', 'mget'],
  ['hmget', 'hmget'],
  ['multi', 'multi'],
  ['exec', 'exec'],
  ['discard', 'discard'],
];

// Both spellings up front: `redis.get()` sends 'get', `redis.call('GET', …)` sends 'GET'.
const KIND_BY_NAME: ReadonlyMap<string, CommandKind> = new Map(
  KINDS.flatMap(([name, kind]) => [
    [name, kind],
    [name.toUpperCase(), kind],
  ]),
);

/** The kind of a command name, or undefined for every command autoprom ignores (one Map lookup). */
export function commandKind(name: unknown): CommandKind | undefined {
  if (typeof name !== 'string') return undefined;
  const kind = KIND_BY_NAME.get(name);
  if (kind !== undefined || name.length === 0) return kind;
  // Mixed case ('Get') is rare: only then pay for a lowercase copy.
  const c = name.charCodeAt(0);
  return c >= 65 && c <= 90 ? KIND_BY_NAME.get(name.toLowerCase()) : undefined;
}

/** Keys a read reads: 1, or the key count of MGET, or the field count of HMGET. */
export function keysRead(kind: ReadKind, args: unknown): number {
  if (kind === 'single') return 1;
  const n = Array.isArray(args) ? args.length : 0;
  return kind === 'mget' ? n : Math.max(n - 1, 0);
}

/** Hits and misses of one read reply: nil is a miss, anything else a hit. */
export interface ReadTally {
  hits: number;
  misses: number;
  /** Per-key error replies (an error inside a reply array). */
  fails: number;
}

/** What a successful reply says about the keys read. */
export function tallyReply(kind: ReadKind, keys: number, reply: unknown): ReadTally {
  if (kind === 'single') return reply === null || reply === undefined ? { hits: 0, misses: 1, fails: 0 } : { hits: 1, misses: 0, fails: 0 };
  if (!Array.isArray(reply)) return { hits: 0, misses: 0, fails: keys };
  let hits = 0;
  let misses = 0;
  // The reply has one slot per key; count the keys asked for, whatever came back.
  for (let i = 0; i < keys; i++) {
    const v: unknown = reply[i];
    if (v === null || v === undefined) misses++;
    else hits++;
  }
  return { hits, misses, fails: 0 };
}

/** What one slot of an EXEC reply says about a read queued in the transaction. */
export function tallyExecSlot(kind: ReadKind, keys: number, slot: unknown): ReadTally {
  if (slot instanceof Error) return { hits: 0, misses: 0, fails: keys };
  return tallyReply(kind, keys, slot);
}

/** Keys a read reads from its whole command line (`['MGET', k1, k2]`, node-redis's `args`). */
export function keysInArgv(kind: ReadKind, argv: unknown): number {
  if (kind === 'single') return 1;
  const n = Array.isArray(argv) ? argv.length : 0;
  return Math.max(kind === 'mget' ? n - 1 : n - 2, 0);
}

/** A leading options object of a node-redis 4 call (`commandOptions({...})`), not a key. */
function isOptionsArgument(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/**
 * Keys a node-redis 4 read method reads from its JavaScript arguments: `get(key)`,
 * `mGet(keys | key)`, `hmGet(key, fields | field)`, each with an optional options object first.
 */
export function keysInJsArgs(kind: ReadKind, args: readonly unknown[]): number {
  if (kind === 'single') return 1;
  const start = args.length > 0 && isOptionsArgument(args[0]) ? 1 : 0;
  const list = args[kind === 'mget' ? start : start + 1];
  if (list === undefined) return 0;
  return Array.isArray(list) ? list.length : 1;
}

/** A cluster redirection (MOVED/ASK error reply): the cluster client re-sends the command. */
export function isRedirection(err: unknown): boolean {
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' && (message.startsWith('MOVED ') || message.startsWith('ASK '));
}
