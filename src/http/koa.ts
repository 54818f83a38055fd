/**
 * Route templates and errors from koa with @koa/router and koa-mount. The router writes the
 * matched layer's path (prefix included) on the context as `_matchedRoute`; koa routes every
 * middleware error through `ctx.onerror`. We patch koa's `createContext` to let the
 * response find its context at finish time, and the context prototype's `onerror`.
 *
 * koa-mount's `mount('/v1', appOrMiddleware)` is wrapped so that while the mounted downstream
 * runs, the context knows the mount templates it is inside (joined, outer first): a route
 * the router matches there is prefixed by them, and a request the mounted downstream answers
 * without a route is named by its mount (mount.ts has the rule for every framework).
 */
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { internalError } from '../core/log';
import { isPatched, markPatched, patchMethod, type AnyFunction } from '../core/patch';
import { FrameworkInstrumentation, type RouteReporter } from './framework';
import { mountTemplate } from './mount';
import { joinRoutePath, renderRoutePath } from './route-template';

type Fn = AnyFunction;
/** On a context: the mount templates the running middleware is inside, joined. */
const MOUNT = Symbol('autoprom.koa.mount');
/** On a context: the mount of the downstream that answered (taken back when it hands on). */
const MOUNT_VIEW = Symbol('autoprom.koa.mountView');
/** On a context: the mount templates `_matchedRoute` was written under. */
const ROUTE_MOUNT = Symbol('autoprom.koa.routeMount');
interface KoaContextLike {
  _matchedRoute?: unknown;
  res?: object;
  [MOUNT]?: string;
  [MOUNT_VIEW]?: string;
  [ROUTE_MOUNT]?: string;
}

/**
 * The view of a koa context: the route template @koa/router matched (under the koa-mount
 * paths it matched in), else the mount of the mounted downstream that answered, if any.
 */
export function koaView(ctx: KoaContextLike | undefined): string | undefined {
  if (ctx === undefined || ctx === null) return undefined;
  const route = ctx._matchedRoute;
  const template = route === undefined ? undefined : renderRoutePath(route);
  if (template === undefined) return ctx[MOUNT_VIEW];
  const mount = ctx[ROUTE_MOUNT];
  return mount === undefined ? template : joinRoutePath(mount, template);
}

/** Whether any koa-mount mount was made: only then do contexts record where their route matched. */
let mountsMade = false;
/** On a context: the value of `_matchedRoute`, behind the accessor below. */
const MATCHED_ROUTE = Symbol('autoprom.koa.matchedRoute');

/**
 * Record under which mount the router writes `_matchedRoute`, on every context of an app: one
 * accessor on the app's context prototype (`app.context`), so nothing is defined per request.
 * Left alone if the prototype already has its own `_matchedRoute`.
 */
function trackRouteMounts(proto: object): void {
  if (Object.prototype.hasOwnProperty.call(proto, '_matchedRoute')) return;
  Object.defineProperty(proto, '_matchedRoute', {
    configurable: true,
    enumerable: false,
    get(this: KoaContextLike & { [MATCHED_ROUTE]?: unknown }) {
      return this[MATCHED_ROUTE];
    },
    set(this: KoaContextLike & { [MATCHED_ROUTE]?: unknown }, value: unknown) {
      this[MATCHED_ROUTE] = value;
      this[ROUTE_MOUNT] = this[MOUNT];
    },
  });
}

/**
 * koa-mount's `mount(prefix, app)`, wrapped: koa-mount itself composes `app` (a Koa app, an
 * array or a middleware), matches the prefix and rewrites `ctx.path`; it is handed a
 * downstream that keeps the mount on the context while it runs.
 */
function wrapMount(original: Fn): Fn {
  if (isPatched(original)) return original;
  const mount = function mount(this: unknown, prefix: unknown, app: unknown) {
    const template =
      typeof prefix === 'string' && prefix.startsWith('/') && app !== null && app !== undefined ? mountTemplate(prefix) : undefined;
    if (template === undefined) return original.apply(this, arguments as unknown as unknown[]);
    mountsMade = true;
    // `mount('/', app)` is koa-mount's own composition of `app`, not mounted anywhere.
    const downstream = original.call(this, '/', app) as unknown;
    if (typeof downstream !== 'function') return original.apply(this, arguments as unknown as unknown[]);
    return original.call(this, prefix, mountedDownstream(downstream as Fn, template, (app as { name?: unknown }).name));
  };
  Object.defineProperty(mount, 'name', { value: original.name, configurable: true });
  return markPatched(mount, original);
}

