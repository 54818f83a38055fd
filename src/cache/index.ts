import type { AreaContext, AreaSetup } from '../core/area';
import { IoredisCacheInstrumentation } from './ioredis';
import { declareCacheFamilies } from './cache-client';

/** django_cache_* from ioredis (the `ioredis` instrumentation name). */
export function setupRedis(ctx: AreaContext): AreaSetup {
  declareCacheFamilies(ctx.registry);
  return { instrumentations: [new IoredisCacheInstrumentation(ctx)] };
}
