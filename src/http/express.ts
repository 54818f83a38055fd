/**
 * Route templates, exceptions and rendered templates from express 4 and 5 (and the
 * standalone `router` package express 5 is built on). No spans, no context: the view is
 * written on the ServerResponse for the server metrics to read at finish time.
 *
 * Nothing of autoprom's sits between express and a route's handlers, so the stack of an error a
 * handler throws is the one it has without autoprom (express prints it on its development error
 * page):
 * - the view: express assigns `req.route` when a route matches; an accessor on
 *   `http.IncomingMessage.prototype` sees the assignment and names the view (mount templates +
 *   route template). Which router a route belongs to and where each router is mounted are
 *   noted when the application registers them (`router.route`, `router.use(path, router)`);
 * - exceptions: an error on its way through the router reaches `Layer#handle_error` (express 4)
 *   / `Layer#handleError` (router 2) of each layer after it, and, when no layer answers it,
 *   finalhandler's `done`: both report it (once per request);
 * - what the registrations cannot tell is kept on the request by a thin wrapper around the
 *   mounted handler (mount.ts): plain handlers mounted with a path, sub-applications, and a
 *   router mounted in more than one place;
 * - `res.render(name)`: a successful render counts its template name.
 */
import { IncomingMessage } from 'node:http';
import type { InstrumentationConfig, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { couldNotInstrument, internalError } from '../core/log';
import { isPatched, markPatched, patchMethod, type AnyFunction } from '../core/patch';
import { FrameworkInstrumentation, type RouteReporter } from './framework';
import { MOUNT, mountedHandler, mountTemplate, type MountedRequest } from './mount';
import { joinMounts, joinRoutePath, renderRoutePath, UNNAMED_VIEW, useMountPath } from './route-template';

type Fn = AnyFunction;
/** On a Route: its rendered template, the router it was created on, and a small cache mount → view. */
const TEMPLATE = Symbol('autoprom.express.template');
const OWNER = Symbol('autoprom.express.owner');
const VIEWS = Symbol('autoprom.express.views');
interface RouteLike {
  path: unknown;
  [TEMPLATE]?: string;
  [OWNER]?: RouterLike;
  [VIEWS]?: { epoch: number; byMount: Map<string | undefined, string> };
}
interface LayerLike {
  handle: Fn;
}
/** On a router: where it is mounted, when that is one place (a router is a function with a `stack`). */
const MOUNTED_AT = Symbol('autoprom.express.mountedAt');
/** A router mounted in more than one place: a wrapper on each of its mounts says which one a request took. */
const AMBIGUOUS = 'ambiguous';
interface MountPoint {
  parent: RouterLike;
  template: string | undefined;
  layers: LayerLike[];
}
interface RouterLike {
  stack?: LayerLike[];
  [MOUNTED_AT]?: MountPoint | typeof AMBIGUOUS;
}
/** Counts the changes of where routers are mounted: cached views are computed anew after one. */
let mountEpoch = 0;
/** The value of `req.route`, behind the accessor. */
const ROUTE_VALUE = Symbol('autoprom.express.route');
interface RequestLike extends MountedRequest {
  res?: ResponseLike;
  socket?: { _httpMessage?: ResponseLike } | null;
  [ROUTE_VALUE]?: unknown;
}
interface ResponseLike {
  req?: unknown;
  render?: Fn;
  send?: Fn;
}
/** The Route classes of the express and router copies loaded: only theirs name a view. */
const ROUTE_CLASSES = new Set<unknown>();
let onRouteAssigned: ((req: RequestLike, route: RouteLike) => void) | undefined;

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
        ['express/lib/router/layer.js', ['>=4.0.0 <5'], 'handle_error'],
      ),
      // express 5 routes through `router`; also covers the standalone package and aliased express installs.
      this.withFiles(
        this.moduleHook('router', ['>=2.0.0 <3'], (Router: any) => this.patchRouter(Router, Router?.Route)),
        ['router/lib/layer.js', ['>=2.0.0 <3'], 'handleError'],
      ),
      // An error no layer answered: express's final handler (express 4 and 5, connect).
      this.moduleReplaceHook('finalhandler', ['>=1.0.0 <3'], (finalhandler) => this.wrapFinalhandler(finalhandler)),
    ];
  }

  /** Add the hook of a router's Layer file: an error passes each layer after it through `method`. */
  private withFiles(
    hook: InstrumentationNodeModuleDefinition,
    [file, versions, method]: [string, string[], string],
  ): InstrumentationNodeModuleDefinition {
    hook.files.push(
      this.fileHook(file, versions, (Layer: any) => {
        if (typeof Layer === 'function' && Layer.prototype !== undefined)
          patchMethod(Layer.prototype, method, (original) => this.wrapHandleError(original));
        return Layer;
      }),
    );
    return hook;
  }

  /** An error passed on, thrown or (express 5) rejected, on its way to the next error handler. */
  private wrapHandleError(original: Fn): Fn {
    const reporter = this.reporter;
    return function handleError(this: unknown, error: unknown, req: unknown, res: unknown) {
      reportError(reporter, res, error);
      return original.apply(this, arguments as unknown as unknown[]);
    };
  }

  /** finalhandler(req, res, options) returns the `done(err)` that answers what no layer answered. */
  private wrapFinalhandler(finalhandler: Fn): Fn {
    const reporter = this.reporter;
    if (isPatched(finalhandler)) return finalhandler;
    const wrapped = function (this: unknown, req: unknown, res: unknown) {
      const done = finalhandler.apply(this, arguments as unknown as unknown[]) as unknown;
      if (typeof done !== 'function' || res === null || typeof res !== 'object') return done;
      return function (this: unknown, err?: unknown) {
        reportError(reporter, res, err);
        return (done as Fn).apply(this, arguments as unknown as unknown[]);
      };
    };
    Object.defineProperty(wrapped, 'name', { value: finalhandler.name, configurable: true });
    return markPatched(wrapped, finalhandler);
  }

  /** express 4 keeps router methods on the Router function itself, `router` on its prototype. */
  private patchRouter(Router: any, Route: any): void {
    if (typeof Router !== 'function') return;
    const proto = typeof Router.prototype?.use === 'function' ? Router.prototype : Router;
    patchMethod(proto, 'use', (original) => this.wrapUse(original));
    patchMethod(proto, 'route', (original) => wrapRoute(original));
    if (typeof Route === 'function') {
      ROUTE_CLASSES.add(Route);
      this.watchRouteAssignments();
    }
  }

  /** `req.route = route` (express, router): the view of the request. */
  private watchRouteAssignments(): void {
    if (onRouteAssigned !== undefined) return;
    const reporter = this.reporter;
    const patchRender = (res: ResponseLike) => this.patchRenderOf(res);
    onRouteAssigned = (req, route) => {
      const res = responseOf(req);
      if (res === undefined) return;
      reporter.route(res, viewOf(route, req[MOUNT]));
      // An express copy loaded under another name (an alias, a bundle): patch its render lazily.
      if (typeof res.render === 'function' && !isPatched(res.render)) patchRender(res);
    };
    const proto = IncomingMessage.prototype as unknown as RequestLike;
    if (Object.getOwnPropertyDescriptor(proto, 'route') !== undefined) {
      couldNotInstrument('express', 'its routes stay <unnamed view>', new Error('http.IncomingMessage.prototype.route is taken'));
      return;
    }
    Object.defineProperty(proto, 'route', {
      configurable: true,
      enumerable: false,
      get(this: RequestLike) {
        return this[ROUTE_VALUE];
      },
      set(this: RequestLike, value: unknown) {
        const previous = this[ROUTE_VALUE];
        this[ROUTE_VALUE] = value;
        // express assigns a route twice (when it matches, and in Route#dispatch): the view once.
        if (value !== previous && value !== null && typeof value === 'object' && ROUTE_CLASSES.has(value.constructor)) {
          try {
            onRouteAssigned!(this, value as RouteLike);
          } catch (err) {
            internalError('express route', err);
          }
        }
      },
    });
  }

  private wrapUse(original: Fn): Fn {
    const reporter = this.reporter;
    return function use(this: RouterLike, ...args: unknown[]) {
      const before = Array.isArray(this?.stack) ? this.stack.length : -1;
      const result = original.apply(this, args);
      try {
        if (before >= 0 && Array.isArray(this.stack)) {
          const template = mountTemplate(useMountPath(args));
          for (let i = before; i < this.stack.length; i++) mountLayer(this, this.stack[i], template, reporter);
        }
      } catch (err) {
        internalError('express use()', err);
      }
      return result;
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
    return function render(this: ResponseLike & { req?: { next?: Fn } }, view: unknown, options?: unknown, callback?: unknown) {
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

/** An error (not express's 'route' and 'router' signals) the framework handles for `res`. */
function reportError(reporter: RouteReporter, res: unknown, err: unknown): void {
  if (err === undefined || err === null || err === 'route' || err === 'router' || res === null || typeof res !== 'object') return;
  try {
    reporter.exception(res, err, reporter.routeOf(res));
  } catch {
    // counting never changes what the application sees
  }
}

/** The ServerResponse of a request: express's `req.res`, else the one its socket is answering. */
function responseOf(req: RequestLike): ResponseLike | undefined {
  const res = req.res;
  if (res !== null && typeof res === 'object' && res.req === req) return res;
  const current = req.socket?._httpMessage;
  return current !== null && typeof current === 'object' && current.req === req ? current : undefined;
}

/** `router.route(path)` (and `app.get(path)` through it): the route knows its router. */
function wrapRoute(original: Fn): Fn {
  return function route(this: RouterLike, ...args: unknown[]) {
    const created = original.apply(this, args) as unknown;
    if (created !== null && typeof created === 'object') (created as RouteLike)[OWNER] = this;
    return created;
  };
}

function isRouter(fn: unknown): fn is Fn & RouterLike {
  return typeof fn === 'function' && Array.isArray((fn as RouterLike).stack) && typeof (fn as { handle?: unknown }).handle === 'function';
}

/**
 * A layer `router.use` added under `template` (undefined: every path). A router mounted in one
 * place is noted on the router; any other handler with a path, and each mount of a router that
 * is mounted in more than one place, gets mount.ts's wrapper.
 */
function mountLayer(parent: RouterLike, layer: LayerLike, template: string | undefined, reporter: RouteReporter): void {
  if (layer === null || typeof layer !== 'object') return;
  const handle = layer.handle;
  if (!isRouter(handle)) {
    if (template !== undefined) wrapMountedLayer(parent, layer, template, reporter);
    return;
  }
  const at = handle[MOUNTED_AT];
  mountEpoch++;
  if (at === undefined) handle[MOUNTED_AT] = { parent, template, layers: [layer] };
  else if (at !== AMBIGUOUS && at.parent === parent && at.template === template) at.layers.push(layer);
  else {
    handle[MOUNTED_AT] = AMBIGUOUS;
    if (at !== AMBIGUOUS) for (const first of at.layers) wrapMountedLayer(at.parent, first, at.template ?? '', reporter);
    wrapMountedLayer(parent, layer, template ?? '', reporter);
  }
}

/** Wrap a mounted layer's handler (mount.ts): the wrapper keeps its mount on the request (its router's mounts computed once per change of mounts). */
function wrapMountedLayer(parent: RouterLike, layer: LayerLike, template: string, reporter: RouteReporter): void {
  let epoch = -1;
  let base: string | undefined;
  const baseOf = () => {
    if (epoch !== mountEpoch) {
      base = mountOf(parent);
      epoch = mountEpoch;
    }
    return base;
  };
  layer.handle = mountedHandler(layer.handle, template, reporter, baseOf) as Fn;
}

/**
 * The mount templates of a router, as far as registrations tell them: up its one-place mounts, to
 * the first router that is an application's own or whose mount a wrapper keeps on the request.
 */
function mountOf(router: RouterLike | undefined): string | undefined {
  let mount: string | undefined;
  for (let depth = 0; router !== undefined && depth < 32; depth++) {
    const at = router[MOUNTED_AT];
    if (at === undefined || at === AMBIGUOUS) break;
    mount = joinMounts(at.template, mount);
    router = at.parent;
  }
  return mount;
}

/** The view of a route: the mount the request is inside (wrappers), the route's router's mounts, the route. */
function viewOf(route: RouteLike, mount: string | undefined): string {
  let template = route[TEMPLATE];
  if (template === undefined) {
    template = renderRoutePath(route.path) ?? UNNAMED_VIEW;
    route[TEMPLATE] = template;
  }
  if (template === UNNAMED_VIEW) return template;
  let cache = route[VIEWS];
  if (cache === undefined || cache.epoch !== mountEpoch) route[VIEWS] = cache = { epoch: mountEpoch, byMount: new Map() };
  let view = cache.byMount.get(mount);
  if (view === undefined) {
    const base = joinMounts(mount, mountOf(route[OWNER]));
    view = base === undefined ? template : joinRoutePath(base, template);
    if (cache.byMount.size < 32) cache.byMount.set(mount, view);
  }
  return view;
}
