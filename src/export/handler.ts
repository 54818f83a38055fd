import type { IncomingMessage, ServerResponse } from 'node:http';
import { current } from '../preload';

/**
 * The in-app endpoint (django's `metrics` view): mount it on the application's own server,
 * e.g. `app.get('/metrics', metricsHandler)`. Answers 503 when autoprom is not running or
 * serves no Prometheus exposition (OTEL_METRICS_EXPORTER without `prometheus`).
 */
export function metricsHandler(req: IncomingMessage, res: ServerResponse): void {
  const exposition = current()?.exposition;
  if (exposition === undefined) {
    res.statusCode = 503;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('# autoprom is not running: start the app with --require autoprom/register (or --import)\n');
    return;
  }
  exposition.handle(req, res);
}
