import type { AreaContext, AreaSetup } from '../core/area';

/** django_cache_* from ioredis. */
export function setupRedis(_ctx: AreaContext): AreaSetup {
  return {};
}
