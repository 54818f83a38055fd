/**
 * Route templates, exceptions and rendered templates from express 4 and 5 (and the
 * standalone `router` package express 5 is built on). No spans, no context: the view is
 * written on the ServerResponse for the server metrics to read at finish time.
 *
 * - `router.route(path)` / `app.get(path)`: the Route keeps its path; `Route#dispatch`
 *   writes mount prefix + route template as the view, and counts an error leaving the route.
 * - `router.use(path, fn)` / `app.use(path, router)`: a mount with a path gets a thin wrapper
 *   that keeps the mount template on the request while the mounted stack runs.
 * - `res.render(name)`: a successful render counts its template name.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { warn } from '../core/log';
import { joinRoutePath, renderRoutePath, UNNAMED_VIEW, useMountPath } from './route-template';
import { VIEW, type HttpServerMetrics } from './server';
import { PACKAGE_VERSION } from './version';

/** On a request: mount templates of the routers it is inside, joined. */
const MOUNT = Symbol('autoprom.express.mount');
/** On a Route: its rendered template; and a small cache mount → view. */
const TEMPLATE = Symbol('autoprom.express.template');
const VIEWS_BY_MOUNT = Symbol('autoprom.express.viewsByMount');
/** On patched functions and prototypes. */
const PATCHED = Symbol('autoprom.express.patched');

type Fn = (...args: any[]) => any;
interface RouteLike {
  path: unknown;
  dispatch: Fn;
  [TEMPLATE]?: string;
  [VIEWS_BY_MOUNT]?: Map<string, string>;
}
interface LayerLike {
  handle: Fn;
}
interface RequestLike {
  [MOUNT]?: string;
}
interface ResponseLike {
  render?: Fn;
  req?: { next?: Fn };
  send?: Fn;
  [VIEW]?: string;
}

function exportsOf(moduleExports: any): any {
  return moduleExports?.[Symbol.toStringTag] === 'Module' ? (moduleExports.default ?? moduleExports) : moduleExports;
}

function markPatched(fn: Fn): Fn {
  Object.defineProperty(fn, PATCHED, { value: true });
  return fn;
}

