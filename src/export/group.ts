/**
 * One endpoint for every process of a service: who belongs together, and how their numbers
 * reach the process that serves the port.
 *
 * A service's processes on a host (node:cluster workers of one primary, PM2 cluster-mode
 * instances of one app) share the metrics port. The process that holds it (the host: the
 * cluster primary when it runs autoprom, otherwise a small aggregator process that the first
 * worker starts) listens on a Unix socket of its own user (`<tmpdir>/autoprom-<uid>/<port>.sock`,
 * in a directory only that user can enter). Every other process of the service joins it
 * there, from its metrics worker thread, and answers each scrape with its collection: plain
 * numbers, in the columns the application thread already hands its worker.
 *
 * Frames on the socket: a 4-byte length, then `v8.serialize` of one message.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Departed, sumCollections } from './aggregate';
import { decodeCollection, type EncodedCollection, type Snapshot } from './snapshot';

/** node:v8, loaded with the first group message (not at start: most processes never send one). */
function v8(): typeof import('node:v8') {
  return require('node:v8') as typeof import('node:v8');
}

/** Which processes are summed together, and which process outlives them (the anchor). */
export interface GroupIdentity {
  /** Processes with the same key are one service. */
  readonly key: string;
  /** The process whose end ends the service (the cluster primary, PM2's daemon). */
  readonly anchorPid: number;
}

/**
 * What this process is in a multi-process service (a node:cluster worker; PM2 also says so
 * in the environment it gives its instances): a member (a worker), or undefined (a process on its own, or a primary,
 * which hosts the endpoint and accepts its own workers).
 */
export function memberOf(env: NodeJS.ProcessEnv, ppid: number, clusterWorker: boolean): GroupIdentity | undefined {
  // PM2 cluster mode runs node:cluster in its daemon, which hosts several applications: one service per name.
  if (env.pm_id !== undefined && env.exec_mode === 'cluster_mode') return { key: `pm2:${ppid}:${env.name ?? ''}`, anchorPid: ppid };
  if (clusterWorker) return { key: `cluster:${ppid}`, anchorPid: ppid };
  return undefined;
}

/** The key under which a process that hosts the endpoint accepts its own cluster workers. */
export function hostKey(pid: number): string {
  return `cluster:${pid}`;
}

/** The group socket for a metrics port, in a directory of this user's that no one else can enter. */
export function groupSocketPath(port: number): string {
  if (process.platform === 'win32') return `\\\\.\\pipe\\autoprom-${port}`;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join(os.tmpdir(), `autoprom-${uid}`, `${port}.sock`);
}

/** Creates the socket's directory (mode 0700) and checks that it is this user's and private; else why not. */
export function prepareSocketDirectory(socketPath: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  const dir = path.dirname(socketPath);
  try {
    // Not recursive: the temporary directory exists or the socket is not made (a recursive mkdir
    // spins forever on file systems such as /proc, and a worker stuck in it would hold the exit).
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const st = fs.statSync(dir);
    const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0)
      return `${dir} is not a private directory of this user (mode ${(st.mode & 0o777).toString(8)}, owner ${st.uid})`;
    return undefined;
  } catch (err) {
    return `${dir}: ${(err as Error)?.message ?? String(err)}`;
  }
}

/** Messages on the group socket. */
export type GroupMessage =
  | { readonly t: 'hello'; readonly key: string; readonly pid: number }
  | { readonly t: 'welcome'; readonly pid: number }
  | { readonly t: 'refused'; readonly pid: number }
  | { readonly t: 'collect'; readonly id: number }
  | {
      readonly t: 'part';
      readonly id: number;
      readonly collection: EncodedCollection | undefined;
      readonly blocked: number;
      readonly error: string | undefined;
    };

const MAX_FRAME = 512 * 1024 * 1024;

/** Length-prefixed v8-serialized messages over a stream socket. */
export class Wire {
  private buffered: Buffer[] = [];
  private size = 0;

