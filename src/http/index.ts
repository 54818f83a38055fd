/**
 * The HTTP area: django's middleware families for every node `http`/`https` server, route
 * templates from the web frameworks, and outgoing HTTP latency through OpenTelemetry.
 *
 * Data flow of one request: Node publishes `http.server.request.start` → channels.ts hands it
 * to HttpServerMetrics (server-metrics.ts), which stamps the ServerResponse and counts the
 * request; the framework instrumentation (express.ts, fastify.ts, koa.ts: the shape is in
 * framework.ts) reports the matched route template and any error it turned into a response;
 * `http.server.response.finish` → the response families, by view, method and status. The
 * numbers sit in pre-bound series of the Registry (core/), read by the exporter at scrape.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { InstrumentationName } from '../config';
import { createInstrumentation, type AreaContext, type AreaSetup } from '../core/area';
import { HttpServerChannels } from './channels';
import { clientInstrumentations, clientOtelViews } from './client';
import { ExpressRoutesInstrumentation } from './express';
import { FastifyRoutesInstrumentation } from './fastify';
import type { RouteReporter } from './framework';
import { HapiRoutesInstrumentation } from './hapi';
import { HonoRoutesInstrumentation } from './hono';
import { KoaRoutesInstrumentation } from './koa';
import { NestRoutesInstrumentation } from './nestjs';
import { RestifyRoutesInstrumentation } from './restify';
import { NextRoutesInstrumentation } from './next';
import { HttpServerMetrics } from './server-metrics';

/** Every framework instrumentation, by the name OTEL_NODE_ENABLED_INSTRUMENTATIONS knows it by. */
const FRAMEWORKS: ReadonlyArray<readonly [InstrumentationName, (reporter: RouteReporter) => Instrumentation]> = [
  ['express', (reporter) => new ExpressRoutesInstrumentation(reporter)],
  ['fastify', (reporter) => new FastifyRoutesInstrumentation(reporter)],
  ['koa', (reporter) => new KoaRoutesInstrumentation(reporter)],
  ['next', (reporter) => new NextRoutesInstrumentation(reporter)],
  ['hono', (reporter) => new HonoRoutesInstrumentation(reporter)],
  ['nestjs', (reporter) => new NestRoutesInstrumentation(reporter)],
  ['hapi', (reporter) => new HapiRoutesInstrumentation(reporter)],
  ['restify', (reporter) => new RestifyRoutesInstrumentation(reporter)],
];

export function setupHttp(ctx: AreaContext): AreaSetup {
  const enabled = ctx.config.instrumentations;
  const instrumentations: Instrumentation[] = [];
  // Route capture only means something when the server side is measured.
  if (enabled.has('http')) {
    const server = new HttpServerMetrics(ctx.registry, { excludePaths: ctx.config.excludePaths, ownServers: ctx.ownServers });
    new HttpServerChannels(server).enable();
    for (const [name, create] of FRAMEWORKS) {
      if (!enabled.has(name)) continue;
      const instrumentation = createInstrumentation(name, `its routes stay <unnamed view>`, () => create(server));
      if (instrumentation !== undefined) instrumentations.push(instrumentation);
    }
  }
  instrumentations.push(...clientInstrumentations(ctx.config));
  return { instrumentations, otelViews: clientOtelViews(ctx.config) };
}
