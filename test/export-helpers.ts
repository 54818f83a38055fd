/** Helpers of the export tests. */
import { request } from 'node:http';
import type { RunningApp } from './helpers/child';

/**
 * Wait until the metrics worker serves the port: it takes it once it has loaded, after the
 * application's first event-loop turn, and keeps connections alive.
 */
export async function waitForWorker(app: RunningApp): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const connection = await new Promise<string | undefined>((resolve) => {
      const req = request({ host: '127.0.0.1', port: app.metricsPort, path: '/metrics', headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers.connection));
      });
      req.on('error', () => resolve(undefined));
      req.end();
    });
    if (connection === 'keep-alive') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the metrics worker never took over port ${app.metricsPort}\nstderr: ${app.stderr()}`);
}
