/**
 * Route templates and errors from Next.js (`next start` and custom servers, app router and
 * pages router). Next keeps what it matched for a request in its request metadata
 * (`Symbol.for('NextInternalRequestMeta')` on the node request): `match.definition.pathname`
 * is the file route as the user wrote it (`/api/users/[id]`, `/blog/[...slug]`).
 * - view: once `next` is loaded, each request's response reads that metadata at finish.
 * - exceptions: every error a route module (app route, app page, pages API, page) turns into
 *   an error response goes through its `onRequestError` or `instrumentationOnRequestError`
 *   `(request, err)`; the request (node's, or Next's wrapper) carries node's headers object,
 *   and a WeakMap headers → response finds the response. The view is read there too: for a
 *   failed page Next then renders its error page, whose metadata replaces the match.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { internalError } from '../core/log';
import { patchMethod, type AnyFunction } from '../core/patch';
import { FrameworkInstrumentation, type RouteReporter } from './framework';
import { renderRoutePath } from './route-template';

const REQUEST_META = Symbol.for('NextInternalRequestMeta');
const REQUEST_START = 'http.server.request.start';
const NEXT_VERSIONS = ['>=13.4.0 <17'];
const NEXT_SERVER_FILE = 'next/dist/server/next-server.js';
/**
 * The runtime bundles that hold Next's route modules (app routes, app pages, pages API, pages),
 * each with its own copy of `RouteModule#onRequestError`, which every handler error goes through.
 */
const ROUTE_MODULE_BUNDLES = ['app-route', 'app-page', 'pages-api', 'pages'].flatMap((kind) =>
  ['', '-turbo', '-experimental', '-turbo-experimental'].flatMap((variant) =>
    ['prod', 'dev'].map((mode) => `next/dist/compiled/next-server/${kind}${variant}.runtime.${mode}.js`),
  ),
);

/** Pages Next renders in place of an answer (404, error pages): the request matched no route. */
const NOT_A_ROUTE = new Set(['/_not-found', '/_error', '/404', '/500', '/_app', '/_document']);

interface NextRequestMeta {
  match?: { definition?: { pathname?: unknown } };
  /** Set when Next renders an error page for a status instead of the route. */
  invokeStatus?: unknown;
}

/** The view of a Next request from its metadata: the matched file route, or undefined. */
export function nextView(meta: NextRequestMeta | undefined): string | undefined {
  if (meta === undefined || meta === null || meta.invokeStatus !== undefined) return undefined;
  const pathname = renderRoutePath(meta.match?.definition?.pathname);
  if (pathname === undefined || NOT_A_ROUTE.has(pathname)) return undefined;
  return pathname;
}

interface StartMessage {
  request: IncomingMessage & { [REQUEST_META]?: NextRequestMeta };
  response: ServerResponse;
}

export class NextRoutesInstrumentation extends FrameworkInstrumentation {
  private subscribed = false;
  /** A request's headers object → its response, for errors Next reports with the headers only. */
  private readonly responsesByHeaders = new WeakMap<object, ServerResponse>();

  constructor(reporter: RouteReporter, config: InstrumentationConfig = {}) {
    super('next', reporter, config);
  }

  protected init() {
    // `next start` never loads the package's main module; every Next server loads next-server.js.
    const next = this.moduleHook('next', NEXT_VERSIONS, () => this.subscribe());
    next.files.push(
      this.fileHook(NEXT_SERVER_FILE, NEXT_VERSIONS, (exports) => {
        this.subscribe();
        return exports;
      }),
      ...ROUTE_MODULE_BUNDLES.map((file) => this.fileHook(file, NEXT_VERSIONS, (exports) => this.patchRouteModules(exports))),
    );
    return [next];
  }

  override disable(): void {
    super.disable();
    if (this.subscribed) unsubscribe(REQUEST_START, this.onRequestStart);
    this.subscribed = false;
  }

  /** Requests are followed only once the application has loaded Next. */
  private subscribe(): void {
    if (this.subscribed) return;
    subscribe(REQUEST_START, this.onRequestStart);
    this.subscribed = true;
  }

  private readonly onRequestStart = (message: unknown): void => {
    try {
      const { request, response } = message as StartMessage;
      this.responsesByHeaders.set(request.headers, response);
      this.reporter.routeLater(response, () => nextView(request[REQUEST_META]));
    } catch (err) {
      internalError('next request', err);
    }
  };

  /** Patch `onRequestError` of every route module class a Next runtime bundle exports (once per bundle). */
  private patchRouteModules(exports: unknown): unknown {
    if (exports === null || typeof exports !== 'object') return exports;
    for (const value of Object.values(exports as Record<string, unknown>)) {
      if (typeof value !== 'function' || value.prototype === undefined) continue;
      // onRequestError (app routes and pages) calls instrumentationOnRequestError (pages API calls it directly).
      for (const method of ['onRequestError', 'instrumentationOnRequestError']) {
        let owner: object | null = value.prototype as object;
        while (owner !== null && !Object.prototype.hasOwnProperty.call(owner, method))
          owner = Object.getPrototypeOf(owner) as object | null;
        if (owner !== null) patchMethod(owner, method, (original) => this.wrapOnRequestError(original));
      }
    }
    return exports;
  }

  private wrapOnRequestError(original: AnyFunction): AnyFunction {
    const responses = this.responsesByHeaders;
    const reporter = this.reporter;
    return function onRequestErrorOf(this: unknown, request: unknown, err: unknown) {
      try {
        const headers = (request as { headers?: unknown } | undefined)?.headers;
        const response = headers !== null && typeof headers === 'object' ? responses.get(headers) : undefined;
        if (response !== undefined) {
          // The route that failed: Next then renders its error page, whose metadata replaces the match.
          const view = nextView((request as { [REQUEST_META]?: NextRequestMeta })[REQUEST_META]);
          if (view !== undefined) reporter.route(response, view);
          reporter.exception(response, err, view);
        }
      } catch {
        // counting never changes what the application sees
      }
      return original.apply(this, arguments as unknown as unknown[]);
    };
  }
}
