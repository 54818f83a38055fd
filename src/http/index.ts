import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { AreaContext, AreaSetup } from '../core/area';
import { clientInstrumentations, clientViews } from './client';
import { ExpressRoutesInstrumentation } from './express';
import { FastifyRoutesInstrumentation } from './fastify';
import { KoaRoutesInstrumentation } from './koa';
import { HttpServerMetrics } from './server';

/**
 * HTTP server families (django middleware) from Node's http diagnostics channels, route
 * templates from express/fastify/koa, and outgoing HTTP latency through OpenTelemetry.
 */
export function setupHttp(ctx: AreaContext): AreaSetup {
  const enabled = ctx.config.instrumentations;
  const instrumentations: Instrumentation[] = [];
  // Route capture only means something when the server side is measured.
  if (enabled.has('http')) {
    const server = new HttpServerMetrics(ctx.registry, { excludePaths: ctx.config.excludePaths, ownServers: ctx.ownServers });
    server.enable();
    if (enabled.has('express')) instrumentations.push(new ExpressRoutesInstrumentation(server));
    if (enabled.has('fastify')) instrumentations.push(new FastifyRoutesInstrumentation(server));
    if (enabled.has('koa')) instrumentations.push(new KoaRoutesInstrumentation(server));
  }
  instrumentations.push(...clientInstrumentations(ctx.config));
  return { instrumentations, views: clientViews(ctx.config) };
}
