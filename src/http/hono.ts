/**
 * Route templates and handler errors from Hono 3 and 4 served by @hono/node-server. Every route
 * and middleware Hono registers reaches its router as `router.add(method, fullPath, [fn, route])`
 * (`router.add(method, fullPath, fn)` in the first Hono 3 releases),
 * the full path with `basePath` and `app.route` prefixes already joined. We patch `add` of
 * Hono's routers (SmartRouter, RegExpRouter, TrieRouter, PatternRouter, LinearRouter; in an ES
 * module app, the default app's router, reached through a probe `new Hono()`) to wrap `fn`:
 * when it runs, it writes its path on the node response (`c.env.outgoing`): the last one to run
 * is the handler that answered, and an error it raises is reported with that path.
 * Global middleware (`*`, `/*`) never names a view: a request only it saw stays `<unnamed view>`.
 */
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { internalError } from '../core/log';
import { isPatched, markPatched, patchMethod, type AnyFunction } from '../core/patch';
import { FrameworkInstrumentation, type RouteReporter } from './framework';
import { renderRoutePath } from './route-template';

const HONO_VERSIONS = ['>=3.0.0 <5'];
const ROUTERS: ReadonlyArray<readonly [string, string]> = [
  ['smart-router', 'SmartRouter'],
  ['reg-exp-router', 'RegExpRouter'],
  ['trie-router', 'TrieRouter'],
  ['pattern-router', 'PatternRouter'],
  ['linear-router', 'LinearRouter'],
];
/** Paths of middleware that runs for every request: not a route. */
const EVERY_PATH = new Set(['*', '/*']);

interface HonoContextLike {
  env?: { outgoing?: unknown };
}

/** The view a Hono route path gives, or undefined for global middleware. */
export function honoView(path: unknown): string | undefined {
  const template = renderRoutePath(path);
  return template === undefined || EVERY_PATH.has(template) ? undefined : template;
}

export class HonoRoutesInstrumentation extends FrameworkInstrumentation {
  constructor(reporter: RouteReporter, config: InstrumentationConfig = {}) {
    super('hono', reporter, config);
  }

  protected init() {
    // ES module imports of Hono's own files are not hooked: the router class is reached through a probe app.
    const hono = this.moduleHook('hono', HONO_VERSIONS, (exports: { Hono?: unknown }) => this.patchDefaultRouter(exports?.Hono));
    for (const [dir, className] of ROUTERS)
      for (const base of ['hono/dist/cjs/router', 'hono/dist/router'])
        hono.files.push(this.fileHook(`${base}/${dir}/router.js`, HONO_VERSIONS, (exports) => this.patchRouter(exports, className)));
    return [hono];
  }

  /** Patch `add` of the router a default `new Hono()` gets (its prototype is the router class's). */
  private patchDefaultRouter(Hono: unknown): void {
    if (typeof Hono !== 'function') return;
    const router = (new (Hono as new () => { router?: unknown })() as { router?: unknown }).router;
    const proto = router !== null && typeof router === 'object' ? (Object.getPrototypeOf(router) as object | null) : null;
    if (proto !== null) patchMethod(proto, 'add', (original) => this.wrapAdd(original));
  }

  private patchRouter(exports: unknown, className: string): unknown {
    const Router = (exports as Record<string, unknown> | undefined)?.[className];
    const proto = typeof Router === 'function' ? (Router.prototype as object | undefined) : undefined;
    if (proto !== undefined) patchMethod(proto, 'add', (original) => this.wrapAdd(original));
    return exports;
  }

  private wrapAdd(original: AnyFunction): AnyFunction {
    const wrapHandler = (fn: AnyFunction, path: unknown) => this.wrapHandler(fn, path);
    return function add(this: unknown, method: unknown, path: unknown, handler: unknown) {
      let entry = handler;
      try {
        // Hono's entry is [fn, routeInfo] (early Hono 3: fn); SmartRouter hands the same entry on to its inner routers.
        if (Array.isArray(handler) && typeof handler[0] === 'function' && !isPatched(handler[0]))
          entry = [wrapHandler(handler[0] as AnyFunction, path), ...(handler.slice(1) as unknown[])];
        else if (typeof handler === 'function' && !isPatched(handler)) entry = wrapHandler(handler as AnyFunction, path);
      } catch (err) {
        internalError('hono router add', err);
      }
      return original.call(this, method, path, entry);
    };
  }

  private wrapHandler(fn: AnyFunction, path: unknown): AnyFunction {
    const reporter = this.reporter;
    const view = honoView(path);
    const failed = (response: object, err: unknown) => {
      try {
        reporter.exception(response, err, view ?? reporter.routeOf(response));
      } catch {
        // counting never changes what the application sees
      }
    };
    const wrapped = function honoHandler(this: unknown, c: HonoContextLike) {
      const response = c?.env?.outgoing;
      if (response === null || typeof response !== 'object') return fn.apply(this, arguments as unknown as unknown[]);
      if (view !== undefined) reporter.route(response, view);
      let result: unknown;
      try {
        result = fn.apply(this, arguments as unknown as unknown[]);
      } catch (err) {
        failed(response, err);
        throw err;
      }
      if (result instanceof Promise)
        return result.then(undefined, (err: unknown) => {
          failed(response, err);
          throw err;
        });
      return result;
    };
    Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
    return markPatched(wrapped, fn);
  }
}
