/**
 * Handlers mounted under a path: express `app.use('/trpc', handler)`, @fastify/middie's and
 * @fastify/express's `fastify.use('/trpc', handler)`, koa-mount's `mount('/trpc', app)`. The
 * one rule for all of them: a request such a handler answers is named by the mount template
 * (mount paths joined, never the request's path), unless something more precise did (a route
 * inside it); a request it hands on without an error is not its own, and the mount view is
 * taken back. An error it hands on keeps the mount view: it came from inside.
 */
import { isPatched, markPatched, type AnyFunction } from '../core/patch';
import type { RouteReporter } from './framework';
import { joinMounts, renderRoutePath } from './route-template';

/** On a connect-style request (node IncomingMessage): the mount templates it is inside, joined. */
export const MOUNT = Symbol('autoprom.mount');
export interface MountedRequest {
  [MOUNT]?: string;
}

/** Paths that match every request (`/`, `*`, `/*path`, `/{*path}`, `/(.*)`): no mount at all. */
const EVERY_PATH = /^\/?(?:\*\w*|\{\*\w*\}|\(\.\*\))?$/;

/** The template of a mount path, or undefined when it matches every request (no mount at all) or is unusable. */
export function mountTemplate(path: unknown): string | undefined {
  const template = renderRoutePath(path);
  return template === undefined || EVERY_PATH.test(template) ? undefined : template;
}

/** Whether `next(arg)` hands the request on (no error; express's 'route' and 'router' signals are not errors). */
export function handsOn(arg: unknown): boolean {
  return arg === undefined || arg === null || arg === 'route' || arg === 'router';
}

/**
 * A connect-style handler `(req, res, next)` mounted under `template`, wrapped: the mount
 * template is on the request while it runs (routers inside join it to their routes) and is
 * restored when it hands back with `next`. A plain handler (not a router or sub-application,
 * whose own routes are more precise and whose 404s stay unnamed) names the view by its mount.
 * Error handlers (4 arguments, told apart by their length) and autoprom's own wrappers are
 * returned as they are. `base` gives the mount templates between the one the request is inside
 * and this handler's router, when the framework knows them without a wrapper (express.ts).
 */
export function mountedHandler(fn: unknown, template: string, reporter: RouteReporter, base?: () => string | undefined): unknown {
  if (typeof fn !== 'function' || fn.length > 3 || isPatched(fn)) return fn;
  const handler = fn as AnyFunction & { handle?: unknown; stack?: unknown };
  const plainHandler = typeof handler.handle !== 'function' && !Array.isArray(handler.stack);
  const mounted = function (this: unknown, req: MountedRequest, res: unknown, next: AnyFunction) {
    if (req === null || typeof req !== 'object' || typeof next !== 'function')
      return handler.apply(this, arguments as unknown as unknown[]);
    const previous = req[MOUNT];
    const mount = joinMounts(base === undefined ? previous : joinMounts(previous, base()), template);
    req[MOUNT] = mount;
    let named = false;
    let before: string | undefined;
    if (plainHandler && res !== null && typeof res === 'object') {
      // Unnamed, or named by the mount this one is inside: this one is more precise.
      before = reporter.routeOf(res);
      if (before === undefined || before === previous) {
        reporter.route(res, mount);
        named = true;
      }
    }
    return handler.call(this, req, res, function (this: unknown, err?: unknown) {
      req[MOUNT] = previous;
      if (named && handsOn(err) && reporter.routeOf(res as object) === mount) reporter.route(res as object, before);
      return next.apply(this, arguments as unknown as unknown[]);
    });
  };
  // Reads such as `handler.stack` (route listing tools) still reach the original.
  Object.setPrototypeOf(mounted, handler);
  Object.defineProperty(mounted, 'name', { value: handler.name, configurable: true });
  return markPatched(mounted, handler);
}
