/**
 * Private Redis servers for the cache tests, started in a temporary directory and stopped by
 * pid: one standalone server (DEBUG SLEEP allowed, for timeouts) and a three-node cluster.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from './child';

export interface RedisServers {
  dir: string;
  privatePort: number;
  clusterPorts: number[];
  procs: ChildProcess[];
}

function redisServer(dir: string, port: number, extra: string[]): ChildProcess {
  return spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--logfile',
      path.join(dir, `redis-${port}.log`),
      ...extra,
    ],
    { stdio: 'ignore' },
  );
}

function portFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A port for a cluster node, whose bus listens on port + 10000: both are picked below the
 * kernel's ephemeral range (32768 up), so an outgoing connection cannot hold either.
 */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 2700);
    if ((await portFree(port)) && (await portFree(port + 10000))) return port;
  }
}

/**
 * Starts one server and waits for its PONG. A port taken between the pick and the bind makes
 * redis-server exit: that try is repeated on another port, and the last failure names the log.
 */
async function startOne(dir: string, procs: ChildProcess[], cluster: boolean, extra: string[]): Promise<number> {
  let failure = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = cluster ? await clusterPort() : await freePort();
    const proc = redisServer(dir, port, cluster ? [...extra, '--cluster-config-file', `nodes-${port}.conf`] : extra);
    procs.push(proc);
    let exited = false;
    proc.once('exit', () => (exited = true));
    const ok = await until(`redis-server on ${port}`, () => exited || cli(port, 'ping').includes('PONG')).then(
      () => !exited,
      () => false,
    );
    if (ok) return port;
    if (!exited) proc.kill('SIGKILL');
    let log: string;
    try {
      log = readFileSync(path.join(dir, `redis-${port}.log`), 'utf8')
        .trim()
        .split('\n')
        .slice(-5)
        .join('\n');
    } catch {
      log = '(no log written)';
    }
    failure = `redis-server on ${port} ${exited ? 'exited' : 'did not answer PING in 20 s'}; its log ends:\n${log}`;
  }
  throw new Error(`could not start a private redis-server (is redis-server installed? apt-get install -y redis-server): ${failure}`);
}

function cli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 20000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRedisServers(): Promise<RedisServers> {
  const dir = mkdtempSync(path.join(tmpdir(), 'autoprom-cache-'));
  const procs: ChildProcess[] = [];
  const privatePort = await startOne(dir, procs, false, ['--enable-debug-command', 'local']);
  const clusterPorts: number[] = [];
  for (let i = 0; i < 3; i++)
    clusterPorts.push(await startOne(dir, procs, true, ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000']));
  const created = cli(
    clusterPorts[0],
    '--cluster',
    'create',
    ...clusterPorts.map((p) => `127.0.0.1:${p}`),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  );
  if (!created.includes('All 16384 slots covered')) throw new Error(`redis-cli --cluster create failed:\n${created}`);
  for (const port of clusterPorts)
    await until(`cluster_state:ok on ${port}`, () => cli(port, 'cluster', 'info').includes('cluster_state:ok'));
  return { dir, privatePort, clusterPorts, procs };
}

export async function stopServers(s: { procs: ChildProcess[]; dir: string } | undefined): Promise<void> {
  if (s === undefined) return;
  await Promise.all(
    s.procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
        }),
    ),
  );
  rmSync(s.dir, { recursive: true, force: true });
}
