/**
 * Route templates and handler errors from fastify 4 and 5. Every fastify instance announces
 * itself on the `fastify.initialization` diagnostics channel before any route is added, so
 * no module patching is needed (any install name, CommonJS or ES modules). On it we add:
 * - an `onRoute` hook that gives each route a first `onRequest` hook writing its full URL
 *   template (prefix included) on the raw response;
 * - an `onError` hook that counts the error once.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { couldNotInstrument, guarded } from '../core/log';
import { FrameworkInstrumentation, type RouteReporter } from './framework';
import { renderRoutePath, UNNAMED_VIEW } from './route-template';

const INITIALIZATION = 'fastify.initialization';
const INSTRUMENTED = Symbol('autoprom.fastify.instrumented');

type Done = (err?: unknown) => void;
interface FastifyReplyLike {
  raw: object;
}
interface RouteOptionsLike {
  url?: unknown;
  path?: unknown;
  onRequest?: unknown;
}
interface FastifyLike {
  addHook(name: string, hook: (...args: never[]) => unknown): unknown;
  [INSTRUMENTED]?: true;
}

export class FastifyRoutesInstrumentation extends FrameworkInstrumentation {
  private ready?: boolean;
  private subscribed?: boolean;

  constructor(reporter: RouteReporter, config: InstrumentationConfig = {}) {
    super('fastify', reporter, config);
    // InstrumentationBase enables from its constructor, before this subclass is initialized.
    this.ready = true;
    if (this.getConfig().enabled !== false) this.enable();
  }

  protected init() {
    return [];
  }

  override enable(): void {
    if (this.ready !== true || this.subscribed === true) return;
    subscribe(INITIALIZATION, this.onInitialization);
    this.subscribed = true;
  }

  override disable(): void {
    if (this.subscribed !== true) return;
    unsubscribe(INITIALIZATION, this.onInitialization);
    this.subscribed = false;
  }

  private readonly onInitialization = (message: unknown): void => {
    try {
      const app = (message as { fastify?: FastifyLike })?.fastify;
      if (app === undefined || typeof app.addHook !== 'function' || app[INSTRUMENTED] === true) return;
      Object.defineProperty(app, INSTRUMENTED, { value: true });
      const reporter = this.reporter;
      app.addHook(
        'onRoute',
        guarded('fastify onRoute', (routeOptions: RouteOptionsLike) => addRouteHook(routeOptions, reporter)),
      );
      app.addHook('onError', function autopromOnError(_request: unknown, reply: FastifyReplyLike, error: unknown, done: Done) {
        try {
          const raw = reply?.raw;
          if (raw !== undefined) reporter.exception(raw, error, reporter.routeOf(raw));
        } catch {
          // counting never changes what the application sees
        }
        done();
      });
    } catch (err) {
      couldNotInstrument('a fastify instance', 'its routes stay <unnamed view>', err);
    }
  };
}

/** Give a route a first `onRequest` hook that reports its template. */
function addRouteHook(routeOptions: RouteOptionsLike, reporter: RouteReporter): void {
  const view = renderRoutePath(routeOptions.url ?? routeOptions.path) ?? UNNAMED_VIEW;
  const setView = function autopromRouteView(_request: unknown, reply: FastifyReplyLike, done: Done) {
    reporter.route(reply.raw, view);
    done();
  };
  const existing = routeOptions.onRequest;
  routeOptions.onRequest = existing === undefined || existing === null ? [setView] : [setView].concat(existing as never);
}
