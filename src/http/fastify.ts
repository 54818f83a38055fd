/**
 * Route templates and handler errors from fastify 4 and 5. Every fastify instance announces
 * itself on the `fastify.initialization` diagnostics channel before any route is added, so
 * no module patching is needed (any install name, CommonJS or ES modules). On it we add:
 * - an `onRoute` hook that gives each route a first `onRequest` hook writing its full URL
 *   template (prefix included) on the raw response;
 * - an `onError` hook that counts the error once.
 * Middleware mounted with a path through @fastify/middie (`fastify.use('/trpc', handler)`):
 * middie's engine gets every mount path with the instance prefixes joined; its `use` is
 * wrapped so what a mounted handler answers is named by that path (mount.ts). @fastify/express
 * mounts through express's own `app.use`, which express.ts already covers.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { couldNotInstrument, guarded, internalError } from '../core/log';
import { markPatched, patchMethod, type AnyFunction } from '../core/patch';
import { FrameworkInstrumentation, type RouteReporter } from './framework';
import { mountedHandler, mountTemplate } from './mount';
import { renderRoutePath, UNNAMED_VIEW } from './route-template';

const INITIALIZATION = 'fastify.initialization';
const INSTRUMENTED = Symbol('autoprom.fastify.instrumented');
const MIDDIE_VERSIONS = ['>=8.0.0 <10'];

type Done = (err?: unknown) => void;
interface FastifyReplyLike {
  raw: object;
}
interface RouteOptionsLike {
  url?: unknown;
  path?: unknown;
  onRequest?: unknown;
}
interface FastifyLike {
  addHook(name: string, hook: (...args: never[]) => unknown): unknown;
  [INSTRUMENTED]?: true;
}

export class FastifyRoutesInstrumentation extends FrameworkInstrumentation {
  private ready?: boolean;
  private subscribed?: boolean;

  constructor(reporter: RouteReporter, config: InstrumentationConfig = {}) {
    super('fastify', reporter, config);
    // InstrumentationBase enables from its constructor, before this subclass is initialized.
    this.ready = true;
    if (this.getConfig().enabled !== false) this.enable();
  }

  protected init() {
    const middie = this.moduleHook('@fastify/middie', MIDDIE_VERSIONS, () => undefined);
    middie.files.push(this.fileHook('@fastify/middie/lib/engine.js', MIDDIE_VERSIONS, (engine) => this.wrapMiddieEngine(engine)));
    return [middie];
  }

  override enable(): void {
    if (this.ready !== true || this.subscribed === true) return;
    super.enable();
    subscribe(INITIALIZATION, this.onInitialization);
    this.subscribed = true;
  }

  override disable(): void {
    if (this.subscribed !== true) return;
    super.disable();
    unsubscribe(INITIALIZATION, this.onInitialization);
    this.subscribed = false;
  }

  /** middie's engine module is its factory `middie(complete, options)`: each engine it makes gets its `use` wrapped. */
  private wrapMiddieEngine(factory: unknown): unknown {
    if (typeof factory !== 'function') return factory;
    const wrapUse = (original: AnyFunction) => this.wrapMiddieUse(original);
    const engine = function middie(this: unknown) {
      const made = (factory as AnyFunction).apply(this, arguments as unknown as unknown[]) as unknown;
      try {
        if (made !== null && typeof made === 'object') patchMethod(made, 'use', wrapUse);
      } catch (err) {
        internalError('fastify middie engine', err);
      }
      return made;
    };
    Object.defineProperty(engine, 'name', { value: (factory as AnyFunction).name, configurable: true });
    return markPatched(engine, factory as AnyFunction);
  }

  /** `use(url, fn | fn[])` (or `use(fn)`): handlers mounted with a path are named by it when they answer. */
  private wrapMiddieUse(original: AnyFunction): AnyFunction {
    const reporter = this.reporter;
    return function use(this: unknown, url: unknown, fn: unknown) {
      if (fn === undefined) return original.apply(this, arguments as unknown as unknown[]);
      let handlers: unknown = fn;
      try {
        const template = mountTemplate(url);
        if (template !== undefined)
          handlers = Array.isArray(fn)
            ? fn.map((f: unknown) => mountedHandler(f, template, reporter))
            : mountedHandler(fn, template, reporter);
      } catch (err) {
        internalError('fastify middie use()', err);
      }
      return original.call(this, url, handlers);
    };
  }

  private readonly onInitialization = (message: unknown): void => {
    try {
      const app = (message as { fastify?: FastifyLike })?.fastify;
      if (app === undefined || typeof app.addHook !== 'function' || app[INSTRUMENTED] === true) return;
      Object.defineProperty(app, INSTRUMENTED, { value: true });
      const reporter = this.reporter;
      app.addHook(
        'onRoute',
        guarded('fastify onRoute', (routeOptions: RouteOptionsLike) => addRouteHook(routeOptions, reporter)),
      );
      app.addHook('onError', function autopromOnError(_request: unknown, reply: FastifyReplyLike, error: unknown, done: Done) {
        try {
          const raw = reply?.raw;
          if (raw !== undefined) reporter.exception(raw, error, reporter.routeOf(raw));
        } catch {
          // counting never changes what the application sees
        }
        done();
      });
    } catch (err) {
      couldNotInstrument('a fastify instance', 'its routes stay <unnamed view>', err);
    }
  };
}

/** Give a route a first `onRequest` hook that reports its template. */
function addRouteHook(routeOptions: RouteOptionsLike, reporter: RouteReporter): void {
  const view = renderRoutePath(routeOptions.url ?? routeOptions.path) ?? UNNAMED_VIEW;
  const setView = function autopromRouteView(_request: unknown, reply: FastifyReplyLike, done: Done) {
    reporter.route(reply.raw, view);
    done();
  };
  const existing = routeOptions.onRequest;
  routeOptions.onRequest = existing === undefined || existing === null ? [setView] : [setView].concat(existing as never);
}
