/**
 * Route templates and errors from restify 8 to 12. restify's Server class (lib/server.js)
 * runs `_runUse(req, res, next)` once a route matched (`req.route.path` is the path as
 * registered), and every error that ends a request, from a handler or the router (404, 405),
 * goes through `_onHandlerError(err, req, res)`. Both are wrapped on the prototype; an error
 * counts when restify answers it with a 5xx.
 */
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { patchMethod, type AnyFunction } from '../core/patch';
import { FrameworkInstrumentation, type RouteReporter } from './framework';
import { renderRoutePath } from './route-template';

const RESTIFY_VERSIONS = ['>=8.0.0 <13'];

interface RestifyRequestLike {
  route?: { path?: unknown };
}

export class RestifyRoutesInstrumentation extends FrameworkInstrumentation {
  constructor(reporter: RouteReporter, config: InstrumentationConfig = {}) {
    super('restify', reporter, config);
  }

  protected init() {
    const restify = this.moduleHook('restify', RESTIFY_VERSIONS, () => undefined);
    restify.files.push(
      this.fileHook('restify/lib/server.js', RESTIFY_VERSIONS, (Server) => {
        const proto = typeof Server === 'function' ? (Server.prototype as object | undefined) : undefined;
        if (proto !== undefined) {
          patchMethod(proto, '_runUse', (original) => this.wrapRunUse(original));
          patchMethod(proto, '_onHandlerError', (original) => this.wrapOnHandlerError(original));
        }
        return Server;
      }),
    );
    return [restify];
  }

  private wrapRunUse(original: AnyFunction): AnyFunction {
    const reporter = this.reporter;
    return function _runUse(this: unknown, req: RestifyRequestLike, res: unknown) {
      try {
        const view = renderRoutePath(req?.route?.path);
        if (view !== undefined && res !== null && typeof res === 'object') reporter.route(res, view);
      } catch {
        // counting never changes what the application sees
      }
      return original.apply(this, arguments as unknown as unknown[]);
    };
  }

  private wrapOnHandlerError(original: AnyFunction): AnyFunction {
    const reporter = this.reporter;
    return function _onHandlerError(this: unknown, err: unknown, req: unknown, res: unknown) {
      try {
        if (res !== null && typeof res === 'object') reporter.exception(res, err, reporter.routeOf(res));
      } catch {
        // counting never changes what the application sees
      }
      return original.apply(this, arguments as unknown as unknown[]);
    };
  }
}
