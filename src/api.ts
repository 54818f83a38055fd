/**
 * The public helpers an application may call. Each one is a no-op until autoprom runs and
 * never throws into the application. They reach the running instance through
 * `core/instance` (never through the preload), and the areas' own code through their modules.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { measureCacheInto } from './cache/measure';
import { cacheSeries } from './cache/cache-client';
import { runningInstance } from './core/instance';
import { recordModelOperationInto, type ModelOperation } from './db/models-api';

export type { ModelOperation } from './db/models-api';

/**
 * The in-app endpoint (django's `metrics` view): mount it on the application's own server,
 * e.g. `app.get('/metrics', metricsHandler)`. Answers 503 when autoprom is not running or
 * serves no Prometheus exposition (OTEL_METRICS_EXPORTER without `prometheus`).
 */
export function metricsHandler(req: IncomingMessage, res: ServerResponse): void {
  const handle = runningInstance()?.handleScrape;
  if (handle === undefined) {
    res.statusCode = 503;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('# autoprom is not running: start the app with --require autoprom/register (or --import)\n');
    return;
  }
  handle(req, res);
}

/**
 * Count every `get` of `cache` under `backend` (django_cache_*), and return the same object.
 * See `measureCacheInto` (src/cache/measure.ts) for how the object is changed. Before
 * autoprom starts the wrapper only forwards; it records from the moment autoprom runs.
 */
export function measureCache<T extends object>(cache: T, backend = 'default'): T {
  return measureCacheInto(cache, backend, () => {
    const running = runningInstance();
    return running === undefined ? undefined : cacheSeries(running.registry, backend);
  });
}

/**
 * Count `count` (default 1) `operation`s on `model` (django_model_*), for stores that do not
 * speak SQL through an instrumented client. A no-op when autoprom is not running; never throws.
 */
export function recordModelOperation(model: string, operation: ModelOperation, count = 1): void {
  const running = runningInstance();
  if (running !== undefined) recordModelOperationInto(running.registry, model, operation, count);
}