  constructor(
    readonly socket: net.Socket,
    onMessage: (message: GroupMessage) => void,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered.push(chunk);
      this.size += chunk.length;
      while (this.size >= 4) {
        if (this.buffered[0].length < 4) this.buffered = [Buffer.concat(this.buffered)];
        const length = this.buffered[0].readUInt32BE(0);
        if (length > MAX_FRAME) {
          socket.destroy();
          return;
        }
        // Joined once the whole frame is here (a collection arrives in many chunks).
        if (this.size < 4 + length) return;
        const head = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
        const body = head.subarray(4, 4 + length);
        const rest = head.subarray(4 + length);
        this.buffered = rest.length === 0 ? [] : [rest];
        this.size = rest.length;
        let message: GroupMessage;
        try {
          message = v8().deserialize(body) as GroupMessage;
        } catch {
          socket.destroy();
          return;
        }
        onMessage(message);
      }
    });
  }

  send(message: GroupMessage): void {
    if (this.socket.destroyed) return;
    const body = v8().serialize(message);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(body.length, 0);
    this.socket.write(Buffer.concat([head, body]));
  }
}

/** One part of a gathered collection: a process's numbers and how long its loop has not answered. */
export interface ProcessPart {
  readonly pid: number;
  readonly collection: Snapshot | undefined;
  readonly blocked: number;
}

export interface Gathered {
  readonly snapshot: Snapshot;
  /** The most seconds any live process's application thread has left its collection unanswered. */
  readonly blocked: number;
  readonly parts: readonly ProcessPart[];
  /** Processes gone whose last counters stay in the sum. */
  readonly exited: number;
  readonly conflicts: readonly string[];
}

interface Member {
  readonly wire: Wire;
  pid: number;
  joined: boolean;
  last: Snapshot | undefined;
  /** When the oldest collect this member has not answered was sent (ms, performance.now()). */
  unansweredSince: number | undefined;
  readonly pending: Map<number, (part: ProcessPart | undefined) => void>;
}

/** Own part: a function that answers with this process's collection (undefined: the aggregator has none). */
export type OwnPart = (answer: (collection: Snapshot | undefined, blocked: number, error?: string) => void) => void;

/**
 * The serving side: accepts the service's processes on the group socket and gathers their
 * collections for each scrape, within a deadline.
 */
export class GroupHost {
  private server: net.Server | undefined;
  private readonly members = new Set<Member>();
  private readonly departed: Departed;
  private nextId = 1;

  constructor(
    private readonly options: {
      /** Processes presenting this key are summed here. */
      readonly key: string;
      readonly namespace: string;
      readonly warn: (line: string) => void;
      /** A member joined or left (the aggregator exits once it has had none for a while). */
      readonly onMembership?: (members: number) => void;
    },
  ) {
    this.departed = new Departed(options.namespace);
  }

  /** Members in the sum right now. */
  get size(): number {
    let n = 0;
    for (const m of this.members) if (m.joined) n++;
    return n;
  }

