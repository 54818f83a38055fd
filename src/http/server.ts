/**
 * The django middleware families for every node `http`/`https` server, fed by Node's
 * built-in diagnostics channels (`http.server.request.start`, `http.server.response.finish`):
 * no context manager, and the same path for CommonJS and ES modules, http
 * and https. The only patch is a pass-through `writeHead` that notes a Content-Type Node
 * would not keep.
 *
 * This is the hot path: a hello-world request costs a few µs, so everything here resolves
 * series once (per view, method, status) and then only adds numbers.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isExcludedPath, type ExcludedPaths } from '../config';
import { warn } from '../core/log';
import type { Registry } from '../core/registry';
import type { CounterFamily, CounterSeries, HistogramFamily, HistogramSeries } from '../core/recorder';
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
import { UNNAMED_VIEW } from './route-template';

/** On a measured ServerResponse: performance.now() when its request arrived. */
export const START = Symbol('autoprom.http.start');
/** On a ServerResponse: the route template a framework matched (a string). */
export const VIEW = Symbol('autoprom.http.view');
/** On a ServerResponse: a function giving the view at finish time (koa reads its context late). */
export const VIEW_RESOLVER = Symbol('autoprom.http.viewResolver');
/** On a ServerResponse: an exception was already counted for this request. */
const EXCEPTION_COUNTED = Symbol('autoprom.http.exceptionCounted');
/** On a ServerResponse: the Content-Type given straight to writeHead (Node does not keep those headers). */
const WRITTEN_CONTENT_TYPE = Symbol('autoprom.http.writtenContentType');
/** On a socket: measured responses on it that have not finished yet. */
const IN_FLIGHT = Symbol('autoprom.http.inFlight');

const REQUEST_START = 'http.server.request.start';
const RESPONSE_FINISH = 'http.server.response.finish';

interface ServerMessage {
  request: IncomingMessage;
  response: ServerResponse;
  socket: Socket;
  server: object;
}

type MeasuredResponse = ServerResponse & {
  [START]?: number;
  [VIEW]?: string;
  [VIEW_RESOLVER]?: () => unknown;
  [EXCEPTION_COUNTED]?: true;
  [WRITTEN_CONTENT_TYPE]?: unknown;
};
type TrackedSocket = Socket & { [IN_FLIGHT]?: number; encrypted?: boolean };

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

export class HttpServerMetrics {
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
  private subscribed = false;
  /** The last server seen and whether it is autoprom's own (a server's verdict never changes). */
  private lastServer: object | undefined = undefined;
  private lastServerIsOwn = false;

  constructor(
    registry: Registry,
    private readonly options: HttpServerMetricsOptions,
  ) {
    const c = (name: string) => registry.counter(name);
    const h = (name: string) => registry.histogram(name);
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

  enable(): void {
    if (this.subscribed) return;
    subscribe(REQUEST_START, this.onRequestStart);
    subscribe(RESPONSE_FINISH, this.onResponseFinish);
    patchWriteHead();
    this.subscribed = true;
  }

  disable(): void {
    if (!this.subscribed) return;
    unsubscribe(REQUEST_START, this.onRequestStart);
    unsubscribe(RESPONSE_FINISH, this.onResponseFinish);
    unpatchWriteHead();
    this.subscribed = false;
  }

  /** Count an exception a route handler raised; once per request, measured requests only. */
  recordException(response: object, err: unknown, view: string | undefined): void {
    try {
      const res = response as MeasuredResponse;
      if (res[START] === undefined || res[EXCEPTION_COUNTED] === true) return;
      res[EXCEPTION_COUNTED] = true;
      this.exceptionsByType.labels(errorTypeName(err)).inc();
      const record = this.viewSeries(view ?? res[VIEW] ?? UNNAMED_VIEW);
      let s = record.exceptions;
      if (s === undefined) {
        s = this.exceptionsByView.labels(record.view);
        if (this.cacheable(record)) record.exceptions = s;
      }
      s.inc();
    } catch (err2) {
      warn(`internal error in http exception metrics (metrics may be incomplete): ${(err2 as Error)?.stack ?? String(err2)}`);
    }
  }

  /** Count a template a response rendered (express `res.render`). */
  recordTemplate(response: object, name: unknown): void {
    if ((response as MeasuredResponse)[START] === undefined) return;
    const label = templateNameLabel(name);
    if (label !== undefined) this.byTemplate.labels(label).inc();
  }

  private readonly onRequestStart = (message: unknown): void => {
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
      warn(`internal error in http request metrics (metrics may be incomplete): ${(err as Error)?.stack ?? String(err)}`);
    }
  };

