/**
 * The django middleware families of every node `http`/`https` server: what one request moves,
 * with its series resolved once (per view, method, status) and then only numbers added. This
 * is the hot path: a hello-world request costs a few µs, so nothing here allocates per request.
 * Fed by `channels.ts` (Node's http diagnostics channels) and by the framework
 * instrumentations through the `RouteReporter` it implements.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CounterName, HistogramName } from '../catalogue';
import { isExcludedPath, type ExcludedPaths } from '../config';
import { internalError } from '../core/log';
import type { CounterFamily, CounterSeries, HistogramFamily, HistogramSeries } from '../core/recorder';
import type { Registry } from '../core/registry';
import { pathOf } from '../core/url';
import type { RouteReporter } from './framework';
import {
  charsetOf,
  errorTypeName,
  METHOD_COUNT,
  METHOD_LABELS,
  methodIndex,
  parseContentLength,
  statusLabel,
  templateNameLabel,
} from './labels';
import { sentBodyBytes } from './node-internals';
import {
  EXCEPTION_COUNTED,
  IN_FLIGHT,
  ROUTE,
  ROUTE_RESOLVER,
  START,
  WRITTEN_CONTENT_TYPE,
  type MeasuredResponse,
  type TrackedSocket,
} from './response-state';
import { UNNAMED_VIEW } from './route-template';

/** The message of Node's `http.server.request.start` and `http.server.response.finish` channels. */
export interface ServerMessage {
  request: IncomingMessage;
  response: ServerResponse;
  socket: Socket;
  server: object;
}

/** Bounded caches: past this many keys, values are resolved each time (the families stay bounded). */
const MAX_VIEW_RECORDS = 2000;
const MAX_CONTENT_TYPES = 200;

/** The series of one view, resolved lazily and kept: index = transport * METHOD_COUNT + method. */
class ViewSeries {
  readonly latency: (HistogramSeries | undefined)[] = new Array(METHOD_COUNT).fill(undefined);
  readonly requests: (CounterSeries | undefined)[] = new Array(2 * METHOD_COUNT).fill(undefined);
  /** key = status * METHOD_COUNT + method */
  readonly responses = new Map<number, CounterSeries>();
  exceptions: CounterSeries | undefined;
  constructor(readonly view: string) {}
}

export interface HttpServerMetricsOptions {
  readonly excludePaths: ExcludedPaths;
  /** Servers whose requests are never measured (autoprom's own metrics endpoint). */
  readonly ownServers: ReadonlySet<object>;
}

export class HttpServerMetrics implements RouteReporter {
  private readonly requestsBefore: CounterSeries;
  private readonly responsesBefore: CounterSeries;
  private readonly latencyAll: HistogramSeries;
  private readonly unknownIncluding: CounterSeries;
  private readonly unknown: CounterSeries;
  private readonly ajax: CounterSeries;
  private readonly byMethodFamily: CounterFamily;
  private readonly byTransportFamily: CounterFamily;
  /** Resolved on first use, so only label values that occurred are exposed (as django). */
  private readonly byMethod: (CounterSeries | undefined)[] = new Array(METHOD_COUNT).fill(undefined);
  private readonly byTransport: (CounterSeries | undefined)[] = [undefined, undefined];
  private readonly requestBody: HistogramSeries;
  private readonly responseBody: HistogramSeries;
  private readonly streaming: CounterSeries;
  private readonly latencyByView: HistogramFamily;
  private readonly requestsByView: CounterFamily;
  private readonly byStatusFamily: CounterFamily;
  private readonly byStatusView: CounterFamily;
  private readonly byCharset: CounterFamily;
  private readonly byTemplate: CounterFamily;
  private readonly exceptionsByType: CounterFamily;
  private readonly exceptionsByView: CounterFamily;

  private readonly byStatus: (CounterSeries | undefined)[] = [];
  private readonly views = new Map<string, ViewSeries>();
  private readonly unnamed: ViewSeries;
  /** Content-Type value → charset series (null: no charset). */
  private readonly charsets = new Map<string, CounterSeries | null>();
  private readonly hasExclusions: boolean;
  /** The last server seen and whether it is autoprom's own (a server's verdict never changes). */
  private lastServer: object | undefined = undefined;
  private lastServerIsOwn = false;

