/**
 * Errors from NestJS (10 to 12, express and fastify adapters). Nest's route proxy catches
 * every error a controller, guard, pipe or interceptor raises and hands it to its exception
 * layer, so the HTTP framework underneath never sees it. The built-in answer is
 * `BaseExceptionFilter#catch(exception, host)` (exported by @nestjs/core), and each route's
 * `ExceptionsHandler#next(exception, host)` runs the app's own filters first (reached through
 * the app NestFactory.create returns): we report the error there, on the response in
 * `host.getArgByIndex(1)`, and the response's status decides (an HttpException
 * 4xx is an outcome, not an exception). Views come from the adapter's framework (express or
 * fastify already report global prefixes and RouterModule paths as registered).
 */
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { internalError } from '../core/log';
import { patchMethod, type AnyFunction } from '../core/patch';
import { FrameworkInstrumentation, type RouteReporter } from './framework';

const NEST_VERSIONS = ['>=10.0.0 <13'];

interface ArgumentsHostLike {
  getArgByIndex?(index: number): unknown;
}

function protoOf(value: unknown): object | null {
  return value !== null && typeof value === 'object' ? (Object.getPrototypeOf(value) as object | null) : null;
}

/** The node ServerResponse behind an adapter's response: express's is one, fastify's reply holds it as `raw`. */
export function nodeResponseOf(response: unknown): object | undefined {
  if (response === null || typeof response !== 'object') return undefined;
  const raw = (response as { raw?: unknown }).raw;
  if (raw !== null && typeof raw === 'object' && typeof (raw as { setHeader?: unknown }).setHeader === 'function') return raw;
  return typeof (response as { setHeader?: unknown }).setHeader === 'function' ? response : undefined;
}

export class NestRoutesInstrumentation extends FrameworkInstrumentation {
  constructor(reporter: RouteReporter, config: InstrumentationConfig = {}) {
    super('nestjs', reporter, config);
  }

  protected init() {
    return [
      this.moduleHook('@nestjs/core', NEST_VERSIONS, (core: { BaseExceptionFilter?: { prototype?: object }; NestFactory?: object }) => {
        const proto = core?.BaseExceptionFilter?.prototype;
        if (proto !== undefined) patchMethod(proto, 'catch', (original) => this.wrapCatch(original));
        // The adapter is loaded by Nest itself (an import no CommonJS hook sees): reached through the app.
        if (core?.NestFactory !== undefined) patchMethod(core.NestFactory, 'create', (original) => this.wrapCreate(original));
      }),
    ];
  }

  private wrapCreate(original: AnyFunction): AnyFunction {
    const patchAdapter = (app: unknown) => this.patchAdapterOf(app);
    return function create(this: unknown) {
      const created: unknown = original.apply(this, arguments as unknown as unknown[]);
      if (created instanceof Promise) void created.then(patchAdapter, () => undefined);
      return created;
    };
  }

  /**
   * Before `init()` registers the routes: patch `setNotFoundHandler` of the app's HTTP adapter
   * class, and `create` of its router exception filters (each route's ExceptionsHandler, which
   * runs the app's own exception filters before the built-in one).
   */
  private patchAdapterOf(app: unknown): void {
    try {
      const nest = app as { getHttpAdapter?: () => unknown; routesResolver?: { routerExceptionsFilter?: unknown } } | undefined;
      const adapter = protoOf(nest?.getHttpAdapter?.());
      if (adapter !== null) patchMethod(adapter, 'setNotFoundHandler', (original) => this.wrapSetNotFoundHandler(original));
      const filters = protoOf(nest?.routesResolver?.routerExceptionsFilter);
      if (filters !== null) patchMethod(filters, 'create', (original) => this.wrapFiltersCreate(original));
    } catch (err) {
      internalError('nestjs adapter', err);
    }
  }

  private wrapFiltersCreate(original: AnyFunction): AnyFunction {
    const wrapNext = (next: AnyFunction) => this.wrapCatch(next);
    return function create(this: unknown) {
      const handler: unknown = original.apply(this, arguments as unknown as unknown[]);
      try {
        const proto = protoOf(handler);
        if (proto !== null) patchMethod(proto, 'next', wrapNext);
      } catch (err) {
        internalError('nestjs exceptions handler', err);
      }
      return handler;
    };
  }

  /** Nest answers unmatched requests under a global prefix with an express route `*path`: not a view. */
  private wrapSetNotFoundHandler(original: AnyFunction): AnyFunction {
    const reporter = this.reporter;
    return function setNotFoundHandler(this: unknown, handler: unknown, ...rest: unknown[]) {
      if (typeof handler !== 'function') return original.call(this, handler, ...rest);
      const notFound = function (this: unknown, req: unknown, res: unknown) {
        try {
          if (res !== null && typeof res === 'object') reporter.route(res, undefined);
        } catch {
          // counting never changes what the application sees
        }
        return (handler as AnyFunction).apply(this, arguments as unknown as unknown[]);
      };
      return original.call(this, notFound, ...rest);
    };
  }

  private wrapCatch(original: AnyFunction): AnyFunction {
    const reporter = this.reporter;
    return function catchException(this: unknown, exception: unknown, host: ArgumentsHostLike) {
      try {
        const response = typeof host?.getArgByIndex === 'function' ? nodeResponseOf(host.getArgByIndex(1)) : undefined;
        if (response !== undefined) reporter.exception(response, exception, reporter.routeOf(response));
      } catch {
        // counting never changes what the application sees
      }
      return original.apply(this, arguments as unknown as unknown[]);
    };
  }
}