  /** Listen on the group socket (a stale one is replaced: whoever holds the TCP port owns it). */
  listen(socketPath: string): Promise<boolean> {
    const problem = prepareSocketDirectory(socketPath);
    if (problem !== undefined) {
      this.options.warn(`cannot sum other processes of this service on the metrics port: ${problem}`);
      return Promise.resolve(false);
    }
    if (process.platform !== 'win32') {
      try {
        fs.unlinkSync(socketPath);
      } catch {
        // none there
      }
    }
    const server = net.createServer((socket) => this.accept(socket));
    server.unref();
    this.server = server;
    return new Promise((resolve) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        this.options.warn(`cannot sum other processes of this service on the metrics port: ${socketPath}: ${err.code ?? err.message}`);
        resolve(false);
      });
      server.listen(socketPath, () => resolve(true));
    });
  }

  close(): void {
    this.server?.close();
    for (const m of this.members) m.wire.socket.destroy();
  }

  private accept(socket: net.Socket): void {
    socket.unref();
    socket.setNoDelay(true);
    const member: Member = {
      wire: undefined as unknown as Wire,
      pid: 0,
      joined: false,
      last: undefined,
      unansweredSince: undefined,
      pending: new Map(),
    };
    (member as { wire: Wire }).wire = new Wire(socket, (message) => this.onMessage(member, message));
    this.members.add(member);
    const gone = () => {
      if (!this.members.delete(member)) return;
      if (member.joined) {
        this.departed.add(member.last);
        this.options.onMembership?.(this.size);
      }
      for (const answer of member.pending.values()) answer(undefined);
      member.pending.clear();
    };
    socket.on('close', gone);
    socket.on('error', () => socket.destroy());
  }

  private onMessage(member: Member, message: GroupMessage): void {
    switch (message.t) {
      case 'hello':
        if (member.joined) return;
        if (message.key !== this.options.key) {
          member.wire.send({ t: 'refused', pid: process.pid });
          member.wire.socket.end();
          return;
        }
        member.pid = message.pid;
        member.joined = true;
        member.wire.send({ t: 'welcome', pid: process.pid });
        this.options.onMembership?.(this.size);
        break;
      case 'part': {
        const answer = member.pending.get(message.id);
        member.pending.delete(message.id);
        let collection: Snapshot | undefined;
        try {
          collection = message.collection === undefined ? undefined : decodeCollection(message.collection);
        } catch {
          collection = undefined;
        }
        if (collection !== undefined) member.last = collection;
        member.unansweredSince = undefined;
        answer?.({ pid: member.pid, collection: member.last, blocked: message.blocked });
        break;
      }
      default:
        break;
    }
  }

  /**
   * Every live process's collection (this one's through `own`), waiting at most `deadlineMs`:
   * a process that has not answered by then counts with its last collection, and with the
   * seconds since it was first asked without answering.
   */
  gather(own: OwnPart | undefined, deadlineMs: number, done: (gathered: Gathered, error?: string) => void): void {
    const id = this.nextId++;
    const now = performance.now();
    const members = [...this.members].filter((m) => m.joined);
    const parts = new Map<Member | 'own', ProcessPart | undefined>();
    let ownError: string | undefined;
    let waiting = members.length + (own === undefined ? 0 : 1);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const at = performance.now();
      const answered: ProcessPart[] = [];
      const ownPart = parts.get('own');
      if (ownPart !== undefined) answered.push(ownPart);
      for (const m of members) {
        m.pending.delete(id);
        const p = parts.get(m);
        if (p !== undefined) answered.push(p);
        else if (this.members.has(m))
          answered.push({ pid: m.pid, collection: m.last, blocked: m.unansweredSince === undefined ? 0 : seconds(at - m.unansweredSince) });
      }
      answered.sort((a, b) => (a === ownPart ? -1 : b === ownPart ? 1 : a.pid - b.pid));
      const { snapshot, conflicts } = sumCollections(
        answered.map((p) => p.collection),
        this.departed,
        this.options.namespace,
      );
      let blocked = 0;
      for (const p of answered) if (p.blocked > blocked) blocked = p.blocked;
      done({ snapshot, blocked, parts: answered, exited: this.departed.count, conflicts }, ownError);
    };
    const timer = setTimeout(finish, deadlineMs);
    const one = (key: Member | 'own', part: ProcessPart | undefined) => {
      if (finished || parts.has(key)) return;
      parts.set(key, part);
      if (--waiting === 0) finish();
    };
    for (const m of members) {
      if (m.unansweredSince === undefined) m.unansweredSince = now;
      m.pending.set(id, (part) => one(m, part));
      m.wire.send({ t: 'collect', id });
    }
    if (own !== undefined)
      own((collection, blocked, error) => {
        if (error !== undefined) ownError = error;
        one('own', { pid: process.pid, collection, blocked });
      });
    if (waiting === 0) finish();
  }
}

/** What a member does when the host is not there: start an aggregator if the port is free. */
export interface MemberOptions {
  readonly socketPath: string;
  readonly identity: GroupIdentity;
  /** Answers a collect with this process's collection (its application thread's, within the deadline). */
  readonly collect: (answer: (collection: EncodedCollection | undefined, blocked: number, error?: string) => void) => void;
  /** Whether nothing listens on the metrics port (then this member starts the aggregator). */
  readonly portFree: () => Promise<boolean>;
  readonly startAggregator: () => void;
  /** Joined the process that serves the port. */
  readonly joined: (hostPid: number) => void;
  /** The process on the port is autoprom, but of another service. */
  readonly refused: (hostPid: number) => void;
  /** No autoprom answers and the port is busy: another program holds it. */
  readonly busy: () => void;
}

/** How long a member keeps looking for the host (the primary's worker thread, or the aggregator starting). */
export const JOIN_TIMEOUT_MS = 10_000;
const RETRY_MS = 100;

/** The joining side, in a worker process's metrics worker thread. Reconnects when the host goes. */
export class GroupMember {
  private stopped = false;
  private started = false;

  constructor(private readonly options: MemberOptions) {}

  start(): void {
    this.connect(performance.now());
  }

  stop(): void {
    this.stopped = true;
  }

