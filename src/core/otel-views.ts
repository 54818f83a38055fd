/**
 * Every OpenTelemetry View autoprom configures is built here, from catalogue rows, so that a
 * renamed stream always carries the row's exposed name, HELP text, buckets and the configured
 * cardinality limit. (An OpenTelemetry View is a stream configuration of the MeterProvider; it
 * has nothing to do with django's `view` label, which is a route template.)
 */
import type { Attributes } from '@opentelemetry/api';
import type { IAttributesProcessor, ViewOptions } from '@opentelemetry/sdk-metrics';
import { DROP, EXPLICIT_BUCKET_HISTOGRAM } from './otel-enums';
import { family, type FamilyName } from '../catalogue';
import { exposedName, resolveBuckets, type RegistryOptions } from './registry';

/** The instrument a View selects: the meter (an instrumentation's package name) and its instrument name. */
export interface InstrumentSelector {
  readonly meterName: string;
  readonly instrumentName: string;
}

/**
 * The attributes of the one series every label set past the limit folds into: sdk-metrics' own
 * overflow attributes, so that its limit and this bound share one series (`otel_metric_overflow="true"`).
 */
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/**
 * An attributes processor that bounds a stream's label sets over the life of the process:
 * the first `limit - 1` distinct label sets pass, every later one becomes the overflow
 * series. (sdk-metrics' own cardinality limit caps the label sets of one collection only: with
 * cumulative temporality new label sets keep arriving scrape after scrape.) It runs last, on
 * the relabelled attributes, and remembers at most `limit - 1` keys.
 */
export function boundedAttributes(limit: number): IAttributesProcessor {
  const seen = new Set<string>();
  const room = Math.max(limit - 1, 0);
  return {
    process(incoming: Attributes): Attributes {
      let key = '';
      // Processors build their output in a fixed key order, so the order is part of the key.
      for (const k in incoming) key += `${k}\u0000${String(incoming[k])}\u0001`;
      if (seen.has(key)) return incoming;
      if (seen.size < room) {
        seen.add(key);
        return incoming;
      }
      return OVERFLOW_ATTRIBUTES;
    },
  };
}

/** A View that exposes `instrument` as the catalogue family `name`, its attributes mapped by `processors`. */
export function renameView(
  name: FamilyName,
  instrument: InstrumentSelector,
  options: RegistryOptions,
  processors?: IAttributesProcessor[],
): ViewOptions {
  const spec = family(name);
  const view: ViewOptions = {
    meterName: instrument.meterName,
    instrumentName: instrument.instrumentName,
    name: exposedName(spec, options.namespace),
    description: spec.help,
    attributesProcessors: [...(processors ?? []), boundedAttributes(options.cardinalityLimit)],
    aggregationCardinalityLimit: options.cardinalityLimit,
  };
  if (spec.type === 'histogram') {
    view.aggregation = {
      type: EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: [...resolveBuckets(spec.buckets, options.latencyBuckets)], recordMinMax: false },
    };
  }
  return view;
}

/** A View that keeps an instrument as it is but bounds its label sets by the configured limit. */
export function boundedView(instrument: InstrumentSelector, options: RegistryOptions): ViewOptions {
  return {
    meterName: instrument.meterName,
    instrumentName: instrument.instrumentName,
    aggregationCardinalityLimit: options.cardinalityLimit,
  };
}

/**
 * A View that drops what it selects. Scoped by meter: an unscoped `*` DROP would also swallow
 * same-named streams of other Views (sdk-metrics shares streams by name).
 */
export function dropView(instrument: InstrumentSelector): ViewOptions {
  return { meterName: instrument.meterName, instrumentName: instrument.instrumentName, aggregation: { type: DROP } };
}
