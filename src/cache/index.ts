import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { AreaContext, AreaSetup } from '../core/area';
import { IoredisCacheInstrumentation } from './ioredis';
import { NodeRedisCacheInstrumentation } from './node-redis';
import { MemjsCacheInstrumentation } from './memjs';
import { declareCacheFamilies } from './cache-client';

/** django_cache_* from ioredis, node-redis (`redis`) and memjs (`memjs`), each under its instrumentation name. */
export function setupCache(ctx: AreaContext): AreaSetup {
  declareCacheFamilies(ctx.registry);
  const enabled = ctx.config.instrumentations;
  const instrumentations: Instrumentation[] = [];
  if (enabled.has('ioredis')) instrumentations.push(new IoredisCacheInstrumentation(ctx));
  if (enabled.has('redis')) instrumentations.push(new NodeRedisCacheInstrumentation(ctx));
  if (enabled.has('memjs')) instrumentations.push(new MemjsCacheInstrumentation(ctx));
  return { instrumentations };
}