/** The downstream koa-mount runs once its prefix matched. */
function mountedDownstream(downstream: Fn, template: string, name: unknown): Fn {
  const mounted = async function (this: unknown, ctx: KoaContextLike, upstream: Fn) {
    if (ctx === null || typeof ctx !== 'object' || typeof upstream !== 'function')
      return downstream.apply(this, arguments as unknown as unknown[]) as unknown;
    const outer = ctx[MOUNT];
    const full = outer === undefined ? template : joinRoutePath(outer, template);
    const outerView = ctx[MOUNT_VIEW];
    ctx[MOUNT] = full;
    ctx[MOUNT_VIEW] = full;
    // Handing on: what comes next is not this mount's (unless the mount answers after it).
    const handOn = async function (this: unknown) {
      ctx[MOUNT] = outer;
      if (ctx[MOUNT_VIEW] === full) ctx[MOUNT_VIEW] = outerView;
      try {
        return (await upstream.apply(this, arguments as unknown as unknown[])) as unknown;
      } finally {
        ctx[MOUNT] = full;
      }
    };
    try {
      return (await downstream.call(this, ctx, handOn)) as unknown;
    } finally {
      ctx[MOUNT] = outer;
    }
  };
  // koa-mount names the mount by `app.name` in its debug output.
  if (typeof name === 'string') Object.defineProperty(mounted, 'name', { value: name, configurable: true });
  return mounted;
}

export class KoaRoutesInstrumentation extends FrameworkInstrumentation {
  constructor(reporter: RouteReporter, config: InstrumentationConfig = {}) {
    super('koa', reporter, config);
  }

  protected init() {
    return [
      // The koa Application class: untyped here, its prototype is checked by patchMethod.
      this.moduleHook('koa', ['>=2.0.0 <4'], (Application: { prototype?: object } | undefined) => {
        if (Application?.prototype !== undefined)
          patchMethod(Application.prototype, 'createContext', (original) => this.wrapCreateContext(original));
      }),
      this.moduleReplaceHook('koa-mount', ['>=3.0.0 <5'], wrapMount),
    ];
  }

  private wrapCreateContext(original: Fn): Fn {
    // Each app's context prototype is patched once; later requests skip the prototype walk.
    const seenApps = new WeakSet<object>();
    const mountTracked = new WeakSet<object>();
    const patchOnerror = (app: { context?: object }) => {
      if (!seenApps.has(app)) {
        seenApps.add(app);
        this.patchOnerror(app);
      }
      if (mountsMade && !mountTracked.has(app) && app.context !== null && typeof app.context === 'object') {
        mountTracked.add(app);
        trackRouteMounts(app.context);
      }
    };
    const reporter = this.reporter;
    return function createContext(this: { context?: object }, req: unknown, res: unknown) {
      const ctx = original.apply(this, arguments as unknown as unknown[]) as KoaContextLike;
      try {
        if (res !== null && typeof res === 'object') reporter.routeLater(res, () => koaView(ctx));
        patchOnerror(this);
      } catch (err) {
        internalError('koa createContext', err);
      }
      return ctx;
    };
  }

  /** Patch `onerror` where it lives on the app's context prototype chain (once). */
  private patchOnerror(app: { context?: object }): void {
    let owner: object | null | undefined = app.context;
    while (owner !== null && owner !== undefined && !Object.prototype.hasOwnProperty.call(owner, 'onerror'))
      owner = Object.getPrototypeOf(owner) as object | null;
    if (owner === null || owner === undefined) return;
    const reporter = this.reporter;
    patchMethod(
      owner,
      'onerror',
      (original) =>
        function onerror(this: KoaContextLike, err: unknown) {
          // koa also calls onerror(null) when a response finishes cleanly.
          if (err !== null && err !== undefined) {
            try {
              if (this?.res !== undefined) reporter.exception(this.res, err, koaView(this));
            } catch {
              // counting never changes what the application sees
            }
          }
          return original.apply(this, arguments as unknown as unknown[]);
        },
    );
  }
}
