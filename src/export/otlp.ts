/**
 * OTLP push (OTEL_METRICS_EXPORTER=otlp): OpenTelemetry's OTLP/HTTP exporter on a periodic
 * reader, configured by the standard OTEL_EXPORTER_OTLP_* variables. Its connections never
 * keep the process alive: an application with nothing left to do exits on time even when the
 * collector is down or hangs (the last interval is then not sent, as documented).
 */
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { IMetricReader, MetricProducer } from '@opentelemetry/sdk-metrics';
import { errorText, warn } from '../core/log';

/** The User-Agent of OpenTelemetry's OTLP exporters (every version starts so). */
export const OTLP_USER_AGENT = 'OTel-OTLP-Exporter-JavaScript/';

/** Whether an outgoing request is an OTLP export (by the User-Agent the exporter sets). */
export function isOtlpRequest(request: Pick<ClientRequest, 'getHeader'>): boolean {
  const agent = request.getHeader('user-agent');
  return typeof agent === 'string' && agent.includes(OTLP_USER_AGENT);
}

function unrefSocket(socket: Socket): void {
  socket.unref();
}

let watching = false;

/** Every socket an OTLP export request gets is unref'd (a keep-alive socket is re-ref'd by Node when reused: unref it again). */
function unrefOtlpSockets(): void {
  if (watching) return;
  watching = true;
  subscribe('http.client.request.start', (message) => {
    try {
      const request = (message as { request?: ClientRequest }).request;
      if (request === undefined || !isOtlpRequest(request)) return;
      if (request.socket !== null && request.socket !== undefined) unrefSocket(request.socket);
      request.on('socket', unrefSocket);
    } catch {
      // an OTLP request that cannot be inspected only keeps its socket as Node made it
    }
  });
}

interface RetryingTransportLike {
  _transport?: { send?: (data: unknown, timeoutMillis: number) => Promise<unknown> };
  retry?: (data: unknown, timeoutMillis: number, inMillis: number) => Promise<unknown>;
}

/**
 * OpenTelemetry's retrying transport waits between attempts on a referenced timer, which holds
 * a finished application open while the collector refuses: keep its retry policy, on an
 * unref'd timer. (A lost export is made good by the next one: the sums are cumulative.)
 */
function unrefRetryTimers(exporter: object): void {
  const transport = (exporter as { _delegate?: { _transport?: RetryingTransportLike } })._delegate?._transport;
  const inner = transport?._transport;
  if (transport === undefined || typeof transport.retry !== 'function' || typeof inner?.send !== 'function') {
    warn('the OTLP exporter changed: its retries may delay the process exit by up to OTEL_EXPORTER_OTLP_TIMEOUT');
    return;
  }
  const send = inner.send.bind(inner);
  transport.retry = (data, timeoutMillis, inMillis) =>
    new Promise((resolve, reject) => {
      setTimeout(() => {
        send(data, timeoutMillis).then(resolve, reject);
      }, inMillis).unref();
    });
}

/** The OTLP reader, or undefined (with one line saying why) when the exporter cannot start. */
export function createOtlpReader(producer: MetricProducer, exportIntervalMillis: number): IMetricReader | undefined {
  try {
    const { OTLPMetricExporter } =
      require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http');
    const { PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    unrefOtlpSockets();
    const exporter = new OTLPMetricExporter();
    unrefRetryTimers(exporter);
    return new PeriodicExportingMetricReader({ exporter, exportIntervalMillis, metricProducers: [producer] });
  } catch (err) {
    warn(`OTEL_METRICS_EXPORTER=otlp: could not start the OTLP exporter: ${errorText(err)}`);
    return undefined;
  }
}
