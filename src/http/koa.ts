/**
 * Route templates and errors from koa with @koa/router. The router writes the matched
 * layer's path (prefix included) on the context as `_matchedRoute`; koa routes every
 * middleware error through `ctx.onerror`. We patch koa's `createContext` to let the
 * response find its context at finish time, and the context prototype's `onerror`.
 */
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { internalError } from '../core/log';
import { patchMethod, type AnyFunction } from '../core/patch';
import { FrameworkInstrumentation, type RouteReporter } from './framework';
import { renderRoutePath } from './route-template';

type Fn = AnyFunction;
interface KoaContextLike {
  _matchedRoute?: unknown;
  res?: object;
}

/** The view of a koa context: the route template @koa/router matched, if any. */
export function koaView(ctx: KoaContextLike | undefined): string | undefined {
  const route = ctx?._matchedRoute;
  return route === undefined ? undefined : renderRoutePath(route);
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
    ];
  }

  private wrapCreateContext(original: Fn): Fn {
    // Each app's context prototype is patched once; later requests skip the prototype walk.
    const seenApps = new WeakSet<object>();
    const patchOnerror = (app: { context?: object }) => {
      if (seenApps.has(app)) return;
      seenApps.add(app);
      this.patchOnerror(app);
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
