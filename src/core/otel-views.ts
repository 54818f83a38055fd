/**
 * Every OpenTelemetry View autoprom configures is built here, from catalogue rows, so that a
 * renamed stream always carries the row's exposed name, HELP text, buckets and the configured
 * cardinality limit. (An OpenTelemetry View is a stream configuration of the MeterProvider; it
 * has nothing to do with django's `view` label, which is a route template.)
 */
import type { IAttributesProcessor, ViewOptions } from '@opentelemetry/sdk-metrics';
import { AggregationType } from '@opentelemetry/sdk-metrics';
import { family, type FamilyName } from '../catalogue';
import { exposedName, resolveBuckets, type RegistryOptions } from './registry';

/** The instrument a View selects: the meter (an instrumentation's package name) and its instrument name. */
export interface InstrumentSelector {
  readonly meterName: string;
  readonly instrumentName: string;
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
    attributesProcessors: processors,
    aggregationCardinalityLimit: options.cardinalityLimit,
  };
  if (spec.type === 'histogram') {
    view.aggregation = {
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
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
  return { meterName: instrument.meterName, instrumentName: instrument.instrumentName, aggregation: { type: AggregationType.DROP } };
}
