/**
 * What the HTTP area keeps on Node's own objects while a request is measured: symbols on
 * the ServerResponse (when it started, its route, whether an exception was counted) and on
 * the socket (responses still in flight). Private to src/http: frameworks go through the
 * `RouteReporter` (framework.ts), never through these symbols.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** performance.now() when the request of a measured response arrived. */
export const START = Symbol('autoprom.http.start');
/** The route template a framework matched (a string). */
export const ROUTE = Symbol('autoprom.http.route');
/** A function giving the route at finish time (koa reads its context late). */
export const ROUTE_RESOLVER = Symbol('autoprom.http.routeResolver');
/** An exception was already counted for this request. */
export const EXCEPTION_COUNTED = Symbol('autoprom.http.exceptionCounted');
/** The Content-Type given straight to writeHead (Node does not keep those headers). */
export const WRITTEN_CONTENT_TYPE = Symbol('autoprom.http.writtenContentType');
/** On a socket: measured responses on it that have not finished yet. */
export const IN_FLIGHT = Symbol('autoprom.http.inFlight');

export type MeasuredResponse = ServerResponse & {
  [START]?: number;
  [ROUTE]?: string;
  [ROUTE_RESOLVER]?: () => unknown;
  [EXCEPTION_COUNTED]?: true;
  [WRITTEN_CONTENT_TYPE]?: unknown;
};

export type TrackedSocket = Socket & { [IN_FLIGHT]?: number; encrypted?: boolean };