  private readonly onResponseFinish = (message: unknown): void => {
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
      let view = res[VIEW];
      if (view === undefined) {
        const resolve = res[VIEW_RESOLVER];
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

      // Node keeps the Content-Length it sent (explicit, from writeHead, or computed by end(body)).
      if (res.chunkedEncoding) {
        this.streaming.value++;
      } else {
        const sent = (res as unknown as { _contentLength?: unknown })._contentLength;
        if (typeof sent === 'number' && sent >= 0) this.responseBody.observe(sent);
        else if ((res as unknown as { _hasBody?: boolean })._hasBody === false) this.responseBody.observe(0);
        else {
          const declared = res.getHeader('content-length');
          if (declared !== undefined) this.responseBody.observe(parseContentLength(declared as string | number));
          else this.streaming.value++; // a body sent without a length (HTTP/1.0, Connection: close)
        }
      }

      // Headers passed straight to writeHead (fastify) are not kept by Node: see patchWriteHead.
      let contentType: unknown = res.getHeader('content-type');
      if (contentType === undefined) contentType = res[WRITTEN_CONTENT_TYPE];
      if (contentType !== undefined) this.countCharset(contentType);
    } catch (err) {
      warn(`internal error in http response metrics (metrics may be incomplete): ${(err as Error)?.stack ?? String(err)}`);
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

/**
 * The Content-Type in headers given to `writeHead`: an object (`content-type` or
 * `Content-Type` key), a flat `[name, value, …]` array or an array of pairs.
 */
export function contentTypeOfHeaders(headers: unknown): unknown {
  if (headers === null || typeof headers !== 'object') return undefined;
  if (Array.isArray(headers)) {
    if (headers.length === 0) return undefined;
    if (Array.isArray(headers[0])) {
      for (const pair of headers as unknown[][]) {
        if (typeof pair[0] === 'string' && pair[0].length === 12 && pair[0].toLowerCase() === 'content-type') return pair[1];
      }
      return undefined;
    }
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = headers[i];
      if (typeof name === 'string' && name.length === 12 && name.toLowerCase() === 'content-type') return headers[i + 1];
    }
    return undefined;
  }
  const h = headers as Record<string, unknown>;
  const value = h['content-type'];
  return value !== undefined ? value : h['Content-Type'];
}

type WriteHead = (this: MeasuredResponse, ...args: unknown[]) => unknown;
let originalWriteHead: WriteHead | undefined;

/**
 * `writeHead(status, headers)` with no header set before sends those headers without
 * keeping them (`getHeader` cannot see them): note the Content-Type for the charset family.
 * Node's own `writeHead(status)` calls (every implicit header) take the first branch only.
 */
function patchWriteHead(): void {
  if (originalWriteHead !== undefined) return;
  const original = ServerResponse.prototype.writeHead as unknown as WriteHead;
  originalWriteHead = original;
  // Node's writeHead reads its three parameters only (never `arguments`): pass them as is.
  const writeHead = function writeHead(this: MeasuredResponse, statusCode: unknown, reason?: unknown, obj?: unknown) {
    if (reason !== undefined && this[START] !== undefined) {
      try {
        const contentType = contentTypeOfHeaders(typeof reason === 'string' ? obj : reason);
        if (contentType !== undefined) this[WRITTEN_CONTENT_TYPE] = contentType;
      } catch {
        // counting never changes what the application sees
      }
    }
    return original.call(this, statusCode, reason, obj);
  };
  ServerResponse.prototype.writeHead = writeHead as unknown as typeof ServerResponse.prototype.writeHead;
}

function unpatchWriteHead(): void {
  if (originalWriteHead === undefined) return;
  ServerResponse.prototype.writeHead = originalWriteHead as unknown as typeof ServerResponse.prototype.writeHead;
  originalWriteHead = undefined;
}

/** The path part of a request URL. */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
