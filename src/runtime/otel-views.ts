import type { Attributes } from '@opentelemetry/api';
import type { IAttributesProcessor, ViewOptions } from '@opentelemetry/sdk-metrics';
import { family, type FamilyName, type GaugeName } from '../catalogue';
import { boundedView, dropView, renameView } from '../core/otel-views';
import { exposedName, type RegistryOptions } from '../core/registry';
import { heapSpaceLabel } from './parse';
import { PROCESS_METER } from './process-metrics';

/** Meter name of @opentelemetry/instrumentation-runtime-node (its package name). */
export const RUNTIME_NODE_METER = '@opentelemetry/instrumentation-runtime-node';

/** OpenTelemetry runtime-node instrument -> prom-client family it becomes. */
export const RUNTIME_NODE_RENAMES: ReadonlyArray<readonly [instrument: string, exposed: FamilyName]> = [
  ['nodejs.eventloop.delay.min', 'nodejs_eventloop_lag_min_seconds'],
  ['nodejs.eventloop.delay.max', 'nodejs_eventloop_lag_max_seconds'],
  ['nodejs.eventloop.delay.mean', 'nodejs_eventloop_lag_mean_seconds'],
  ['nodejs.eventloop.delay.stddev', 'nodejs_eventloop_lag_stddev_seconds'],
  ['nodejs.eventloop.delay.p50', 'nodejs_eventloop_lag_p50_seconds'],
  ['nodejs.eventloop.delay.p90', 'nodejs_eventloop_lag_p90_seconds'],
  ['nodejs.eventloop.delay.p99', 'nodejs_eventloop_lag_p99_seconds'],
  ['v8js.gc.duration', 'nodejs_gc_duration_seconds'],
  ['v8js.memory.heap.space.size', 'nodejs_heap_space_size_total_bytes'],
  ['v8js.memory.heap.used', 'nodejs_heap_space_size_used_bytes'],
  ['v8js.memory.heap.space.available_size', 'nodejs_heap_space_size_available_bytes'],
];

/** Our own observables that carry a `type` label (bounded per View). */
const LABELLED_OWN: readonly GaugeName[] = ['nodejs_active_resources', 'nodejs_active_handles', 'nodejs_active_requests'];

/** `v8js.gc.type` -> prom-client's `kind`; every other attribute dropped. */
export const gcKindProcessor: IAttributesProcessor = {
  process(incoming: Attributes): Attributes {
    const kind = incoming['v8js.gc.type'];
    return kind === undefined ? {} : { kind: String(kind) };
  },
};

/** `v8js.heap.space.name` `new_space` -> prom-client's `space` `new`; every other attribute dropped. */
export const heapSpaceProcessor: IAttributesProcessor = {
  process(incoming: Attributes): Attributes {
    const name = incoming['v8js.heap.space.name'];
    return name === undefined ? {} : { space: heapSpaceLabel(String(name)) };
  },
};

function processorsFor(exposed: FamilyName): IAttributesProcessor[] | undefined {
  if (exposed === 'nodejs_gc_duration_seconds') return [gcKindProcessor];
  if (exposed.startsWith('nodejs_heap_space_size_')) return [heapSpaceProcessor];
  return undefined;
}

/**
 * Views that turn what OpenTelemetry's runtime instrumentation records into prom-client's
 * families, and drop the rest of it (event loop utilization and time, physical heap space
 * size, active resources: prom-client has no such families, or autoprom reads them itself).
 */
export function runtimeOtelViews(options: RegistryOptions): ViewOptions[] {
  const views: ViewOptions[] = [
    // Every runtime-node instrument gets this DROP stream, so anything it adds in a later
    // version stays out; the renamed streams below are separate streams of the same instruments.
    dropView({ meterName: RUNTIME_NODE_METER, instrumentName: '*' }),
  ];
  for (const [instrument, exposed] of RUNTIME_NODE_RENAMES) {
    views.push(renameView(exposed, { meterName: RUNTIME_NODE_METER, instrumentName: instrument }, options, processorsFor(exposed)));
  }
  for (const name of LABELLED_OWN) {
    views.push(boundedView({ meterName: PROCESS_METER, instrumentName: exposedName(family(name), options.namespace) }, options));
  }
  return views;
}
