/**
 * Run a test application in a child process under the preload, and scrape its endpoint.
 * Apps print `READY <json>` on stdout once listening; the preload itself prints nothing there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { parseExposition, type Exposition } from './exposition';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const REGISTER_CJS = path.join(ROOT, 'dist', 'register.js');
export const REGISTER_ESM = path.join(ROOT, 'dist', 'register.mjs');
export const APPS = path.join(ROOT, 'test', 'apps');

/**
 * A free TCP port on 127.0.0.1 (bound and released), below the kernel's ephemeral range
 * (32768-60999 on Linux): no `listen(0)` or outgoing connection is handed it meanwhile, as a port
 * the kernel picked would be (an app under test listens on port 0 before autoprom's metrics
 * worker binds the port the test chose for it).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/**
 * fetch on autoprom's metrics port, retrying a connection that is refused or reset for up to
 * 3 s: the metrics worker binds the port after the app's first event-loop turn, and an app may
 * print READY before that.
 */
export async function fetchMetrics(url: string, init?: RequestInit): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (err) {
      if (attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The app's stderr once it matches `re` (polled, 10 s at most): a warning the metrics worker prints comes after start-up. */
export async function stderrWhen(app: { stderr(): string }, re: RegExp, timeoutMs = 10000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(app.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return app.stderr();
}

/** How the preload is given to node. */
export type Preload = 'require' | 'import' | 'both';

/** The ways an app is started under the preload: [preload, entry point kind], with a title. */
export const PRELOAD_MODES: ReadonlyArray<{ preload: Preload; esm: boolean; title: string }> = [
  { preload: 'require', esm: false, title: 'CommonJS app under --require' },
  { preload: 'import', esm: true, title: 'ES module app under --import' },
  { preload: 'require', esm: true, title: 'ES module app under --require alone' },
  { preload: 'both', esm: true, title: 'ES module app under --require and --import' },
];

export interface AppOptions {
  /** 'require' (CommonJS, default), 'import' (ES module preload), 'both' (--require and --import) or 'none' (no autoprom). */
  preload?: Preload | 'none';
  env?: Record<string, string | undefined>;
  args?: string[];
  /** Preload path override (the packed tarball's, in end-to-end tests). */
  register?: string;
  cwd?: string;
  /** Wait for READY on stdout (default true). */
  waitReady?: boolean;
  /** The node binary to run it with (default: the one running the tests). */
  node?: string;
}

export interface RunningApp {
  readonly child: ChildProcess;
  /** What the app printed on READY (JSON). */
  readonly ready: Record<string, unknown>;
  readonly metricsPort: number;
  stdout(): string;
  stderr(): string;
  scrape(pathname?: string): Promise<Exposition>;
  /**
   * The exposition before and after `fn`. The "before" is the previous `around`'s "after" when
   * nothing else scraped since (steps run back to back: one scrape per step, not two, each of
   * which may wait for the endpoint's 250 ms sharing window).
   */
  around<T>(fn: () => Promise<T>): Promise<{ before: Exposition; result: T; after: Exposition }>;
  scrapeText(pathname?: string): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startApp(script: string, options: AppOptions = {}): Promise<RunningApp> {
  const metricsPort =
    options.env?.PROMETHEUS_METRICS_EXPORT_PORT !== undefined ? Number(options.env.PROMETHEUS_METRICS_EXPORT_PORT) : await freePort();
  const preload = options.preload ?? 'require';
  const args: string[] = [];
  if (preload === 'require' || preload === 'both') args.push('--require', options.register ?? REGISTER_CJS);
  if (preload === 'import' || preload === 'both') args.push('--import', options.register ?? `file://${REGISTER_ESM}`);
  args.push(...(options.args ?? []), path.isAbsolute(script) ? script : path.join(APPS, script));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('OTEL_') && !k.startsWith('PROMETHEUS_')) env[k] = v;
  env.PROMETHEUS_METRICS_EXPORT_PORT = String(metricsPort);
  env.PROMETHEUS_METRICS_EXPORT_ADDRESS = '127.0.0.1';
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child = spawn(options.node ?? process.execPath, args, { env, cwd: options.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  let ready: Record<string, unknown> = {};
  if (options.waitReady !== false) {
    ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`app ${script} not ready in 20s\nstdout: ${out}\nstderr: ${err}`)), 20000);
      const check = () => {
        const m = /^READY (.*)$/m.exec(out);
        if (m !== null) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          resolve(JSON.parse(m[1]) as Record<string, unknown>);
        }
      };
      child.stdout!.on('data', check);
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`app ${script} exited (${code ?? signal}) before READY\nstdout: ${out}\nstderr: ${err}`));
      });
      check();
    });
  }

  const scrapeText = async (pathname = '/metrics'): Promise<string> => {
    const res = await fetchMetrics(`http://127.0.0.1:${metricsPort}${pathname}`);
    if (res.status !== 200) throw new Error(`scrape ${pathname}: HTTP ${res.status}`);
    return res.text();
  };
  let lastAfter: Exposition | undefined;
  const scrape = async (pathname?: string) => {
    lastAfter = undefined;
    return parseExposition(await scrapeText(pathname));
  };
  return {
    child,
    ready,
    metricsPort,
    stdout: () => out,
    stderr: () => err,
    scrapeText,
    scrape,
    async around<T>(fn: () => Promise<T>) {
      let stage = 'scrape before';
      try {
        const before = lastAfter ?? (await scrape());
        lastAfter = undefined;
        stage = 'step';
        const result = await fn();
        stage = 'scrape after';
        const after = await scrape();
        lastAfter = after;
        return { before, result, after };
      } catch (e) {
        const state = child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : 'running';
        throw new Error(
          `${stage} (metrics port ${metricsPort}, app ${state}): ${String(e)} ${String((e as Error).cause ?? '')}\nstderr: ${err}`,
          { cause: e },
        );
      }
    },
    exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const { code } = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
