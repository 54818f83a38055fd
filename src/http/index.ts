import type { AreaContext, AreaSetup } from '../core/area';

/** HTTP server families (django middleware), routes from express/fastify/koa, outgoing HTTP. */
export function setupHttp(_ctx: AreaContext): AreaSetup {
  return {};
}
