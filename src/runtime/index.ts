import { createInstrumentation, type AreaContext, type AreaSetup } from '../core/area';
import { deferredInstrumentation } from '../core/deferred';
import { ProcessMetricsInstrumentation } from './process-metrics';
import { runtimeOtelViews } from './otel-views';

/** prom-client's collectDefaultMetrics default: event loop delay sampled every 10 ms. */
const EVENT_LOOP_RESOLUTION_MS = 10;

/**
 * process_* and nodejs_* under prom-client's names, help texts and labels (its
 * collectDefaultMetrics), so existing Node.js dashboards work unchanged. Event loop delay
 * statistics, GC durations and heap spaces come from OpenTelemetry's runtime instrumentation
 * through Views; the rest is read by autoprom's own observables at collection time.
 */
export function setupRuntime(ctx: AreaContext): AreaSetup {
  const { namespace, cardinalityLimit, latencyBuckets } = ctx.config;
  const instrumentations = [
    // Loaded after the application's first event-loop turn (core/deferred.ts): its monitors start then.
    deferredInstrumentation('autoprom-runtime-node', () =>
      createInstrumentation(
        'instrumentation-runtime-node',
        'event loop delay statistics, GC durations and heap spaces stay unmeasured',
        () => {
          const { RuntimeNodeInstrumentation } =
            require('@opentelemetry/instrumentation-runtime-node') as typeof import('@opentelemetry/instrumentation-runtime-node');
          return new RuntimeNodeInstrumentation({ monitoringPrecision: EVENT_LOOP_RESOLUTION_MS });
        },
      ),
    ),
    createInstrumentation('process metrics', 'process_* and the nodejs_* families autoprom reads itself stay unmeasured', () => {
      return new ProcessMetricsInstrumentation({ namespace, cardinalityLimit });
    }),
  ].filter((i) => i !== undefined);
  return { instrumentations, otelViews: runtimeOtelViews({ namespace, cardinalityLimit, latencyBuckets }) };
}