  private connect(since: number): void {
    if (this.stopped) return;
    const socket = net.connect(this.options.socketPath);
    socket.unref();
    let joined = false;
    let settled = false;
    const retry = () => {
      if (settled || this.stopped) return;
      settled = true;
      socket.destroy();
      if (joined) {
        // The host went (the aggregator was killed, or the primary ended): look for it again.
        this.started = false;
        this.connect(performance.now());
        return;
      }
      if (performance.now() - since > JOIN_TIMEOUT_MS) {
        this.options.busy();
        return;
      }
      const again = () => setTimeout(() => this.connect(since), RETRY_MS).unref();
      if (this.started) return again();
      this.options.portFree().then(
        (free) => {
          if (free) {
            this.started = true;
            this.options.startAggregator();
          }
          again();
        },
        () => again(),
      );
    };
    const wire = new Wire(socket, (message) => {
      switch (message.t) {
        case 'welcome':
          joined = true;
          this.options.joined(message.pid);
          break;
        case 'refused':
          settled = true;
          this.stopped = true;
          socket.destroy();
          this.options.refused(message.pid);
          break;
        case 'collect':
          this.options.collect((collection, blocked, error) => {
            try {
              wire.send({ t: 'part', id: message.id, collection, blocked, error });
            } catch {
              wire.send({ t: 'part', id: message.id, collection: undefined, blocked, error: 'could not send the collection' });
            }
          });
          break;
        default:
          break;
      }
    });
    socket.setNoDelay(true);
    socket.on('connect', () => wire.send({ t: 'hello', key: this.options.identity.key, pid: process.pid }));
    socket.on('error', retry);
    socket.on('close', retry);
  }
}

/** The pid of the autoprom process serving a port's group socket, if one answers within `timeoutMs` (for a busy-port warning). */
export function probeHolder(socketPath: string, timeoutMs = 500): Promise<number | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (pid: number | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(pid);
    };
    const socket = net.connect(socketPath);
    socket.unref();
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    timer.unref();
    const wire = new Wire(socket, (message) => finish(message.t === 'refused' || message.t === 'welcome' ? message.pid : undefined));
    socket.on('connect', () => wire.send({ t: 'hello', key: `probe:${process.pid}`, pid: process.pid }));
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
  });
}

/** Milliseconds as seconds, to the millisecond. */
function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** The group's own families (only where processes are summed): who is in the sum, and each one's loop. */
export function groupFamiliesText(gathered: Gathered, openMetrics: boolean): string {
  const exited = openMetrics ? 'autoprom_cluster_processes_exited' : 'autoprom_cluster_processes_exited_total';
  let out =
    '# HELP autoprom_cluster_processes Processes of this service whose numbers this endpoint sums (alive now).\n' +
    '# TYPE autoprom_cluster_processes gauge\n' +
    `autoprom_cluster_processes ${gathered.parts.length}\n` +
    `# HELP ${exited} Processes of this service that have ended; their last collected counters and histograms stay in the sums.\n` +
    `# TYPE ${exited} counter\n` +
    `autoprom_cluster_processes_exited_total ${gathered.exited}\n` +
    "# HELP autoprom_cluster_eventloop_blocked_seconds Seconds each process's application thread has left the endpoint's collection request unanswered (0 while it answers).\n" +
    '# TYPE autoprom_cluster_eventloop_blocked_seconds gauge\n';
  for (const p of gathered.parts) out += `autoprom_cluster_eventloop_blocked_seconds{pid="${p.pid}"} ${p.blocked}\n`;
  return out;
}

/**
 * How the endpoint serving `ports` reports a busy port: with one port, naming the autoprom
 * process of another service that holds it, if one does (a range says only that it is exhausted).
 */
export function busyPortReporter(ports: readonly number[], warn: (line: string) => void): (line: string) => void {
  return ports.length === 1 ? (line) => busyPortWarning(ports[0], line, warn) : warn;
}

/** A busy port's warning, saying so when the holder is autoprom in another process (of another service). */
function busyPortWarning(port: number, line: string, warn: (line: string) => void): void {
  probeHolder(groupSocketPath(port)).then(
    (pid) =>
      warn(
        pid === undefined
          ? line
          : `${line} (autoprom in process ${pid} holds that port, for another service: give each service its own PROMETHEUS_METRICS_EXPORT_PORT, or use PROMETHEUS_METRICS_EXPORT_PORT_RANGE)`,
      ),
    () => warn(line),
  );
}
