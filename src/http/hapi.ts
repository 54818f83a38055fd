/**
 * Route templates and errors from hapi 20 and 21. Every server made by `Hapi.server()` /
 * `new Hapi.Server()` gets one `onPreResponse` extension (it runs for every request, errors
 * included): the view is `request.route.path` as registered (`/users/{id}`, plugin prefixes
 * already joined by hapi), and a Boom response (hapi boomifies a thrown error in place, so it
 * keeps its class) is reported as an exception, counted when its status is 5xx.
 */
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { internalError } from '../core/log';
import { patchMethod, type AnyFunction } from '../core/patch';
import { FrameworkInstrumentation, type RouteReporter } from './framework';
import { renderRoutePath } from './route-template';

/** Install names of @hapi/hapi: the package and the test suite's alias of the previous major. */
export const HAPI_MODULE_NAMES = ['@hapi/hapi', 'hapi20'] as const;

interface HapiRequestLike {
  route?: { path?: unknown; method?: unknown };
  raw?: { res?: unknown };
  response?: unknown;
}
interface HapiServerLike {
  ext?(event: string, method: (request: HapiRequestLike, h: { continue: unknown }) => unknown): unknown;
}

/** The view of a hapi request: its route's path, except hapi's own not-found and bad-request routes. */
export function hapiView(route: HapiRequestLike['route']): string | undefined {
  if (route === undefined || route === null || route.method === '_special') return undefined;
  return renderRoutePath(route.path);
}

export class HapiRoutesInstrumentation extends FrameworkInstrumentation {
  constructor(reporter: RouteReporter, config: InstrumentationConfig = {}) {
    super('hapi', reporter, config);
  }

  protected init() {
    return HAPI_MODULE_NAMES.map((name) =>
      this.moduleHook(name, ['>=20.0.0 <22'], (hapi: object) => {
        // `server` and `Server` are one factory; `new` on the wrapper returns the server it made.
        for (const key of ['server', 'Server']) patchMethod(hapi, key, (original) => this.wrapFactory(original));
      }),
    );
  }

  private wrapFactory(original: AnyFunction): AnyFunction {
    const onPreResponse = this.onPreResponse;
    return function server(this: unknown) {
      const created = original.apply(this, arguments as unknown as unknown[]) as HapiServerLike;
      try {
        if (typeof created?.ext === 'function') created.ext('onPreResponse', onPreResponse);
      } catch (err) {
        internalError('hapi server', err);
      }
      return created;
    };
  }

  private readonly onPreResponse = (request: HapiRequestLike, h: { continue: unknown }): unknown => {
    try {
      const res = request?.raw?.res;
      if (res !== null && typeof res === 'object') {
        const view = hapiView(request.route);
        if (view !== undefined) this.reporter.route(res, view);
        const response = request.response as { isBoom?: unknown } | null | undefined;
        if (response !== null && typeof response === 'object' && response.isBoom === true) this.reporter.exception(res, response, view);
      }
    } catch {
      // counting never changes what the application sees
    }
    return h.continue;
  };
}