  constructor(
    registry: Registry,
    private readonly options: HttpServerMetricsOptions,
  ) {
    const c = (name: CounterName) => registry.counter(name);
    const h = (name: HistogramName) => registry.histogram(name);
    this.requestsBefore = c('django_http_requests_before_middlewares_total').only!;
    this.responsesBefore = c('django_http_responses_before_middlewares_total').only!;
    this.latencyAll = h('django_http_requests_latency_including_middlewares_seconds').only!;
    this.unknownIncluding = c('django_http_requests_unknown_latency_including_middlewares_total').only!;
    this.latencyByView = h('django_http_requests_latency_seconds_by_view_method');
    this.unknown = c('django_http_requests_unknown_latency_total').only!;
    this.ajax = c('django_http_ajax_requests_total').only!;
    this.byMethodFamily = c('django_http_requests_total_by_method_total');
    this.byTransportFamily = c('django_http_requests_total_by_transport_total');
    this.requestsByView = c('django_http_requests_total_by_view_transport_method_total');
    this.requestBody = h('django_http_requests_body_total_bytes').only!;
    this.byTemplate = c('django_http_responses_total_by_templatename_total');
    this.byStatusFamily = c('django_http_responses_total_by_status_total');
    this.byStatusView = c('django_http_responses_total_by_status_view_method_total');
    this.responseBody = h('django_http_responses_body_total_bytes').only!;
    this.byCharset = c('django_http_responses_total_by_charset_total');
    this.streaming = c('django_http_responses_streaming_total').only!;
    this.exceptionsByType = c('django_http_exceptions_total_by_type_total');
    this.exceptionsByView = c('django_http_exceptions_total_by_view_total');
    this.unnamed = new ViewSeries(UNNAMED_VIEW);
    this.hasExclusions = options.excludePaths.exact.size > 0 || options.excludePaths.prefixes.length > 0;
    const unknownIncluding = this.unknownIncluding;
    const unknown = this.unknown;
    this.onSocketClose = function (this: TrackedSocket): void {
      const inFlight = this[IN_FLIGHT];
      if (inFlight !== undefined && inFlight > 0) {
        this[IN_FLIGHT] = 0;
        unknownIncluding.value += inFlight;
        unknown.value += inFlight;
      }
    };
  }

  route(response: object, template: string): void {
    (response as MeasuredResponse)[ROUTE] = template;
  }

  routeLater(response: object, resolve: () => string | undefined): void {
    (response as MeasuredResponse)[ROUTE_RESOLVER] = resolve;
  }

  routeOf(response: object): string | undefined {
    return (response as MeasuredResponse)[ROUTE];
  }

  /** Count an exception a route handler raised; once per request, measured requests only. */
  exception(response: object, err: unknown, view?: string): void {
    try {
      const res = response as MeasuredResponse;
      if (res[START] === undefined || res[EXCEPTION_COUNTED] === true) return;
      res[EXCEPTION_COUNTED] = true;
      this.exceptionsByType.labels(errorTypeName(err)).inc();
      const record = this.viewSeries(view ?? res[ROUTE] ?? UNNAMED_VIEW);
      let s = record.exceptions;
      if (s === undefined) {
        s = this.exceptionsByView.labels(record.view);
        if (this.cacheable(record)) record.exceptions = s;
      }
      s.inc();
    } catch (err2) {
      internalError('http exception metrics', err2);
    }
  }

  /** Count a template a response rendered (express `res.render`). */
  template(response: object, name: unknown): void {
    if ((response as MeasuredResponse)[START] === undefined) return;
    const label = templateNameLabel(name);
    if (label !== undefined) this.byTemplate.labels(label).inc();
  }

  /** A request arrived (subscriber of `http.server.request.start`). */
  readonly requestStarted = (message: unknown): void => {
    // diagnostics_channel rethrows subscriber errors asynchronously: nothing may escape.
    try {
      const { request, response, socket, server } = message as ServerMessage;
      if (server !== this.lastServer) {
        this.lastServer = server;
        this.lastServerIsOwn = this.options.ownServers.has(server);
      }
      if (this.lastServerIsOwn) return;
      if (this.hasExclusions && isExcludedPath(this.options.excludePaths, pathOf(request.url))) return;
      (response as MeasuredResponse)[START] = performance.now();

      this.requestsBefore.value++;
      const method = methodIndex(request.method);
      let byMethod = this.byMethod[method];
      if (byMethod === undefined) byMethod = this.byMethod[method] = this.byMethodFamily.labels(METHOD_LABELS[method]);
      byMethod.value++;
      const transport = (socket as TrackedSocket).encrypted === true ? 1 : 0;
      let byTransport = this.byTransport[transport];
      if (byTransport === undefined)
        byTransport = this.byTransport[transport] = this.byTransportFamily.labels(transport === 1 ? 'https' : 'http');
      byTransport.value++;

      // rawHeaders, not headers: `headers` is a lazy getter that would build an object.
      const raw = request.rawHeaders;
      let bodyBytes = 0;
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i];
        if (name.length === 14) {
          if (name.toLowerCase() === 'content-length') bodyBytes = parseContentLength(raw[i + 1]);
        } else if (name.length === 16) {
          if (name.toLowerCase() === 'x-requested-with' && raw[i + 1] === 'XMLHttpRequest') this.ajax.value++;
        }
      }
      this.requestBody.observe(bodyBytes);

