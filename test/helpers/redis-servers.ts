/**
 * Private Redis servers for the cache tests, started in a temporary directory and stopped by
 * pid: one standalone server (DEBUG SLEEP allowed, for timeouts) and a three-node cluster.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra],
    { stdio: 'ignore' },
  );
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
  const privatePort = await freePort();
  procs.push(redisServer(dir, privatePort, ['--enable-debug-command', 'local']));
  const clusterPorts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    clusterPorts.push(port);
    procs.push(
      redisServer(dir, port, ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000']),
    );
  }
  for (const port of [privatePort, ...clusterPorts]) await until(`redis-server on ${port}`, () => cli(port, 'ping').includes('PONG'));
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
