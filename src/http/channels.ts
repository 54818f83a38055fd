/**
 * How requests reach the HTTP server families: Node's built-in diagnostics channels
 * `http.server.request.start` and `http.server.response.finish` (http and https, CommonJS
 * and ES modules alike, no context manager), plus the writeHead note (write-head.ts).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { HttpServerMetrics } from './server-metrics';
import { patchWriteHead, unpatchWriteHead } from './write-head';

const REQUEST_START = 'http.server.request.start';
const RESPONSE_FINISH = 'http.server.response.finish';

/** Subscribes the families to Node's http server channels; idempotent. */
export class HttpServerChannels {
  private subscribed = false;

  constructor(private readonly metrics: HttpServerMetrics) {}

  enable(): void {
    if (this.subscribed) return;
    subscribe(REQUEST_START, this.metrics.requestStarted);
    subscribe(RESPONSE_FINISH, this.metrics.responseFinished);
    patchWriteHead();
    this.subscribed = true;
  }

  disable(): void {
    if (!this.subscribed) return;
    unsubscribe(REQUEST_START, this.metrics.requestStarted);
    unsubscribe(RESPONSE_FINISH, this.metrics.responseFinished);
    unpatchWriteHead();
    this.subscribed = false;
  }
}
