/**
 * Route templates, exceptions and rendered templates from express 4 and 5 (and the
 * standalone `router` package express 5 is built on). No spans, no context: the view is
 * written on the ServerResponse for the server metrics to read at finish time.
 *
 * - `router.route(path)` / `app.get(path)`: the Route keeps its path; `Route#dispatch`
 *   writes mount prefix + route template as the view, and counts an error leaving the route.
 * - `router.use(path, fn)` / `app.use(path, router)`: a mount with a path gets a thin wrapper
 *   that keeps the mount template on the request while the mounted stack runs.
 * - `Layer#handle_request` (express 4) / `Layer#handleRequest` (router 2): every handler's
 *   `next` is observed, so an error from plain middleware is reported too.
 * - `res.render(name)`: a successful render counts its template name.
 */
import type { InstrumentationConfig, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { internalError } from '../core/log';
import { isPatched, patchMethod, type AnyFunction } from '../core/patch';
import { FrameworkInstrumentation, type RouteReporter } from './framework';
import { MOUNT, mountedHandler, mountTemplate, type MountedRequest } from './mount';
import { joinRoutePath, renderRoutePath, UNNAMED_VIEW, useMountPath } from './route-template';

/** On a Route: its rendered template; and a small cache mount → view. */
const TEMPLATE = Symbol('autoprom.express.template');
const VIEWS_BY_MOUNT = Symbol('autoprom.express.viewsByMount');
type Fn = AnyFunction;
interface RouteLike {
  path: unknown;
  dispatch: Fn;
  [TEMPLATE]?: string;
  [VIEWS_BY_MOUNT]?: Map<string, string>;
}
interface LayerLike {
  handle: Fn;
}
/** On a request: the last `next` a layer got and its observed stand-in (a router reuses one `next`). */
const NEXT_SEEN = Symbol('autoprom.express.nextSeen');
const NEXT_OBSERVED = Symbol('autoprom.express.nextObserved');
interface RequestLike extends MountedRequest {
  [NEXT_SEEN]?: Fn;
  [NEXT_OBSERVED]?: Fn;
}
interface ResponseLike {
  render?: Fn;
  req?: { next?: Fn };
  send?: Fn;
}

// The express and router exports are untyped here: every read below is checked before use.
/* eslint-disable @typescript-eslint/no-explicit-any */
export class ExpressRoutesInstrumentation extends FrameworkInstrumentation {
  constructor(reporter: RouteReporter, config: InstrumentationConfig = {}) {
    super('express', reporter, config);
  }

  protected init() {
    return [
      this.withFiles(
        this.moduleHook('express', ['>=4.0.0 <6'], (express: any) => {
          this.patchRouter(express?.Router, express?.Route);
          this.patchResponse(express?.response);
        }),
        ['express/lib/router/layer.js', ['>=4.0.0 <5'], 'handle_request'],
      ),
      // express 5 routes through `router`; also covers the standalone package and aliased express installs.
      this.withFiles(
        this.moduleHook('router', ['>=2.0.0 <3'], (Router: any) => this.patchRouter(Router, Router?.Route)),
        ['router/lib/layer.js', ['>=2.0.0 <3'], 'handleRequest'],
      ),
    ];
  }

  /** Add the hook of a router's Layer file: every middleware and handler runs through its `method`. */
  private withFiles(
    hook: InstrumentationNodeModuleDefinition,
    [file, versions, method]: [string, string[], string],
  ): InstrumentationNodeModuleDefinition {
    hook.files.push(
      this.fileHook(file, versions, (Layer: any) => {
        if (typeof Layer === 'function' && Layer.prototype !== undefined)
          patchMethod(Layer.prototype, method, (original) => this.wrapHandleRequest(original));
        return Layer;
      }),
    );
    return hook;
  }

  /**
   * A layer runs a handler with `next`: an error it passes on, throws or (express 5) rejects
   * reaches that `next`. Reported there, plain middleware errors count too (when the answer is a 5xx).
   */
  private wrapHandleRequest(original: Fn): Fn {
    const reporter = this.reporter;
    return function handleRequest(this: unknown, req: RequestLike, res: unknown, next: Fn) {
      if (typeof next === 'function' && req !== null && typeof req === 'object' && res !== null && typeof res === 'object')
        return original.call(this, req, res, observedNext(req, res, next, reporter));
      return original.apply(this, arguments as unknown as unknown[]);
    };
  }

  /** express 4 keeps router methods on the Router function itself, `router` on its prototype. */
  private patchRouter(Router: any, Route: any): void {
    if (typeof Router !== 'function') return;
    const proto = typeof Router.prototype?.use === 'function' ? Router.prototype : Router;
    patchMethod(proto, 'use', (original) => this.wrapUse(original));
    if (typeof Route === 'function' && Route.prototype !== undefined)
      patchMethod(Route.prototype, 'dispatch', (original) => this.wrapDispatch(original));
  }

  private wrapUse(original: Fn): Fn {
    const reporter = this.reporter;
    return function use(this: { stack?: LayerLike[] }, ...args: unknown[]) {
      const before = Array.isArray(this?.stack) ? this.stack.length : -1;
      const result = original.apply(this, args);
      try {
        if (before >= 0 && Array.isArray(this.stack)) {
          const template = mountTemplate(useMountPath(args));
          if (template !== undefined) {
            for (let i = before; i < this.stack.length; i++) wrapMountedLayer(this.stack[i], template, reporter);
          }
        }
      } catch (err) {
        internalError('express use()', err);
      }
      return result;
    };
  }

  private wrapDispatch(original: Fn): Fn {
    const reporter = this.reporter;
    const patchRender = (res: ResponseLike) => this.patchRenderOf(res);
    return function dispatch(this: RouteLike, req: RequestLike, res: ResponseLike, done: Fn) {
      let routeDone = done;
      try {
        if (res !== null && typeof res === 'object') {
          const view = viewOf(this, req?.[MOUNT]);
          reporter.route(res, view);
          // An express copy loaded under another name (an alias, a bundle): patch its render lazily.
          if (typeof res.render === 'function' && !isPatched(res.render)) patchRender(res);
          routeDone = function (this: unknown, err?: unknown) {
            if (err !== undefined && err !== null && err !== 'route' && err !== 'router') reporter.exception(res, err, view);
            return done.apply(this, arguments as unknown as unknown[]);
          };
        }
      } catch (err) {
        internalError('express dispatch', err);
      }
      return original.call(this, req, res, routeDone);
    };
  }

  private patchResponse(response: any): void {
    if (response === null || typeof response !== 'object') return;
    patchMethod(response, 'render', (original) => this.wrapRender(original));
  }

  /** Patch `render` where it lives on this response's prototype chain. */
  private patchRenderOf(res: ResponseLike): void {
    let owner: any = res;
    while (owner !== null && !Object.prototype.hasOwnProperty.call(owner, 'render')) owner = Object.getPrototypeOf(owner);
    if (owner !== null) patchMethod(owner, 'render', (original) => this.wrapRender(original));
  }

  private wrapRender(original: Fn): Fn {
    const reporter = this.reporter;
    return function render(this: ResponseLike, view: unknown, options?: unknown, callback?: unknown) {
      const res = this;
      // express: render(view, callback) and render(view, options, callback); no callback sends the html.
      const userCallback = typeof options === 'function' ? (options as Fn) : typeof callback === 'function' ? (callback as Fn) : undefined;
      const done = function (this: unknown, err: unknown, html: unknown) {
        if (err === undefined || err === null) {
          try {
            reporter.template(res, view);
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
    };
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

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

/** Wrap a mounted layer's handler (see mount.ts): the mount template names what it answers. */
function wrapMountedLayer(layer: LayerLike, template: string, reporter: RouteReporter): void {
  if (layer !== null && typeof layer === 'object') layer.handle = mountedHandler(layer.handle, template, reporter) as Fn;
}

/** `next` that reports the error it is called with (not express's 'route' and 'router' signals). */
function observedNext(req: RequestLike, res: object, next: Fn, reporter: RouteReporter): Fn {
  if (req[NEXT_SEEN] === next) return req[NEXT_OBSERVED]!;
  const observed = function (this: unknown, err?: unknown) {
    if (err !== undefined && err !== null && err !== 'route' && err !== 'router') {
      try {
        reporter.exception(res, err, reporter.routeOf(res));
      } catch {
        // counting never changes what the application sees
      }
    }
    return next.apply(this, arguments as unknown as unknown[]);
  };
  req[NEXT_SEEN] = next;
  req[NEXT_OBSERVED] = observed;
  return observed;
}