export class ExpressRoutesInstrumentation extends InstrumentationBase<InstrumentationConfig> {
  constructor(
    private readonly metrics: HttpServerMetrics,
    config: InstrumentationConfig = {},
  ) {
    super('autoprom-express', PACKAGE_VERSION, config);
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition('express', ['>=4.0.0 <6'], (moduleExports: any) => {
        this.guard('express', () => {
          const express = exportsOf(moduleExports);
          this.patchRouter(express?.Router, express?.Route);
          this.patchResponse(express?.response);
        });
        return moduleExports;
      }),
      // express 5 routes through `router`; also covers the standalone package and aliased express installs.
      new InstrumentationNodeModuleDefinition('router', ['>=2.0.0 <3'], (moduleExports: any) => {
        this.guard('router', () => {
          const Router = exportsOf(moduleExports);
          this.patchRouter(Router, Router?.Route);
        });
        return moduleExports;
      }),
    ];
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      warn(`could not instrument ${what} (its routes stay <unnamed view>): ${(err as Error)?.message ?? String(err)}`);
    }
  }

  /** express 4 keeps router methods on the Router function itself, `router` on its prototype. */
  private patchRouter(Router: any, Route: any): void {
    if (typeof Router !== 'function') return;
    const proto = typeof Router.prototype?.use === 'function' ? Router.prototype : Router;
    if (typeof proto.use === 'function' && proto.use[PATCHED] !== true) proto.use = this.wrapUse(proto.use);
    if (typeof Route === 'function' && typeof Route.prototype?.dispatch === 'function' && Route.prototype.dispatch[PATCHED] !== true) {
      Route.prototype.dispatch = this.wrapDispatch(Route.prototype.dispatch);
    }
  }

  private wrapUse(original: Fn): Fn {
    return markPatched(function use(this: { stack?: LayerLike[] }, ...args: unknown[]) {
      const before = Array.isArray(this?.stack) ? this.stack.length : -1;
      const result = original.apply(this, args);
      try {
        if (before >= 0 && Array.isArray(this.stack)) {
          const template = renderRoutePath(useMountPath(args));
          if (template !== undefined && template !== '/') {
            for (let i = before; i < this.stack.length; i++) wrapMountedLayer(this.stack[i], template);
          }
        }
      } catch (err) {
        warn(`internal error in express use() (metrics may be incomplete): ${(err as Error)?.message ?? String(err)}`);
      }
      return result;
    });
  }

  private wrapDispatch(original: Fn): Fn {
    const metrics = this.metrics;
    const patchRender = (res: ResponseLike) => this.patchRenderOf(res);
    return markPatched(function dispatch(this: RouteLike, req: RequestLike, res: ResponseLike, done: Fn) {
      let routeDone = done;
      try {
        if (res !== null && typeof res === 'object') {
          res[VIEW] = viewOf(this, req?.[MOUNT]);
          // An express copy loaded under another name (an alias, a bundle): patch its render lazily.
          const render = res.render;
          if (typeof render === 'function' && (render as any)[PATCHED] !== true) patchRender(res);
          routeDone = function (this: unknown, err?: unknown) {
            if (err !== undefined && err !== null && err !== 'route' && err !== 'router') metrics.recordException(res, err, res[VIEW]);
            return done.apply(this, arguments as unknown as unknown[]);
          };
        }
      } catch (err) {
        warn(`internal error in express dispatch (metrics may be incomplete): ${(err as Error)?.message ?? String(err)}`);
      }
      return original.call(this, req, res, routeDone);
    });
  }

  private patchResponse(response: any): void {
    if (response === null || typeof response !== 'object') return;
    if (typeof response.render === 'function' && response.render[PATCHED] !== true) response.render = this.wrapRender(response.render);
  }

  /** Patch `render` where it lives on this response's prototype chain. */
  private patchRenderOf(res: ResponseLike): void {
    let owner: any = res;
    while (owner !== null && !Object.prototype.hasOwnProperty.call(owner, 'render')) owner = Object.getPrototypeOf(owner);
    if (owner !== null && typeof owner.render === 'function' && owner.render[PATCHED] !== true)
      owner.render = this.wrapRender(owner.render);
  }

  private wrapRender(original: Fn): Fn {
    const metrics = this.metrics;
    return markPatched(function render(this: ResponseLike, view: unknown, options?: unknown, callback?: unknown) {
      const res = this;
      // express: render(view, callback) and render(view, options, callback); no callback sends the html.
      const userCallback = typeof options === 'function' ? (options as Fn) : typeof callback === 'function' ? (callback as Fn) : undefined;
      const done = function (this: unknown, err: unknown, html: unknown) {
        if (err === undefined || err === null) {
          try {
            metrics.recordTemplate(res, view);
          } catch {
            // counting never changes what the application sees
          }
        }
        if (userCallback !== undefined) return userCallback.call(this, err, html);
        if (err) return res.req!.next!(err);
        return res.send!(html);
      };
      if (typeof options === 'function') return original.call(this, view, done);
      return original.call(this, view, options, done);
    });
  }
}

/** The view of a route under the mount templates the request went through. */
function viewOf(route: RouteLike, mount: string | undefined): string {
  let template = route[TEMPLATE];
  if (template === undefined) {
    template = renderRoutePath(route.path) ?? UNNAMED_VIEW;
    route[TEMPLATE] = template;
  }
  if (mount === undefined || template === UNNAMED_VIEW) return template;
  let cache = route[VIEWS_BY_MOUNT];
  if (cache === undefined) route[VIEWS_BY_MOUNT] = cache = new Map();
  let view = cache.get(mount);
  if (view === undefined) {
    view = joinRoutePath(mount, template);
    if (cache.size < 32) cache.set(mount, view);
  }
  return view;
}

/**
 * Wrap a mounted layer's handler so the mount template is on the request while the
 * mounted stack runs, and restored when it hands back with `next`. Error handlers
 * (4 arguments) are left alone: express tells them apart by their length.
 */
function wrapMountedLayer(layer: LayerLike, template: string): void {
  const fn = layer?.handle;
  if (typeof fn !== 'function' || fn.length > 3 || (fn as any)[PATCHED] === true) return;
  const mounted = function (this: unknown, req: RequestLike, res: unknown, next: Fn) {
    const previous = req[MOUNT];
    req[MOUNT] = previous === undefined ? template : joinRoutePath(previous, template);
    return fn.call(this, req, res, function (this: unknown) {
      req[MOUNT] = previous;
      return next.apply(this, arguments as unknown as unknown[]);
    });
  };
  // Reads such as `layer.handle.stack` (route listing tools) still reach the original.
  Object.setPrototypeOf(mounted, fn);
  Object.defineProperty(mounted, 'name', { value: fn.name, configurable: true });
  markPatched(mounted);
  layer.handle = mounted;
}
