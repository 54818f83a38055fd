/**
 * Route templates and errors from koa with @koa/router. The router writes the matched
 * layer's path (prefix included) on the context as `_matchedRoute`; koa routes every
 * middleware error through `ctx.onerror`. We patch koa's `createContext` to let the
 * response find its context at finish time, and the context prototype's `onerror`.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { warn } from '../core/log';
import { renderRoutePath } from './route-template';
import { VIEW_RESOLVER, type HttpServerMetrics } from './server';
import { PACKAGE_VERSION } from './version';

const PATCHED = Symbol('autoprom.koa.patched');

type Fn = (...args: any[]) => any;
interface KoaContextLike {
  _matchedRoute?: unknown;
  res?: object;
}

/** The view of a koa context: the route template @koa/router matched, if any. */
export function koaView(ctx: KoaContextLike | undefined): string | undefined {
  const route = ctx?._matchedRoute;
  return route === undefined ? undefined : renderRoutePath(route);
}

function exportsOf(moduleExports: any): any {
  return moduleExports?.[Symbol.toStringTag] === 'Module' ? (moduleExports.default ?? moduleExports) : moduleExports;
}

export class KoaRoutesInstrumentation extends InstrumentationBase<InstrumentationConfig> {
  constructor(
    private readonly metrics: HttpServerMetrics,
    config: InstrumentationConfig = {},
  ) {
    super('autoprom-koa', PACKAGE_VERSION, config);
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition('koa', ['>=2.0.0 <4'], (moduleExports: any) => {
        try {
          const Application = exportsOf(moduleExports);
          const proto = Application?.prototype;
          if (proto !== undefined && typeof proto.createContext === 'function' && proto.createContext[PATCHED] !== true) {
            proto.createContext = this.wrapCreateContext(proto.createContext);
          }
        } catch (err) {
          warn(`could not instrument koa (its routes stay <unnamed view>): ${(err as Error)?.message ?? String(err)}`);
        }
        return moduleExports;
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
    const createContext = function (this: { context?: object }, req: unknown, res: unknown) {
      const ctx = original.apply(this, arguments as unknown as unknown[]) as KoaContextLike;
      try {
        if (res !== null && typeof res === 'object') {
          (res as { [VIEW_RESOLVER]?: () => unknown })[VIEW_RESOLVER] = () => koaView(ctx);
        }
        patchOnerror(this);
      } catch (err) {
        warn(`internal error in koa createContext (metrics may be incomplete): ${(err as Error)?.message ?? String(err)}`);
      }
      return ctx;
    };
    Object.defineProperty(createContext, PATCHED, { value: true });
    return createContext;
  }

  /** Patch `onerror` where it lives on the app's context prototype chain (once). */
  private patchOnerror(app: { context?: object }): void {
    let owner: any = app.context;
    while (owner !== null && owner !== undefined && !Object.prototype.hasOwnProperty.call(owner, 'onerror'))
      owner = Object.getPrototypeOf(owner);
    if (owner === null || owner === undefined || typeof owner.onerror !== 'function' || owner.onerror[PATCHED] === true) return;
    const original = owner.onerror as Fn;
    const metrics = this.metrics;
    const onerror = function (this: KoaContextLike, err: unknown) {
      // koa also calls onerror(null) when a response finishes cleanly.
      if (err !== null && err !== undefined) {
        try {
          if (this?.res !== undefined) metrics.recordException(this.res, err, koaView(this));
        } catch {
          // counting never changes what the application sees
        }
      }
      return original.apply(this, arguments as unknown as unknown[]);
    };
    Object.defineProperty(onerror, PATCHED, { value: true });
    owner.onerror = onerror;
  }
}
