/**
 * Outgoing HTTP latency: OpenTelemetry's http instrumentation (client side only; the server
 * side is autoprom's own, see server.ts) and undici instrumentation (global fetch) both
 * record `http.client.request.duration`; Views rename it to the catalogue family with
 * labels method, host and status.
 */
import type { Attributes, MeterProvider } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { AggregationType, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { family } from '../catalogue';
import type { Config } from '../config';
import { exposedName, resolveBuckets } from '../core/registry';
import { clientHostLabel, methodLabel, statusLabel } from './labels';

const CLIENT_DURATION = 'http.client.request.duration';
const SERVER_DURATION = 'http.server.request.duration';
/** The one meter both client instrumentations record on. */
const CLIENT_METER = 'autoprom-http-client';
/** The User-Agent of OpenTelemetry's OTLP exporters: autoprom's own pushes are not the app's requests. */
const OTLP_USER_AGENT = 'OTel-OTLP-Exporter-JavaScript/';

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

export function clientViews(config: Config): ViewOptions[] {
  const spec = family('http_client_request_duration_seconds');
  const view = (meterName: string): ViewOptions => ({
    instrumentName: CLIENT_DURATION,
    meterName,
    name: exposedName(spec, config.namespace),
    description: spec.help,
    attributesProcessors: [{ process: clientLabels }],
    aggregation: {
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: [...resolveBuckets(spec.buckets, config.latencyBuckets)] },
    },
    aggregationCardinalityLimit: config.cardinalityLimit,
  });
  const views: ViewOptions[] = [];
  if (config.instrumentations.has('http') || config.instrumentations.has('undici')) views.push(view(CLIENT_METER));
  // The server side is measured by autoprom itself; never expose OpenTelemetry's copy.
  if (config.instrumentations.has('http'))
    views.push({ instrumentName: SERVER_DURATION, meterName: CLIENT_METER, aggregation: { type: AggregationType.DROP } });
  return views;
}

export function clientInstrumentations(config: Config): Instrumentation[] {
  const out: Instrumentation[] = [];
  if (config.instrumentations.has('http')) {
    const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
    out.push(
      onClientMeter(
        new HttpInstrumentation({
          disableIncomingRequestInstrumentation: true,
          ignoreOutgoingRequestHook: (options) => isOtlpExport(options as { headers?: unknown }),
        }),
      ),
    );
  }
  if (config.instrumentations.has('undici')) {
    const { UndiciInstrumentation } =
      require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
    out.push(onClientMeter(new UndiciInstrumentation({}) as unknown as Instrumentation));
  }
  return out;
}