      const tracked = socket as TrackedSocket;
      const inFlight = tracked[IN_FLIGHT];
      if (inFlight === undefined) {
        // One listener per connection, not per request: keep-alive sockets carry many.
        tracked[IN_FLIGHT] = 1;
        socket.on('close', this.onSocketClose);
      } else {
        tracked[IN_FLIGHT] = inFlight + 1;
      }
    } catch (err) {
      internalError('http request metrics', err);
    }
  };

  /** A response finished (subscriber of `http.server.response.finish`). */
  readonly responseFinished = (message: unknown): void => {
    try {
      const { request, response, socket } = message as ServerMessage;
      const res = response as MeasuredResponse;
      const start = res[START];
      if (start === undefined) return;
      const seconds = (performance.now() - start) / 1000;
      const tracked = socket as TrackedSocket | undefined;
      if (tracked !== undefined) {
        const inFlight = tracked[IN_FLIGHT];
        if (inFlight !== undefined && inFlight > 0) tracked[IN_FLIGHT] = inFlight - 1;
      }

      this.responsesBefore.value++;
      this.latencyAll.observe(seconds);

      const method = methodIndex(request.method);
      let view = res[ROUTE];
      if (view === undefined) {
        const resolve = res[ROUTE_RESOLVER];
        if (resolve !== undefined) {
          const v = resolve();
          if (typeof v === 'string') view = v;
        }
      }
      const record = view === undefined ? this.unnamed : this.viewSeries(view);

      let latency = record.latency[method];
      if (latency === undefined) {
        latency = this.latencyByView.labels(record.view, METHOD_LABELS[method]);
        if (this.cacheable(record)) record.latency[method] = latency;
      }
      latency.observe(seconds);

      const transport = tracked?.encrypted === true ? 1 : 0;
      const rIndex = transport * METHOD_COUNT + method;
      let requests = record.requests[rIndex];
      if (requests === undefined) {
        requests = this.requestsByView.labels(record.view, transport === 1 ? 'https' : 'http', METHOD_LABELS[method]);
        if (this.cacheable(record)) record.requests[rIndex] = requests;
      }
      requests.value++;

      const status = res.statusCode;
      this.statusSeries(status).value++;
      const sKey = (status | 0) * METHOD_COUNT + method;
      let byStatusView = record.responses.get(sKey);
      if (byStatusView === undefined) {
        byStatusView = this.byStatusView.labels(statusLabel(status), record.view, METHOD_LABELS[method]);
        if (this.cacheable(record) && record.responses.size < 200) record.responses.set(sKey, byStatusView);
      }
      byStatusView.value++;

      const bodyBytes = sentBodyBytes(res);
      if (bodyBytes === undefined) this.streaming.value++;
      else this.responseBody.observe(bodyBytes);

      // Headers passed straight to writeHead (fastify) are not kept by Node: see patchWriteHead.
      let contentType: unknown = res.getHeader('content-type');
      if (contentType === undefined) contentType = res[WRITTEN_CONTENT_TYPE];
      if (contentType !== undefined) this.countCharset(contentType);
    } catch (err) {
      internalError('http response metrics', err);
    }
  };

  /** A connection closed: every measured response still on it never finished (one function for all sockets). */
  private readonly onSocketClose: (this: TrackedSocket) => void;

  private viewSeries(view: string): ViewSeries {
    if (view === UNNAMED_VIEW) return this.unnamed;
    let record = this.views.get(view);
    if (record === undefined) {
      record = new ViewSeries(view);
      // Past the bound, a fresh record per call: its series resolve through the bounded families.
      if (this.views.size < MAX_VIEW_RECORDS) this.views.set(view, record);
    }
    return record;
  }

  private cacheable(record: ViewSeries): boolean {
    return record === this.unnamed || this.views.get(record.view) === record;
  }

  private statusSeries(status: number): CounterSeries {
    const i = status | 0;
    let s = i >= 0 && i < 1000 ? this.byStatus[i] : undefined;
    if (s === undefined) {
      s = this.byStatusFamily.labels(statusLabel(status));
      if (i >= 100 && i < 1000) this.byStatus[i] = s;
    }
    return s;
  }

  private countCharset(contentType: unknown): void {
    const key = typeof contentType === 'string' ? contentType : String(contentType);
    let s = this.charsets.get(key);
    if (s === undefined) {
      const charset = charsetOf(key);
      s = charset === undefined ? null : this.byCharset.labels(charset);
      if (this.charsets.size < MAX_CONTENT_TYPES) this.charsets.set(key, s);
    }
    if (s !== null) s.value++;
  }
}
