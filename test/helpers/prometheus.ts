/**
 * A real Prometheus server (Debian package `prometheus`) on 127.0.0.1, scraping the given
 * targets every second, with its own temporary storage. Stopped by its pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from './child';

export interface PrometheusServer {
  readonly port: number;
  /** Instant query; returns the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Poll until `expr` returns exactly one sample equal to `want`, or fail with what it last saw. */
  waitFor(expr: string, want: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function requirePrometheus(): void {
  const r = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    throw new Error('Prometheus is not installed: apt-get update && apt-get install -y prometheus (provides prometheus and promtool)');
  }
}

/** `flags` are extra command-line flags (agent mode, the remote-write receiver). */
export async function startPrometheus(targets: string[], extraConfig = '', flags: readonly string[] = []): Promise<PrometheusServer> {
  requirePrometheus();
  const dir = mkdtempSync(path.join(tmpdir(), 'autoprom-prom-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: app',
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    extraConfig,
  ].join('\n');
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  let log = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.${flags.includes('--enable-feature=agent') ? 'agent' : 'tsdb'}.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...flags,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));

  const query = async (expr: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      error?: string;
    };
    if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error ?? res.status}`);
    return body.data!.result;
  };

  // Ready when the API answers.
  const readyBy = Date.now() + 20000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/-/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > readyBy || child.exitCode !== null) throw new Error(`prometheus did not become ready:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    port,
    query,
    async waitFor(expr, want, timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown = 'nothing';
      while (Date.now() < deadline) {
        const result = await query(expr);
        last = result;
        if (result.length === 1 && Number(result[0].value[1]) === want) return;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`prometheus: ${expr} never became ${want}; last result ${JSON.stringify(last)}`);
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
