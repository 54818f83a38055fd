/**
 * Outgoing HTTP latency: OpenTelemetry's http instrumentation (client side only; the server
 * side is autoprom's own, see server.ts) and undici instrumentation (global fetch) both
 * record `http.client.request.duration`; Views rename it to the catalogue family with
 * labels method, host and status.
 */
import type { Attributes, MeterProvider } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import type { Config } from '../config';
import { createInstrumentation } from '../core/area';
import { dropView, renameView } from '../core/otel-views';
import { OTLP_USER_AGENT } from '../export/otlp';
import { clientHostLabel, methodLabel, statusLabel } from './labels';
import { lazyHttpInstrumentation, lazyUndiciInstrumentation } from './lazy-client';

const CLIENT_DURATION = 'http.client.request.duration';
const SERVER_DURATION = 'http.server.request.duration';
/** The one meter both client instrumentations record on. */
const CLIENT_METER = 'autoprom-http-client';

/** OpenTelemetry's client attributes as the catalogue's labels (everything else dropped). */
export function clientLabels(attributes: Attributes): Attributes {
  const code = attributes['http.response.status_code'];
  return {
    method: methodLabel(String(attributes['http.request.method'] ?? '')),
    host: clientHostLabel(attributes['server.address'], attributes['server.port']),
    // No response at all (refused, reset, timed out): `error`.
    status: code === undefined ? 'error' : statusLabel(typeof code === 'number' ? code : Number(code)),
  };
}

export function isOtlpExport(options: { headers?: unknown }): boolean {
  const headers = options?.headers;
  if (headers === null || typeof headers !== 'object') return false;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() === 'user-agent' && typeof v === 'string' && v.startsWith(OTLP_USER_AGENT)) return true;
  }
  return false;
}

/** A MeterProvider whose every meter is the one client meter. */
function sharedMeterProvider(provider: MeterProvider): MeterProvider {
  return { getMeter: () => provider.getMeter(CLIENT_METER) };
}

/**
 * Two meters would give two same-named families in the exposition: both instrumentations
 * record on one meter, into one instrument (the View makes both descriptors identical, so
 * the SDK shares its storage).
 */
function onClientMeter(instrumentation: Instrumentation): Instrumentation {
  const setMeterProvider = instrumentation.setMeterProvider.bind(instrumentation);
  instrumentation.setMeterProvider = (provider: MeterProvider) => setMeterProvider(sharedMeterProvider(provider));
  return instrumentation;
}

export function clientOtelViews(config: Config): ViewOptions[] {
  const views: ViewOptions[] = [];
  if (config.instrumentations.has('http') || config.instrumentations.has('undici')) {
    views.push(
      renameView('http_client_request_duration_seconds', { meterName: CLIENT_METER, instrumentName: CLIENT_DURATION }, config, [
        { process: clientLabels },
      ]),
    );
  }
  // The server side is measured by autoprom itself; never expose OpenTelemetry's copy.
  if (config.instrumentations.has('http')) views.push(dropView({ meterName: CLIENT_METER, instrumentName: SERVER_DURATION }));
  return views;
}

/** Both load OpenTelemetry's instrumentation at the first outgoing request (lazy-client.ts). */
export function clientInstrumentations(config: Config): Instrumentation[] {
  const out: Instrumentation[] = [];
  if (config.instrumentations.has('http')) {
    out.push(
      lazyHttpInstrumentation(() =>
        createInstrumentation('instrumentation-http', 'outgoing http/https request latency stays unmeasured', () => {
          const { HttpInstrumentation } =
            require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
          return onClientMeter(
            new HttpInstrumentation({
              enabled: false,
              disableIncomingRequestInstrumentation: true,
              ignoreOutgoingRequestHook: (options) => isOtlpExport(options as { headers?: unknown }),
            }),
          );
        }),
      ),
    );
  }
  if (config.instrumentations.has('undici')) {
    out.push(
      lazyUndiciInstrumentation(() =>
        createInstrumentation('instrumentation-undici', 'fetch latency stays unmeasured', () => {
          const { UndiciInstrumentation } =
            require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
          return onClientMeter(new UndiciInstrumentation({}) as unknown as Instrumentation);
        }),
      ),
    );
  }
  return out;
}
